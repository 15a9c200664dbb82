#!/usr/bin/env bash
# What output fingerprints cost, in one run: two builds side by side, A/B alternating, medians.
# A is a build without them (before ABI 4), B one with them. Per workload: the median wall time
# recording it with each build, the ratio, and the log's bytes per write; for redis, the
# requests/s redis-benchmark measures against a recorded redis-server. Asserts nothing.
#   Benchmarks/fingerprint-bench.sh A_BIN B_BIN [RUNS]      (default 7; needs pigz, redis)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
a=$1 b=$2 runs=${3:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 "$root/fixtures/programs/write_bench.c" -o "$work/write_bench"
head -c 48000000 /dev/urandom | base64 -w 100 > "$work/input"  # 64 MB

now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
log_bytes() { du -sb "$1" | cut -f1; }

printf '%-40s %10s %10s %7s %8s %14s %10s %10s\n' workload "A" "B" "B/A" writes "B-A per write" "A log B/w" "B log B/w"
# row NAME COMMAND...: COMMAND recorded by each build, its stdout into a file; the writes are
# counted in B's log, where every write is numbered
row() {
    local name=$1; shift
    : > "$work/ta"; : > "$work/tb"
    for _ in $(seq "$runs"); do
        for side in a b; do
            local bin=$a; [ "$side" = b ] && bin=$b
            rm -rf "$work/log-$side"
            local start end
            start=$(now)
            "$bin/replrec" -q --log-dir "$work/log-$side" -- "$@" > "$work/out-$side" 2>/dev/null || echo "failed: $*" >&2
            end=$(now)
            echo $((end - start)) >> "$work/t$side"
        done
    done
    local writes
    writes=$("$b/logtool" dump "$work/log-b" | grep -cE '^[0-9]+ [0-9]+:[0-9]+ (write|writev|pwrite|pwritev|send|sendmsg) ')
    awk -v n="$name" -v w="$writes" -v ta="$(median < "$work/ta")" -v tb="$(median < "$work/tb")" \
        -v la="$(log_bytes "$work/log-a")" -v lb="$(log_bytes "$work/log-b")" 'BEGIN {
        printf "%-40s %8.3f s %8.3f s %6.3fx %8d %11.1f ns %10.2f %10.2f\n", n, ta/1e9, tb/1e9, tb/ta, w, (tb-ta)/w, la/w, lb/w }'
}
row "1 M writes of 64 B to /dev/null" "$work/write_bench" 1000000 64 /dev/null
row "1 M writes of 64 B to stdout (a file)" "$work/write_bench" 1000000 64 -
row "200 k writes of 4 KiB to a regular file" "$work/write_bench" 200000 4096 "$work/file"
row "pigz -p 2 -c, 64 MB (to stdout)" pigz -p 2 -c "$work/input"
row "pigz -p 2 -k, 64 MB (to input.gz)" sh -c "rm -f '$work/input.gz'; exec pigz -p 2 -k '$work/input'"

if command -v redis-server > /dev/null && command -v redis-benchmark > /dev/null; then
    echo
    printf '%-40s %14s %14s %14s %14s\n' "redis-benchmark -n 100000 -c 10" "A SET/s" "B SET/s" "A GET/s" "B GET/s"
    : > "$work/sa"; : > "$work/sb"; : > "$work/ga"; : > "$work/gb"
    port=6391
    for _ in $(seq "$runs"); do
        for side in a b; do
            local_bin=$a; [ "$side" = b ] && local_bin=$b
            rm -rf "$work/redis-log" "$work/redis"; mkdir -p "$work/redis"
            (cd "$work/redis" && exec "$local_bin/replrec" -q --log-dir "$work/redis-log" -- \
                redis-server --port $port --save '' --appendonly no) > /dev/null 2>&1 &
            server=$!
            until redis-cli -p $port ping > /dev/null 2>&1; do sleep 0.05; done
            redis-benchmark -p $port -n 100000 -c 10 -t set,get --csv 2>/dev/null > "$work/csv"
            awk -F'"' '/^"SET"/ { print $4 }' "$work/csv" >> "$work/s$side"
            awk -F'"' '/^"GET"/ { print $4 }' "$work/csv" >> "$work/g$side"
            redis-cli -p $port shutdown nosave > /dev/null 2>&1 || true
            wait $server || true
        done
    done
    printf '%-40s %14s %14s %14s %14s\n' "recorded (median of $runs)" "$(median < "$work/sa")" "$(median < "$work/sb")" \
        "$(median < "$work/ga")" "$(median < "$work/gb")"
fi
echo
echo "medians of $runs runs each, A and B alternating; times include process start-up."
