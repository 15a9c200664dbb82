#!/usr/bin/env bash
# Builds the libFuzzer target with AddressSanitizer and runs it for a bounded time.
#   Fuzz/run.sh [SECONDS]     (default 60)
# Seeds: the golden log's segments, whole and cut short. Crashes land in Fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >/dev/null
binary=$(swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --show-bin-path)/logformat-fuzz
corpus=corpus-work
mkdir -p "$corpus" crashes
for segment in ../fixtures/logs/golden-v1/*/seg-*.rlog; do
    name=$(basename "$(dirname "$segment")")-$(basename "$segment")
    { printf '\0'; head -c 4096 "$segment"; } > "$corpus/$name.head"
    { printf '\0'; cat "$segment"; } > "$corpus/$name"
done
"$binary" -max_total_time="$seconds" -max_len=131072 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=crashes/ -print_final_stats=1 "$corpus"
