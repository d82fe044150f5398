#!/usr/bin/env bash
# conclab-results history on a made-up results/history.jsonl: a step in a
# series is found between the right two runs, a flat or short series has
# none, a line that is no JSON is skipped, a missing file is exit 2.
#   check_history.sh CONCLAB_RESULTS
set -euo pipefail

TOOL=$1
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# record RUN VARIANT SPEEDUP [HOST]: one history line of experiment demo.
record() {
  jq -n -c --arg run "$1" --arg v "$2" --argjson s "$3" --arg host "${4:-box}" \
    '{run: $run, date: $run, git_commit: ("c0mmit" + $run), host: $host, cores: 2, size: "book",
      experiment: "demo", variant: $v, baseline: "seq", speedup: $s}'
}

main() {
  local history=$SCRATCH/history.jsonl out status i
  local threads=(1.91 1.95 1.88 1.93 1.90 1.22 1.25 1.19 1.21 1.24)
  local flat=(1.50 1.62 1.41 1.55 1.47 1.58 1.44 1.53 1.49 1.60)
  {
    for i in "${!threads[@]}"; do
      record "r$i" threads "${threads[i]}"
      record "r$i" flat "${flat[i]}"
      record "r$i" seq 1
      ((i >= 6)) || record "r$i" threads 1.9 other-host
      ((i != 3)) || echo '{"run": "cut short'
    done
  } >"$history"
  out=$("$TOOL" history "$history")
  echo "$out"
  grep -q '^demo threads (box, book): step after run r4 (commit c0mmitr4) to run r5 (commit c0mmitr5): 1.91 -> 1.22 (-36.1%), 5 runs before, 5 after, p 0.0079$' <<<"$out" ||
    fail "the step in threads is not found between r4 and r5"
  ! grep -q 'flat\|other-host' <<<"$out" || fail "a step in a flat or short series"
  grep -q '^1 step in 3 series of ' <<<"$out" || fail "no tally of 1 step in 3 series"
  "$TOOL" history "$history" --min-segment=6 | grep -q '^0 steps' || fail "--min-segment=6: a step with 5 runs a side"
  "$TOOL" history "$history" --threshold=40 | grep -q '^0 steps' || fail "--threshold=40: a 36 % step"
  for bad in "$SCRATCH/none.jsonl" "$history --min-segment=1" "$history --threshold=x" "$history --what"; do
    status=0
    # shellcheck disable=SC2086 # the words of each case
    "$TOOL" history $bad >/dev/null 2>&1 || status=$?
    [[ $status -eq 2 ]] || fail "history $bad: exit $status, expected 2"
  done
  echo "ok   a step found between its runs; none in flat or short series; bad input exit 2"
}

main
