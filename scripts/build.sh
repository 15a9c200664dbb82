#!/usr/bin/env bash
# Builds replrec, replplay, logtool and libreplintercept.so, and prints the directory that holds
# them. SwiftPM builds the tools; the layer is built with cc (scripts/build-interposer.sh).
#   scripts/build.sh [release|debug]      (default release)
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-release}
for product in replrec replplay logtool; do
    swift build -c "$configuration" --product "$product" >/dev/null
done
bin=$(swift build -c "$configuration" --show-bin-path)
scripts/build-interposer.sh "$bin"
echo "$bin"
