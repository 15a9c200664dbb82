#!/usr/bin/env bash
# Builds and installs replrec, logtool and libreplintercept.so under a prefix:
#   PREFIX/bin/replrec, PREFIX/bin/logtool, PREFIX/lib/libreplintercept.so
# replrec finds the layer in ../lib next to its own executable.
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
if [ -z "$bin" ]; then
    swift build -c "$configuration" --product replrec >/dev/null
    swift build -c "$configuration" --product logtool >/dev/null
    bin=$(swift build -c "$configuration" --show-bin-path)
    scripts/build-interposer.sh "$bin"
fi
install -d "$prefix/bin" "$prefix/lib"
install -m 0755 "$bin/replrec" "$bin/logtool" "$prefix/bin/"
install -m 0644 "$bin/libreplintercept.so" "$prefix/lib/"
echo "installed replrec and logtool in $prefix/bin, libreplintercept.so in $prefix/lib"
