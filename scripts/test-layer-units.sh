#!/usr/bin/env bash
# Builds and runs the interception layer's C unit tests (Tests/LayerUnitTests) with the system
# C compiler, against the layer's own sources for the helpers they test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc=${CC:-cc}
"$cc" -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
    -I "$root/Sources/CReplABI/include" -I "$root/Sources/CInterpose" \
    "$root/Tests/LayerUnitTests/layer_unit_tests.c" \
    "$root/Sources/CInterpose/environment.c" "$root/Sources/CInterpose/descriptors.c" \
    -o "$out/layer_unit_tests" -ldl -pthread
"$out/layer_unit_tests"
