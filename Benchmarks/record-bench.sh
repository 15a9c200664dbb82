#!/usr/bin/env bash
# Recording and replay against native, in one run: each workload natively, under replrec and
# replayed from that recording, the three alternating, RUNS rounds; medians. strace -f (ptrace
# interception) once, for reference. Then redis-server under redis-benchmark: native, with its
# own asynchronous replica attached, recorded (output commit), recorded without output commit,
# and recorded with a backup following the log; alternating, medians, ratios to native; and what
# output commit cost each recorded round (replrec's summary: waits, mean wait, wait per write).
# Prints numbers; asserts nothing.
#   Benchmarks/record-bench.sh [RUNS]      (default 5; needs pigz, pbzip2 and strace)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
cd "$root"
bin=$(scripts/build.sh release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread fixtures/programs/mutex_bench.c -o "$work/mutex_bench"
cc -O2 fixtures/programs/pipe_pingpong.c -o "$work/pipe_pingpong"
cc -O2 fixtures/programs/paced_clock.c -o "$work/paced_clock"
head -c 48000000 /dev/urandom | base64 -w 100 > "$work/input"  # 64 MB

now() { date +%s%N; }
# once COMMAND...: the wall time of one run, in ns
once() {
    local start end
    start=$(now)
    "$@" > /dev/null 2>&1
    end=$(now)
    echo $((end - start))
}
# median: of the numbers on standard input
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-34s %9s %9s %9s %9s %10s %11s %7s %7s %10s %10s %6s\n' workload native recorded replayed strace messages "added/call" rec/nat rep/nat "recorded/s" "replayed/s" "rss MiB"
row() {
    local name=$1; shift
    : > "$work/native"; : > "$work/recorded"; : > "$work/replayed"
    for _ in $(seq "$runs"); do
        once "$@" >> "$work/native"
        once "$bin/replrec" -q --force --log-dir "$work/log" -- "$@" >> "$work/recorded"
        once "$bin/replplay" -q "$work/log" >> "$work/replayed"
    done
    local native recorded replayed traced messages rss
    native=$(median < "$work/native"); recorded=$(median < "$work/recorded"); replayed=$(median < "$work/replayed")
    traced=$(once strace -f -o /dev/null "$@")
    messages=$("$bin/logtool" stat --json "$work/log" | sed 's/.*"messages":\([0-9]*\).*/\1/')
    rss=$("$bin/replrec" --force --log-dir "$work/log" -- "$@" 2>&1 >/dev/null | sed -n 's/.*recorder peak RSS \([0-9.]*\) MiB.*/\1/p')
    awk -v n="$name" -v a="$native" -v b="$recorded" -v c="$traced" -v d="$replayed" -v m="$messages" -v r="$rss" 'BEGIN {
        printf "%-34s %8.3fs %8.3fs %8.3fs %8.3fs %10d %8.1f ns %6.2fx %6.2fx %8.1f M %8.1f M %6.1f\n", n, a/1e9, b/1e9, d/1e9, c/1e9, m, (b-a)/m, b/a, d/a, m/(b/1e9)/1e6, m/(d/1e9)/1e6, r }'
}
row "mutex 1 thread x 10M lock/unlock" "$work/mutex_bench" 1 10000000
row "mutex 2 threads x 5M lock/unlock" "$work/mutex_bench" 2 5000000
row "pigz -p 2, 64 MB" pigz -p 2 -c "$work/input"
row "pbzip2 -p2, 64 MB" pbzip2 -p2 -c "$work/input"
row "pipe ping-pong, 100k rounds" "$work/pipe_pingpong" 100000

