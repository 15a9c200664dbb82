#!/usr/bin/env bash
# Installs what the tests need, then runs every test (unit, integration, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/test-layer-units.sh
swift build --build-tests
scripts/build-interposer.sh "$(swift build --show-bin-path)"
# Every test is a Swift Testing test; XCTest would only add an "Executed 0 tests" line.
swift test --skip-build --disable-xctest "$@"
