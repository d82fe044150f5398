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
  CONCLAB_BIN_DIR=$bin_dir CONCLAB_RESULTS_DIR=$SCRATCH/results CONCLAB_PLOTS_DIR=$SCRATCH/plots \
    "$run_all" --quick --runs 2 "$name" || fail "run_all.sh exited with $?"

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
  grep -q "^$name" "$latest/summary.tsv" || fail "summary.tsv has no line for $name"
  [[ -z $(find "$SCRATCH/results/runs" -name '*.partial') ]] || fail "a .partial run was left"
  echo "ok   run_all.sh --quick $name: results, verification, hyperfine export and plots"
}

main "$@"
