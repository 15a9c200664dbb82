#!/usr/bin/env bash
# Runs the fuzzers and the bit-flip sweep for a bounded time; failures land in Fuzz/crashes/.
#   Fuzz/run.sh [SECONDS [REPLAYS]]     (defaults 60 and 200)
#
# 1. logformat-fuzz (libFuzzer, AddressSanitizer) over the segment and frame decoder, SECONDS
#    long. Seeds: the golden log's segments, whole and cut short.
# 2. replay-fuzz: REPLAYS mutated logs, well-formed so that they pass the decoder, replayed by the
#    real replplay, layer and fixture programs. Seeds: recordings made here of a few fixtures.
#    Every replay must match or be refused (120/121) naming where; a crash, a hang or a process
#    left behind fails the run.
# 3. flip-sweep: every bit of a small fresh recording flipped in turn, and one bit of every byte
#    of a recording of two segments: each flip must be caught, classified and located.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
replays=${2:-200}

sanitized=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
swift build "${sanitized[@]}" --product logformat-fuzz >/dev/null
binary=$(swift build "${sanitized[@]}" --show-bin-path)/logformat-fuzz
corpus=corpus-work
mkdir -p "$corpus" crashes
for segment in ../fixtures/logs/golden-v1/*/seg-*.rlog; do
    name=$(basename "$(dirname "$segment")")-$(basename "$segment")
    { printf '\0'; head -c 4096 "$segment"; } > "$corpus/$name.head"
    { printf '\0'; cat "$segment"; } > "$corpus/$name"
done
"$binary" -max_total_time="$seconds" -max_len=131072 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=crashes/ -print_final_stats=1 "$corpus"

# The tools and the layer as the tests build them; the fuzzer itself needs no sanitizer (it
# drives processes).
(cd .. && swift build --product replrec >/dev/null && swift build --product replplay >/dev/null)
tools=$(cd .. && swift build --show-bin-path)
../scripts/build-interposer.sh "$tools" >/dev/null
swift build --product replay-fuzz >/dev/null
swift build --product flip-sweep >/dev/null
fuzzer=$(swift build --show-bin-path)/replay-fuzz
sweep=$(swift build --show-bin-path)/flip-sweep

work=$(mktemp -d /tmp/replay-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state
mkdir -p "$work/programs" "$work/seeds"
for program in racy_counter fork_workers pipe_pingpong short_read signals; do
    cc -O2 -pthread -o "$work/programs/$program" "../fixtures/programs/$program.c"
done
record() { local name=$1; shift; "$tools/replrec" -q --log-dir "$work/seeds/$name" -- "$@" >/dev/null || true; }
(
    cd "$work/programs"
    record racy ./racy_counter 300 50
    record fork ./fork_workers
    record pingpong ./pipe_pingpong 50
    record signals ./signals
    printf 'twelve bytes' | record shortread ./short_read
    record shell /bin/sh -c 'for i in 3 1 2; do echo $i; done | sort; date +%N; cat /etc/hostname'
    "$tools/replrec" -q --log-dir "$work/segmented" --segment-size 4096 -- ./racy_counter 2000 10 >/dev/null
)
"$fuzzer" --replplay "$tools/replplay" --work "$work/mutants" --crashes "$PWD/crashes" \
    --runs "$replays" --seed "${REPLAY_FUZZ_SEED:-$(date +%s)}" "$work"/seeds/*
"$sweep" "$work/seeds/shortread"
"$sweep" --one-bit-per-byte "$work/segmented"
