#!/usr/bin/env bash
# Recording and replay cost of two builds side by side, in one run: A/B alternating, medians.
# Each build is a directory holding replrec, replplay and libreplintercept.so (scripts/build.sh
# prints one). Prints, per workload, the median wall time of each build recording it, and of
# each build replaying one and the same log (A's first recording: how a replay goes depends on
# the interleaving recorded), with the ratios B/A. Asserts nothing; a failed run is reported.
#   Benchmarks/ab-record.sh A_BIN B_BIN [RUNS]      (default 9 runs of each)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
a=$1 b=$2 runs=${3:-9}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread "$root/fixtures/programs/mutex_bench.c" -o "$work/mutex_bench"
cc -O2 "$root/fixtures/programs/pipe_pingpong.c" -o "$work/pipe_pingpong"
cc -O2 -pthread "$root/fixtures/programs/prodcons.c" -o "$work/prodcons"

now() { date +%s%N; }
elapsed() {  # COMMAND...: nanoseconds it took
    local start end
    start=$(now)
    "$@" > /dev/null 2>&1 || echo "failed ($?): $*" >&2
    end=$(now)
    echo $((end - start))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-34s %12s %12s %7s %12s %12s %7s\n' workload "A record" "B record" "B/A" "A replay" "B replay" "B/A"
row() {
    local name=$1; shift
    : > "$work/ra"; : > "$work/rb"; : > "$work/pa"; : > "$work/pb"
    rm -rf "$work/shared-log"
    "$a/replrec" -q --log-dir "$work/shared-log" -- "$@" > /dev/null 2>&1
    for _ in $(seq "$runs"); do
        for side in a b; do
            local bin=$a; [ "$side" = b ] && bin=$b
            elapsed "$bin/replrec" -q --force --log-dir "$work/log-$side" -- "$@" >> "$work/r$side"
            elapsed "$bin/replplay" -q "$work/shared-log" >> "$work/p$side"
        done
    done
    awk -v n="$name" -v ra="$(median < "$work/ra")" -v rb="$(median < "$work/rb")" \
        -v pa="$(median < "$work/pa")" -v pb="$(median < "$work/pb")" 'BEGIN {
        printf "%-34s %10.3f s %10.3f s %6.3fx %10.3f s %10.3f s %6.3fx\n", n, ra/1e9, rb/1e9, rb/ra, pa/1e9, pb/1e9, pb/pa }'
}
row "mutex 2 threads x 1M lock/unlock" "$work/mutex_bench" 2 1000000
row "pipe ping-pong, 50k rounds" "$work/pipe_pingpong" 50000
row "prodcons (condition variables)" "$work/prodcons"
echo
echo "medians of $runs runs each, A and B alternating; times include process start-up."