# A server: redis-benchmark's requests/s against redis-server in each configuration, the
# configurations alternating round by round; medians, and their ratio to native.
if command -v redis-server > /dev/null && command -v redis-benchmark > /dev/null; then
    port=$((20000 + $$ % 900 * 4))
    replica_port=$((port + 1))
    # redis_rps CONFIG COMMAND...: starts the server, waits for it (and for CONFIG's
    # precondition), appends "SET GET" requests/s to $work/redis-CONFIG
    redis_rps() {
        local config=$1; shift
        "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" > /dev/null 2> "$work/stderr-$config" &
        local server=$!
        for _ in $(seq 100); do redis-cli -p "$port" ping > /dev/null 2>&1 && break; sleep 0.05; done
        if [ "$config" = replica ]; then
            for _ in $(seq 200); do redis-cli -p "$replica_port" info replication 2>/dev/null | grep -q master_link_status:up && break; sleep 0.05; done
        fi
        redis-benchmark -p "$port" -n 100000 -c 10 -t set,get -q --csv |
            awk -F'"' '$2 == "SET" { set = $4 } $2 == "GET" { get = $4 } END { print set, get }' >> "$work/rps-$config"
        redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || true
        wait "$server" 2>/dev/null || true
    }
    for _ in $(seq "$runs"); do
        redis_rps native redis-server
        redis-server --port "$replica_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
            --replicaof 127.0.0.1 "$port" > /dev/null 2>&1 &
        replica=$!
        redis_rps replica redis-server
        redis-cli -p "$replica_port" shutdown nosave > /dev/null 2>&1 || true
        wait "$replica" 2>/dev/null || true
        redis_rps recorded "$bin/replrec" --force --log-dir "$work/redis-log" -- redis-server
        sed -n 's/.*; \(output commit: [^;]*\).*/\1/p' "$work/stderr-recorded" >> "$work/commits"
        redis_rps plain "$bin/replrec" -q --force --no-output-commit --log-dir "$work/redis-plain" -- redis-server
        rm -rf "$work/redis-followed"
        "$bin/replplay" -q --follow "$work/redis-followed" > /dev/null 2>&1 &
        follower=$!
        redis_rps followed "$bin/replrec" -q --log-dir "$work/redis-followed" -- redis-server
        wait "$follower" 2>/dev/null || true
    done
    echo
    echo "redis-server, redis-benchmark -n 100000 -c 10 -t set,get, medians of $runs (requests/s, and against native):"
    native_set=$(awk '{ print $1 }' "$work/rps-native" | median)
    native_get=$(awk '{ print $2 }' "$work/rps-native" | median)
    for config in native replica recorded plain followed; do
        case $config in
            native) label="native" ;;
            replica) label="native, its own replica attached" ;;
            recorded) label="recorded (output commit)" ;;
            plain) label="recorded, --no-output-commit" ;;
            followed) label="recorded, a backup following" ;;
        esac
        set_rps=$(awk '{ print $1 }' "$work/rps-$config" | median)
        get_rps=$(awk '{ print $2 }' "$work/rps-$config" | median)
        awk -v l="$label" -v s="$set_rps" -v g="$get_rps" -v ns="$native_set" -v ng="$native_get" \
            'BEGIN { printf "  %-34s SET %9.0f (%3.0f %%)   GET %9.0f (%3.0f %%)\n", l, s, 100*s/ns, g, 100*g/ng }'
    done
    echo "  what output commit cost, from replrec's summary line, each recorded round:"
    sed 's/^/    /' "$work/commits"
    messages=$("$bin/logtool" stat --json "$work/redis-log" | sed 's/.*"messages":\([0-9]*\).*/\1/')
    # The time means something only for a replay that matched: its status is printed with it.
    replay_status=0
    replayed=$(now)
    "$bin/replplay" -q "$work/redis-log" > /dev/null 2> "$work/redis-replay.err" || replay_status=$?
    replayed=$(( $(now) - replayed ))
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
echo "added/call = (recorded - native) / messages recorded; rec/nat, rep/nat = recorded, replayed time / native;"
echo "recorded/s and replayed/s = messages / time"
echo "(the recorder keeps up, or the ring would stall the program); times include process start-up."
echo "rss = replrec's own peak resident memory (VmHWM, from its summary line)."
