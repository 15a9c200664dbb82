#!/usr/bin/env bash
# Sets up, builds, records a bundled demo program whose output differs from run to run (threads
# racing for a mutex), replays the recording twice (the same output each time), verifies and
# summarises the log, and has a backup replay a recording while it is being made.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bin=$(scripts/build.sh release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread fixtures/programs/mutex_race.c -o "$work/mutex_race"

echo "== the demo program, natively, twice: the order in which threads get the mutex differs"
"$work/mutex_race"
"$work/mutex_race"
echo "== recorded with replrec"
"$bin/replrec" --log-dir "$work/replog" -- "$work/mutex_race" | tee "$work/recorded.out"
echo "== replayed with replplay, twice: the recorded order each time"
"$bin/replplay" "$work/replog" | tee "$work/replayed.out"
"$bin/replplay" "$work/replog"
cmp -s "$work/recorded.out" "$work/replayed.out" && echo "replay matches the recording"
echo "== logtool verify"
"$bin/logtool" verify "$work/replog"
echo "== logtool stat"
"$bin/logtool" stat "$work/replog" | sed -n '4,20p'
echo "== logtool dump --to 6"
"$bin/logtool" dump --to 6 "$work/replog"

echo "== a hot standby: the backup replays a copy that rsync refreshes while the primary records"
cc -O2 -pthread fixtures/programs/prodcons.c -o "$work/prodcons"
"$bin/replplay" -q --follow "$work/backup" > "$work/backup.out" &
backup=$!
"$bin/replrec" -q --log-dir "$work/primary" -- "$work/prodcons" > "$work/primary.out" &
primary=$!
while kill -0 $primary 2>/dev/null; do
    [ -d "$work/primary" ] && rsync -a --append-verify "$work/primary/" "$work/backup/"
    sleep 0.05
done
rsync -a --append-verify "$work/primary/" "$work/backup/"
wait $backup
cat "$work/backup.out"
cmp -s "$work/primary.out" "$work/backup.out" && echo "the backup printed exactly what the primary printed"
