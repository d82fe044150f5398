#!/usr/bin/env bash
# The driver end to end: `run_all.sh --quick EXPERIMENT` on already built
# binaries, into a scratch folder, must leave a complete run behind.
#   check_run_all.sh RUN_ALL BIN_DIR EXPERIMENT
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# When the experiment has a book.json, book.md holds its table: the baseline's
# row first (even without a figure of the source's), a row per figure, a
# speedup row per figure but the baseline, every row with all five columns.
check_book_table() {
  local book=$1 table=$2 name=$3 baseline variant rows
  [[ -f $book ]] || return 0
  [[ -s $table ]] || fail "no book.md although $book exists"
  grep -qx "### $name" "$table" || fail "book.md has no table for $name"
  baseline=$(jq -r .baseline "$book")
  rows=$(sed -n "/^### $name\$/,/^### /p" "$table" | grep '^| ')
  [[ $(sed -n 2p <<<"$rows") == "| $baseline | "* ]] || fail "book.md: $baseline is not the first row"
  while IFS= read -r variant; do
    grep -q "^| $variant | " <<<"$rows" || fail "book.md: no row for $variant"
    [[ $variant == "$baseline" ]] || grep -q "^| speedup $baseline/$variant | " <<<"$rows" ||
      fail "book.md: no speedup row for $variant"
  done < <(jq -r '.figures_s | keys[]' "$book")
  awk -F'|' 'NF != 7 { exit 1 }' <<<"$rows" || fail "book.md: a row without five columns"
  echo "ok   book.md: the source's figures for $name beside this run's"
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
  # The C compiler that built the programs, with its version and flags.
  jq -e '.compiler | (.id | length > 0) and (.version | test("^[0-9]+[.]")) and (.flags | test("-std=c"))' \
    "$latest/meta.json" >/dev/null || fail "meta.json does not name the C compiler, its version and flags"
  while IFS=$'\t' read -r variant _; do
    jq -e '.ok == true' "$latest/$name/verify-$variant.json" >/dev/null ||
      fail "no right answer kept for $variant"
    jq -e --arg v "$variant" 'any(.results[]; .command == $v and (.times | length) == 2)' \
      "$latest/$name/hyperfine.json" >/dev/null || fail "$variant not timed by hyperfine"
  done < <("$bin_dir/$name" --list)
  for plot in "$latest/$name/$name.svg" "$latest/$name/$name.png" "$SCRATCH/plots/$name.png" \
    "$latest/$name/$name-speedup.svg" "$latest/$name/$name-speedup.png" "$SCRATCH/plots/$name-speedup.png"; do
    [[ -s $plot ]] || fail "plot $plot missing"
  done
  grep -qF "data-chart=\"$name-speedup.svg\"" "$latest/index.html" || fail "index.html lacks the speedup chart"
  jq -e --arg e "$name" '.experiments[$e] | to_entries | length > 0 and
      all(.[]; .value.speedup_low <= .value.speedup and .value.speedup <= .value.speedup_high)' \
    "$latest/summary.json" >/dev/null || fail "summary.json has no speedups for $name"
  [[ -z $(find "$SCRATCH/results/runs" -name '*.partial') ]] || fail "a .partial run was left"
  echo "ok   run_all.sh --quick $name: results, verification, hyperfine export, summary, plots"
  check_book_table "$(dirname "$run_all")/benchmarks/$name/book.json" "$latest/book.md" "$name"

  # A second run: compared with the first (saved as the baseline), two points of history.
  "$run_all" --quick --runs 2 --compare "$SCRATCH/results/baseline.json" --threshold 100 "$name" ||
    fail "second run with --compare exited with $?"
  [[ $(find "$SCRATCH/results/runs" -mindepth 1 -maxdepth 1 | wc -l) -eq 2 ]] || fail "not two runs"
  [[ $(jq -r .run "$SCRATCH/results/history.jsonl" | sort -u | wc -l) -eq 2 ]] ||
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

  check_failing_experiment "$run_all" "$bin_dir/$name"
}

# A program that crashes (SIGSEGV) beside a good one: the crash is reported,
# the good one still runs, the script exits 1, results/latest stays.
check_failing_experiment() {
  local run_all=$1 good=$2 fake=$SCRATCH/fake-bin before status=0 kept
  mkdir -p "$fake"
  ln -s "$good" "$fake/$(basename "$good")"
  ln -s "$(dirname "$(dirname "$good")")/tools" "$SCRATCH/tools" # run_all.sh's own tools
  cat >"$fake/aaa_crashes" <<'PROGRAM'
#!/usr/bin/env bash
case $1 in
  --list) printf 'crash\t--mode=crash\n' ;;
  --sweep) ;;
  *) kill -SEGV $$ ;;
esac
PROGRAM
  chmod +x "$fake/aaa_crashes"
  before=$(readlink "$SCRATCH/results/latest")
  CONCLAB_BIN_DIR=$fake "$run_all" --quick --runs 2 >"$SCRATCH/failing.log" 2>&1 || status=$?
  [[ $status -eq 1 ]] || fail "a crashing experiment: exit $status, expected 1"
  grep -q "failed: aaa_crashes" "$SCRATCH/failing.log" || fail "the crash is not reported"
  [[ $(readlink "$SCRATCH/results/latest") == "$before" ]] || fail "results/latest changed"
  kept=$(find "$SCRATCH/results/runs" -maxdepth 1 -name '*-failed' | head -n 1)
  [[ -n $kept ]] || fail "the failed run was not kept as -failed"
  jq -e '.results | length > 0' "$kept/$(basename "$good")/hyperfine.json" >/dev/null ||
    fail "the good experiment did not run after the crash"
  echo "ok   a crashing experiment is reported, the next one still runs, exit 1, latest kept"
}

main "$@"
