#!/usr/bin/env bash
# Builds libreplintercept.so with the system C compiler into DIR (default: the debug bin path),
# and puts replplay's gdb extension (replrec-gdb.py) beside it, where the tools look for both.
# Built outside SwiftPM on purpose: the layer must need only libc, never the Swift runtime.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/.build/debug}
mkdir -p "$out"
cc=${CC:-cc}
"$cc" -std=gnu11 -O2 -g -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror \
    -Wno-unused-parameter -I "$root/Sources/CReplABI/include" -I "$root/Sources/CCRC32C/include" \
    -Wl,--version-script="$root/Sources/CInterpose/libreplintercept.map" \
    "$root"/Sources/CInterpose/*.c "$root/Sources/CCRC32C/crc32c.c" -o "$out/libreplintercept.so.tmp" -ldl -lpthread
mv "$out/libreplintercept.so.tmp" "$out/libreplintercept.so"
cp "$root/Sources/Replayer/gdb/replrec-gdb.py" "$out/replrec-gdb.py"
