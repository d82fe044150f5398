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

# The rank test's p and effect in compare.txt's lines and in --json; a
# baseline made before the runs' speedups were kept is judged by the
# intervals, and says so.
check_rank_test() {
  local out
  out=$("$TOOL" compare "$SCRATCH/base/summary.json" "$SCRATCH/worse/summary.json" \
    --json="$SCRATCH/compare.json") || true
  grep -Eq '^demo +threads +2\.00 +1\.25 +-37\.5% +0\.00014 +1\.00  REGRESSION$' <<<"$out" ||
    fail "no p and effect in the verdict line: $out"
  jq -e '.experiments.demo.threads | .verdict == "REGRESSION" and .p < 0.01 and .p_worse == 1
         and (.ratio * 1000 | round) == 625' "$SCRATCH/compare.json" >/dev/null ||
    fail "--json: no verdict with p and effect"
  # 15 % lower, but the runs' speedups overlap: p = 0.089, no verdict.
  "$TOOL" compare "$SCRATCH/noisy/summary.json" "$SCRATCH/noisy2/summary.json" |
    grep -Eq '^demo +threads .*-15\.1% +0\.089 .* same$' || fail "an unsure drop past the threshold is called"
  mkdir -p "$SCRATCH/old"
  jq 'del(.experiments[][].speedup_runs)' "$SCRATCH/base/summary.json" >"$SCRATCH/old/summary.json"
  expect 1 old worse
  out=$("$TOOL" compare "$SCRATCH/old/summary.json" "$SCRATCH/worse/summary.json") || true
  grep -q "judged by the intervals alone" <<<"$out" || fail "an old baseline: the intervals' verdict not said"
  echo "ok   p and effect in compare's lines and --json; old baselines by intervals"
}

# A comparison between runs in another machine state says so in its lines.
check_machine_state() {
  mkdir -p "$SCRATCH/pinned"
  jq '.meta += {state: {pinned_cpus: "0", aslr: 0}, load: {demo: {load_before: 3.5, load_after: 2.0,
        steal_percent: 12}}}' "$SCRATCH/worse/summary.json" >"$SCRATCH/pinned/summary.json"
  local out
  out=$("$TOOL" compare "$SCRATCH/base/summary.json" "$SCRATCH/pinned/summary.json") || true
  grep -q 'REGRESSION \[machine differs: pinned to CPUs none then, 0 now, load 3.5 on 2 cores now, 12 % stolen now\]$' <<<"$out" ||
    fail "the machine's state is not in the verdict line"
  out=$("$TOOL" compare "$SCRATCH/base/summary.json" "$SCRATCH/worse/summary.json") || true
  ! grep -q 'machine differs' <<<"$out" ||
    fail "a machine difference where there is none"
  echo "ok   the machine's state in the verdict line"
}

# conclab-results ab on made-up interleaved times.
check_ab() {
  local dir=$SCRATCH/ab status
  mkdir -p "$dir"
  jq -n '{cpu: "Test CPU", cores: 2}' >"$dir/meta.json"
  jq -n '{experiments: {demo: {
      seq: {a: [1.00,1.01,0.99,1.02,0.98,1.00,1.03,0.97,1.04,0.96],
            b: [1.01,0.99,1.00,1.02,0.98,1.005,0.995,1.015,0.985,1.025]},
      threads: {a: [0.50,0.51,0.49,0.52,0.48,0.505,0.495,0.515,0.485,0.4975],
                b: [0.60,0.61,0.59,0.62,0.58,0.605,0.595,0.615,0.585,0.6025]}}}}' >"$dir/ab.json"
  status=0
  "$TOOL" ab "$dir" >"$dir/out.txt" || status=$?
  [[ $status -eq 1 ]] || fail "ab: a 20 % slower B: exit $status, expected 1"
  grep -Eq '^demo +threads +0\.[0-9]+ +0\.[0-9]+ +1\.20[0-9] \[.*\] +1\.1e-05 +1\.00  REGRESSION$' "$dir/out.txt" ||
    fail "ab: no regression line: $(cat "$dir/out.txt")"
  grep -Eq '^demo +seq .*  same$' "$dir/out.txt" || fail "ab: seq is not the same"
  jq -e '.experiments.demo.threads | .verdict == "REGRESSION" and .p_exact and .p_slower == 1
         and .ratio_low <= .ratio and .ratio <= .ratio_high' "$dir/summary.json" >/dev/null ||
    fail "ab: summary.json lacks the verdict"
  jq '. + {load: {demo: {load_before: 3.0, load_after: 1.0, steal_percent: 0}}}' "$dir/meta.json" >"$dir/busy.json"
  cp "$dir/meta.json" "$dir/quiet.json"
  cp "$dir/busy.json" "$dir/meta.json"
  "$TOOL" ab "$dir" >"$dir/out.txt" || true
  grep -q 'REGRESSION \[machine busy: load 3.0 on 2 cores during it\]$' "$dir/out.txt" ||
    fail "ab: a busy machine is not said: $(cat "$dir/out.txt")"
  cp "$dir/quiet.json" "$dir/meta.json"
  status=0
  "$TOOL" ab "$dir" --threshold=25 >/dev/null || status=$?
  [[ $status -eq 0 ]] || fail "ab: 20 % slower under a 25 % threshold: exit $status"
  jq '.experiments.demo.threads.a |= .[0:3]' "$dir/ab.json" >"$dir/ab.new" && mv "$dir/ab.new" "$dir/ab.json"
  status=0
  "$TOOL" ab "$dir" >"$dir/out.txt" || status=$?
  [[ $status -eq 0 ]] || fail "ab: 3 rounds: exit $status"
  grep -q "threads .*too few runs" "$dir/out.txt" || fail "ab: 3 rounds judged"
  echo '{"experiments": {"demo": {"seq": {"a": [1, "x"], "b": [1]}}}}' >"$dir/ab.json"
  status=0
  "$TOOL" ab "$dir" >/dev/null 2>&1 || status=$?
  [[ $status -eq 2 ]] || fail "ab: a time that is no number: exit $status, expected 2"
  echo "ok   ab: B/A, p, effect and verdict; exit 1 on a regression, 2 on bad input"
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
  check_rank_test
  check_machine_state
  check_ab
  local status=0
  "$TOOL" compare "$SCRATCH/base/summary.json" "$SCRATCH/nothing.json" 2>/dev/null || status=$?
  [[ $status -eq 2 ]] || fail "a missing file: exit $status, expected 2"
  "$TOOL" compare "$SCRATCH/base/summary.json" "$SCRATCH/base/summary.json" --threshold=x 2>/dev/null ||
    status=$?
  [[ $status -eq 2 ]] || fail "a bad threshold: exit $status, expected 2"
  echo "ok   bad input: exit 2"
}

main
