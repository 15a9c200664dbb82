#!/usr/bin/env bash
# Sets up, builds, and shows the replication log at work: a primary writes a log while a
# backup follows an rsync'd copy of it; then the copy is verified and summarised.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product logtool
logtool=$(swift build -c release --show-bin-path)/logtool
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== primary: writing a synthetic lock-heavy log (2 M messages) while a backup follows a copy"
"$logtool" synth "$work/primary" --pattern locks --messages 2000000 --rate 1000000 --segment-size 1048576 &
writer=$!
( until [ -d "$work/primary" ]; do sleep 0.01; done
  while kill -0 $writer 2>/dev/null; do rsync -a --append-verify "$work/primary/" "$work/backup/"; sleep 0.1; done
  rsync -a --append-verify "$work/primary/" "$work/backup/" ) &
copier=$!
"$logtool" dump --follow "$work/backup" | awk 'END { print "== backup followed", NR - 1, "messages to the END record" }'
wait $writer $copier
echo "== logtool verify backup"
"$logtool" verify "$work/backup"
echo "== logtool stat backup"
"$logtool" stat "$work/backup" | head -12
echo "== logtool dump --to 5"
"$logtool" dump --to 5 "$work/backup"
