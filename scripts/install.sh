#!/usr/bin/env bash
# Builds and installs replrec, replplay, logtool and libreplintercept.so under a prefix:
#   PREFIX/bin/{replrec,replplay,logtool}, PREFIX/lib/libreplintercept.so
# The tools find the layer in ../lib next to their own executable.
#   scripts/install.sh [--prefix DIR] [--debug | --bin-path DIR]
# Default prefix /usr/local, release build; --bin-path installs what is already built there.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
configuration=release
bin=
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --debug) configuration=debug; shift ;;
        --bin-path) bin=$2; shift 2 ;;
        *) echo "install: unknown option $1" >&2; exit 64 ;;
    esac
done
[ -n "$bin" ] || bin=$(scripts/build.sh "$configuration")
install -d "$prefix/bin" "$prefix/lib"
install -m 0755 "$bin/replrec" "$bin/replplay" "$bin/logtool" "$prefix/bin/"
install -m 0644 "$bin/libreplintercept.so" "$prefix/lib/"
echo "installed replrec, replplay and logtool in $prefix/bin, libreplintercept.so in $prefix/lib"
