#!/usr/bin/env bash
# Recording overhead, in one run: each workload natively, under replrec, under
# `strace -f -o /dev/null` (interception by ptrace, for reference), and replayed from its log by
# replplay. Best of N runs each.
# Prints wall times, the messages recorded, the time added per recorded call and the ratio to
# native, and replrec's peak RSS. Asserts nothing.
#   Benchmarks/record-bench.sh [RUNS]      (default 3; needs pigz and strace)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
cd "$root"
bin=$(scripts/build.sh release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread fixtures/programs/mutex_bench.c -o "$work/mutex_bench"
cc -O2 fixtures/programs/pipe_pingpong.c -o "$work/pipe_pingpong"
cc -O2 fixtures/programs/paced_clock.c -o "$work/paced_clock"
head -c 48000000 /dev/urandom | base64 -w 100 > "$work/input"  # 64 MB

now() { date +%s%N; }
# best NAME COMMAND...: the best wall time in seconds over $runs runs
best() {
    local best_ns=
    for _ in $(seq "$runs"); do
        local start end
        start=$(now)
        "$@" > /dev/null 2>&1
        end=$(now)
        if [ -z "$best_ns" ] || [ $((end - start)) -lt "$best_ns" ]; then best_ns=$((end - start)); fi
    done
    echo "$best_ns"
}

printf '%-36s %10s %10s %10s %10s %10s %12s %8s %12s %12s %8s\n' workload native recorded strace replayed messages "added/call" ratio "recorded/s" "replayed/s" "rss MiB"
row() {
    local name=$1; shift
    local native recorded traced messages rss
    native=$(best "$@")
    recorded=$(best "$bin/replrec" -q --force --log-dir "$work/log" -- "$@")
    traced=$(best strace -f -o /dev/null "$@")
    messages=$("$bin/logtool" stat --json "$work/log" | sed 's/.*"messages":\([0-9]*\).*/\1/')
    rss=$("$bin/replrec" --force --log-dir "$work/log" -- "$@" 2>&1 >/dev/null | sed -n 's/.*recorder peak RSS \([0-9.]*\) MiB.*/\1/p')
    replayed=$(best "$bin/replplay" -q "$work/log")
    awk -v n="$name" -v a="$native" -v b="$recorded" -v c="$traced" -v d="$replayed" -v m="$messages" -v r="$rss" 'BEGIN {
        printf "%-36s %9.3fs %9.3fs %9.3fs %9.3fs %10d %9.1f ns %7.2fx %10.1f M %10.1f M %8.1f\n", n, a/1e9, b/1e9, c/1e9, d/1e9, m, (b-a)/m, b/a, m/(b/1e9)/1e6, m/(d/1e9)/1e6, r }'
}
row "mutex 1 thread x 10M lock/unlock" "$work/mutex_bench" 1 10000000
row "mutex 2 threads x 1M lock/unlock" "$work/mutex_bench" 2 1000000
row "mutex 2 threads x 10M lock/unlock" "$work/mutex_bench" 2 10000000
row "pigz -p 2, 64 MB" pigz -p 2 -c "$work/input"
row "pipe ping-pong, 100k rounds" "$work/pipe_pingpong" 100000

# A server: redis-benchmark's throughput against redis-server natively and recorded, then the
# recorded run replayed (replay time includes the server's start-up and shutdown).
if command -v redis-server > /dev/null && command -v redis-benchmark > /dev/null; then
    port=$((20000 + $$ % 20000))
    redis_rps() { redis_rps_with true "$@"; }
    redis_rps_with() {  # READY COMMAND...: starts the server, waits for READY (shell), prints the requests/s of SET and GET
        local ready=$1; shift
        "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" > /dev/null 2>&1 &
        for _ in $(seq 100); do redis-cli -p "$port" ping > /dev/null 2>&1 && break; sleep 0.05; done
        timeout 30 bash -c "$ready" || true
        redis-benchmark -p "$port" -n 100000 -c 10 -t set,get -q --csv | awk -F'"' 'NR > 1 {printf "%s %s  ", $2, $4}'
        redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || true
        wait
    }
    rm -rf "$work/redis-log"
    echo
    echo "redis-server, redis-benchmark -n 100000 -c 10 -t set,get (requests/s):"
    echo "  native:   $(redis_rps redis-server)"
    echo "  recorded: $(redis_rps "$bin/replrec" -q --log-dir "$work/redis-log" -- redis-server)"
    echo "  recorded, --no-output-commit: $(redis_rps "$bin/replrec" -q --force --no-output-commit --log-dir "$work/redis-plain" -- redis-server)"
    # What an operator uses today: redis's own asynchronous replica, attached before the load.
    replica_port=$((port + 1))
    redis-server --port "$replica_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
        --replicaof 127.0.0.1 "$port" > /dev/null 2>&1 &
    replica=$!
    echo "  native, its own replica attached: $(redis_rps_with "until redis-cli -p $replica_port info replication 2>/dev/null | grep -q master_link_status:up; do sleep 0.05; done" redis-server)"
    redis-cli -p "$replica_port" shutdown nosave > /dev/null 2>&1 || true
    wait "$replica" 2>/dev/null || true
    # A backup following the log on the same host while the load runs (output commit on).
    rm -rf "$work/redis-followed"
    "$bin/replplay" -q --follow "$work/redis-followed" > /dev/null 2>&1 &
    follower=$!
    echo "  recorded, a backup following: $(redis_rps "$bin/replrec" -q --log-dir "$work/redis-followed" -- redis-server)"
    wait "$follower" 2>/dev/null || true
    messages=$("$bin/logtool" stat --json "$work/redis-log" | sed 's/.*"messages":\([0-9]*\).*/\1/')
    replayed=$(best "$bin/replplay" -q "$work/redis-log")
    # The time means something only for a replay that matched: its status is printed with it.
    replay_status=0
    "$bin/replplay" -q "$work/redis-log" > /dev/null 2> "$work/redis-replay.err" || replay_status=$?
    awk -v m="$messages" -v d="$replayed" -v s="$replay_status" 'BEGIN { printf "  replayed: %d messages in %.3f s, %.1f M messages/s (replplay exit status %d)\n", m, d/1e9, m/(d/1e9)/1e6, s }'
    [ "$replay_status" -eq 0 ] || sed 's/^/    /' "$work/redis-replay.err" | tail -3
fi

# Follow lag: a backup replays the log of a steady program while it is recorded, on the same
# machine and directory; replplay reports the time from each frame's writing to its delivery.
"$bin/replplay" --follow "$work/follow" > /dev/null 2> "$work/follow.err" &
backup=$!
sleep 0.3
"$bin/replrec" -q --log-dir "$work/follow" -- "$work/paced_clock" 5 > /dev/null
wait $backup
echo
echo "follow lag, paced clock reads for 5 s, local directory: $(sed -n 's/.*follow lag \(.*\)/\1/p' "$work/follow.err")"
echo
echo "added/call = (recorded - native) / messages recorded; recorded/s and replayed/s = messages / time"
echo "(the recorder keeps up, or the ring would stall the program); times include process start-up."
echo "rss = replrec's own peak resident memory (VmHWM, from its summary line)."
