#!/usr/bin/env bash
# How often a rare race shows up in recordings, with and without replrec --chaos: the
# check-then-act race of fixtures/programs/bank.c, recorded RUNS times each way, alternating,
# and run natively as often for the baseline. Prints the failure counts side by side.
#   Benchmarks/chaos-bench.sh [RUNS [WITHDRAWALS]]     (defaults 100 and 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
withdrawals=${2:-3}
bin=$(swift build --show-bin-path)
swift build --product replrec >/dev/null
scripts/build-interposer.sh "$bin" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread -o "$work/bank" fixtures/programs/bank.c
native=0 recorded=0 chaos=0
for _ in $(seq "$runs"); do
    "$work/bank" "$withdrawals" > /dev/null || native=$((native + 1))
    rm -rf "$work/log"; "$bin/replrec" -q --log-dir "$work/log" -- "$work/bank" "$withdrawals" > /dev/null || recorded=$((recorded + 1))
    rm -rf "$work/log"; "$bin/replrec" -q --chaos --log-dir "$work/log" -- "$work/bank" "$withdrawals" > /dev/null || chaos=$((chaos + 1))
done
printf 'bank %s, %s runs each (alternating)\n' "$withdrawals" "$runs"
printf '%-28s %8s\n' "" "overdrawn"
printf '%-28s %8s\n' "native" "$native/$runs" "recorded" "$recorded/$runs" "recorded with --chaos" "$chaos/$runs"
