#!/usr/bin/env bash
# Sets up, builds, and records a bundled demo program whose output differs from run to run
# (threads racing for a mutex), then verifies and summarises the log, and follows an rsync'd
# copy of a log as a backup would.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product replrec >/dev/null
swift build -c release --product logtool >/dev/null
bin=$(swift build -c release --show-bin-path)
scripts/build-interposer.sh "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -pthread fixtures/programs/mutex_race.c -o "$work/mutex_race"

echo "== the demo program, natively, twice: the order in which threads get the mutex differs"
"$work/mutex_race"
"$work/mutex_race"
echo "== recorded with replrec"
"$bin/replrec" --log-dir "$work/replog" -- "$work/mutex_race"
echo "== logtool verify"
"$bin/logtool" verify "$work/replog"
echo "== logtool stat"
"$bin/logtool" stat "$work/replog" | sed -n '4,20p'
echo "== logtool dump --to 6"
"$bin/logtool" dump --to 6 "$work/replog"

echo "== a backup following an rsync'd copy of a log while it grows (2 M synthetic lock messages)"
"$bin/logtool" synth "$work/primary" --pattern locks --messages 2000000 --rate 1000000 --segment-size 1048576 &
writer=$!
( until [ -d "$work/primary" ]; do sleep 0.01; done
  while kill -0 $writer 2>/dev/null; do rsync -a --append-verify "$work/primary/" "$work/backup/"; sleep 0.1; done
  rsync -a --append-verify "$work/primary/" "$work/backup/" ) &
copier=$!
"$bin/logtool" dump --follow "$work/backup" | awk 'END { print "backup followed", NR - 1, "messages to the END record" }'
wait $writer $copier
"$bin/logtool" verify "$work/backup"
