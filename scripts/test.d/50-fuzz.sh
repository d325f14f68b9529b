#!/usr/bin/env bash
# Replays every committed seed corpus, then fuzzes each target for a short bounded time.
# Longer runs: cd fuzz && cargo fuzz run -s none <target> -- -max_total_time=3600
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-20}"

targets=$(cargo fuzz list)
[ -n "$targets" ] || { echo "no fuzz targets found" >&2; exit 1; }
cargo fuzz build -s none -O
for t in $targets; do
  corpus="corpus/$t"
  if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
    echo "fuzz target $t has no committed seed corpus in fuzz/$corpus" >&2; exit 1
  fi
  # Work on a copy so new inputs found here never dirty the committed corpus.
  work=$(mktemp -d); cp -r "$corpus"/. "$work"/
  echo "--- $t: replay $(ls "$corpus" | wc -l) seeds, then ${SECONDS_PER_TARGET}s"
  cargo fuzz run -s none -O "$t" "$work" -- -runs=0 >/dev/null 2>"$work.log" || { cat "$work.log"; exit 1; }
  cargo fuzz run -s none -O "$t" "$work" -- -max_total_time="$SECONDS_PER_TARGET" >/dev/null 2>"$work.log" || { tail -50 "$work.log"; exit 1; }
  tail -1 "$work.log"
  rm -rf "$work" "$work.log"
done
