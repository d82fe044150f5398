#!/usr/bin/env bash
# The driver end to end: `run_all.sh --quick EXPERIMENT` on already built
# binaries, into a scratch folder, must leave a complete run behind.
#   check_run_all.sh RUN_ALL BIN_DIR EXPERIMENT
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

main() {
  local run_all=$1 bin_dir=$2 name=$3 latest variant
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT
  export CONCLAB_BIN_DIR=$bin_dir CONCLAB_RESULTS_DIR=$SCRATCH/results CONCLAB_PLOTS_DIR=$SCRATCH/plots
  "$run_all" --quick --runs 2 --save-baseline "$name" || fail "run_all.sh exited with $?"

  latest=$SCRATCH/results/latest
  [[ -L $latest && -d $latest ]] || fail "results/latest is not a link to the run"
  jq -e '.cores >= 1 and (.git_commit | length > 0) and .size == "quick"' "$latest/meta.json" >/dev/null ||
    fail "meta.json incomplete"
  while IFS=$'\t' read -r variant _; do
    jq -e '.ok == true' "$latest/$name/verify-$variant.json" >/dev/null ||
      fail "no right answer kept for $variant"
    jq -e --arg v "$variant" 'any(.results[]; .command == $v and (.times | length) == 2)' \
      "$latest/$name/hyperfine.json" >/dev/null || fail "$variant not timed by hyperfine"
  done < <("$bin_dir/$name" --list)
  for plot in "$latest/$name/$name.svg" "$latest/$name/$name.png" "$SCRATCH/plots/$name.png"; do
    [[ -s $plot ]] || fail "plot $plot missing"
  done
  jq -e --arg e "$name" '.experiments[$e] | to_entries | length > 0 and
      all(.[]; .value.speedup_low <= .value.speedup and .value.speedup <= .value.speedup_high)' \
    "$latest/summary.json" >/dev/null || fail "summary.json has no speedups for $name"
  [[ -z $(find "$SCRATCH/results/runs" -name '*.partial') ]] || fail "a .partial run was left"
  echo "ok   run_all.sh --quick $name: results, verification, hyperfine export, summary, plots"

  # A second run: compared with the first (saved as the baseline), two points of history.
  sleep 1 # run folders are named by the second
  "$run_all" --quick --runs 2 --compare "$SCRATCH/results/baseline.json" --threshold 100 "$name" ||
    fail "second run with --compare exited with $?"
  [[ $(find "$SCRATCH/results/runs" -mindepth 1 -maxdepth 1 | wc -l) -eq 2 ]] || fail "not two runs"
  [[ $(jq -r .date "$SCRATCH/results/history.jsonl" | sort -u | wc -l) -eq 2 ]] ||
    fail "history.jsonl does not hold two runs"
  latest=$SCRATCH/results/latest
  [[ -s $latest/compare.txt && -s $latest/$name/$name-trend.png ]] || fail "no verdicts or trend plot"
  local image
  for image in $(grep -o '([^)]*\.svg)' "$latest/REPORT.md" | tr -d '()'); do
    [[ -s $latest/$image ]] || fail "REPORT.md shows $image, which is missing"
  done
  echo "ok   a second run compared with the baseline; history has two runs; REPORT.md complete"

  local status=0
  "$run_all" --quick --nonsense 2>/dev/null || status=$?
  [[ $status -eq 2 ]] || fail "an unknown option: exit $status, expected 2"
  status=0
  "$run_all" --quick no-such-experiment 2>/dev/null || status=$?
  [[ $status -eq 2 ]] || fail "an unknown experiment: exit $status, expected 2"
  echo "ok   bad command lines: exit 2"

  status=0
  CONCLAB_RESULTS_DIR=/dev/null/results "$run_all" --quick "$name" 2>"$SCRATCH/err" || status=$?
  if [[ $status -ne 1 ]] || ! grep -q "cannot write results" "$SCRATCH/err"; then
    fail "an unwritable results folder: exit $status, $(cat "$SCRATCH/err")"
  fi
  echo "ok   an unwritable results folder: a clear error, exit 1"
}

main "$@"
