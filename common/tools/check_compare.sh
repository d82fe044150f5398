#!/usr/bin/env bash
# conclab-results on synthetic runs: a clearly worse speedup is a regression
# (exit 1); the same run, or noisy runs with an equal speedup, are not (exit 0).
#   check_compare.sh CONCLAB_RESULTS
set -euo pipefail

TOOL=$1
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# make_run NAME SEQ_TIMES THREADS_TIMES: a run folder as run_all.sh leaves it.
make_run() {
  local dir=$SCRATCH/$1
  mkdir -p "$dir/demo"
  jq -n '{cpu: "Test CPU", cores: 2}' >"$dir/meta.json"
  jq -n --argjson seq "$2" --argjson threads "$3" \
    '{results: [{command: "seq", times: $seq}, {command: "threads", times: $threads}]}' \
    >"$dir/demo/hyperfine.json"
  "$TOOL" summarize "$dir"
  jq -e '.experiments.demo.threads | .speedup_low <= .speedup and .speedup <= .speedup_high' \
    "$dir/summary.json" >/dev/null || fail "$1: speedup outside its own interval"
}

# make_python_run NAME PY_THREADS_TIMES: C as in base, CPython's py-threads
# over py-seq as given.
make_python_run() {
  local dir=$SCRATCH/$1 ten='[1.00,1.01,0.99,1.02,0.98,1.00,1.01,0.99,1.00,1.02]'
  mkdir -p "$dir/demo"
  jq -n '{cpu: "Test CPU", cores: 2}' >"$dir/meta.json"
  jq -n --argjson ten "$ten" --argjson py "$2" '{results: [
      {command: "seq", times: $ten}, {command: "threads", times: ($ten | map(. / 2))},
      {command: "py-seq", times: $ten}, {command: "py-threads", times: $py}]}' \
    >"$dir/demo/hyperfine.json"
  "$TOOL" summarize "$dir"
}

# expect STATUS BASELINE CURRENT
expect() {
  local status=0
  "$TOOL" compare "$SCRATCH/$2/summary.json" "$SCRATCH/$3/summary.json" || status=$?
  [[ $status -eq $1 ]] || fail "compare $2 $3: exit $status, expected $1"
  echo "ok   compare $2 against $3: exit $status"
}

main() {
  make_run base '[1.00,1.01,0.99,1.02,0.98,1.00,1.01,0.99,1.00,1.02]' \
    '[0.50,0.51,0.49,0.50,0.52,0.50,0.49,0.51,0.50,0.50]'
  make_run worse '[1.00,1.01,0.99,1.02,0.98,1.00,1.01,0.99,1.00,1.02]' \
    '[0.80,0.81,0.79,0.80,0.82,0.80,0.79,0.81,0.80,0.80]'
  make_run noisy '[0.70,1.30,0.90,1.20,0.80,1.10,1.00,0.75,1.25,0.95]' \
    '[0.62,0.38,0.55,0.42,0.60,0.45,0.50,0.65,0.40,0.52]'
  # As noisy, the variant 0.1 s slower: the median speedup drops past the
  # threshold, but within the noise of both runs.
  make_run noisy2 '[1.20,0.80,1.05,0.72,1.28,0.90,1.00,1.15,0.85,0.98]' \
    '[0.72,0.48,0.65,0.52,0.70,0.55,0.60,0.75,0.50,0.62]'
  expect 0 base base
  expect 1 base worse
  expect 0 base noisy
  expect 0 noisy noisy2
  expect 0 worse base
  # Clearly worse, but from 3 runs: no verdict, so no failure.
  make_run few_base '[1.00,1.01,0.99]' '[0.50,0.51,0.49]'
  make_run few_worse '[1.00,1.01,0.99]' '[0.80,0.81,0.79]'
  expect 0 few_base few_worse
  # The same times, but the first variant (the speedups' reference) changed:
  # threads is now the baseline, so nothing is compared.
  mkdir -p "$SCRATCH/reordered/demo"
  cp "$SCRATCH/base/meta.json" "$SCRATCH/reordered/"
  jq '.results |= reverse' "$SCRATCH/worse/demo/hyperfine.json" >"$SCRATCH/reordered/demo/hyperfine.json"
  "$TOOL" summarize "$SCRATCH/reordered"
  expect 0 base reordered
  "$TOOL" compare "$SCRATCH/base/summary.json" "$SCRATCH/reordered/summary.json" |
    grep -q "not compared: over seq then, over threads now" || fail "a new baseline variant is compared"
  # CPython's speedup clearly worse, conclab's the same: shown, not counted.
  make_python_run py_base '[0.50,0.51,0.49,0.50,0.52,0.50,0.49,0.51,0.50,0.50]'
  make_python_run py_worse '[0.80,0.81,0.79,0.80,0.82,0.80,0.79,0.81,0.80,0.80]'
  expect 0 py_base py_worse
  "$TOOL" compare "$SCRATCH/py_base/summary.json" "$SCRATCH/py_worse/summary.json" |
    grep -q "py-threads .*REGRESSION (CPython: shown, not counted)" ||
    fail "CPython's regression is not shown as such"
  "$TOOL" compare "$SCRATCH/few_base/summary.json" "$SCRATCH/few_worse/summary.json" |
    grep -q "too few runs" || fail "3 runs: no 'too few runs' verdict"
  local status=0
  "$TOOL" compare "$SCRATCH/base/summary.json" "$SCRATCH/nothing.json" 2>/dev/null || status=$?
  [[ $status -eq 2 ]] || fail "a missing file: exit $status, expected 2"
  "$TOOL" compare "$SCRATCH/base/summary.json" "$SCRATCH/base/summary.json" --threshold=x 2>/dev/null ||
    status=$?
  [[ $status -eq 2 ]] || fail "a bad threshold: exit $status, expected 2"
  echo "ok   bad input: exit 2"
}

main
