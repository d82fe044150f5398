#!/usr/bin/env bash
# The driver under hostile conditions, one CASE per call, each on a fake
# experiment of a few milliseconds in a scratch folder (no real timing):
#   two_drivers        two drivers at once on one results folder
#   same_second        runs (complete and failing) that start in the same second
#   corrupt_history    a bad line in history.jsonl and a truncated baseline.json
#   hangup_and_kill    SIGHUP and SIGKILL of the driver in the middle of timing
#   compare_first      --compare checked completely before anything is timed
#   other_directory    started from another directory (cmake and ctest stand-ins)
#   quoted_paths       a results path with ', " and spaces (gnuplot quoting)
#   experiment_names   '', '.', '../tools/conclab-results', 'a/b' are unknown
#   commit_interrupt   SIGTERM in the middle of the commit of a run
#   apt_failure        root, a package missing, apt-get failing
#   runs_decimal       --runs 08 and --runs 010 are 8 and 10
#   runs_over_quick    --runs 4 --quick times 4 runs
#   compare_empty      --compare= and --compare '' are refused
#   compare_without_jq --compare with jq missing names jq
#   closed_stdout      stdout closed, or read by `head -n 1`
#   readonly_plots     a read-only plots folder is found before any timing
#
#   check_run_all_cases.sh CASE RUN_ALL BIN_DIR
# Of BIN_DIR only the results tool beside it (../tools) is used.
set -euo pipefail

readonly SKIPPED=77
STARTED=() # background drivers this script started
MOUNTED=() # tmpfs mounts to undo

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

ok() {
  echo "ok   $*"
}

# Ends what a failing case may have left running (by pid: the drivers this
# script started and whatever runs from the scratch folder), then removes it.
cleanup() {
  local pid mount
  for pid in "${STARTED[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in $(pgrep -f -- "$SCRATCH/" || true); do kill -KILL "$pid" 2>/dev/null || true; done
  for mount in "${MOUNTED[@]}"; do umount "$mount" 2>/dev/null || true; done
  rm -rf "$SCRATCH"
}

# The scratch folder, a fake bin folder beside the real results tool, and
# the environment that points the driver at them.  tiny has two variants
# that take a few milliseconds (or FAKE_NAP seconds, through nap, which
# pgrep -f finds by its path), par reports how evenly its two workers shared
# the work, and with FAKE_SWEEP set a sweep over workers in two series;
# crashes dies of SIGSEGV.
setup() {
  SCRATCH=$(mktemp -d)
  trap cleanup EXIT
  FAKE=$SCRATCH/fake
  mkdir -p "$FAKE/bin" "$SCRATCH/shims"
  ln -s "$(cd "$(dirname "$BIN_DIR")" && pwd)/tools" "$FAKE/tools"
  ln -s "$(command -v sleep)" "$FAKE/nap"
  cat >"$FAKE/bin/tiny" <<'PROGRAM'
#!/usr/bin/env bash
case $1 in
  --list) printf 'seq\t--mode=seq\npar\t--mode=par\n' ;;
  --sweep)
    if [[ -n ${FAKE_SWEEP:-} ]]; then
      printf 'par\t--mode=par --workers={workers}\tstrong\neach\t--mode=par --each={workers}\tweak\n'
    fi
    ;;
  *)
    if [[ ${FAKE_NAP:-0} != 0 ]]; then "$(dirname "$0")/../nap" "$FAKE_NAP"; fi
    if [[ " $* " == *" --json "* && " $* " == *" --mode=par "* ]]; then
      echo '{"experiment": "tiny", "variant": "par", "ok": true, "metrics": {"tasks_per_worker_min": {"value": 1, "unit": "tasks"}, "tasks_per_worker_max": {"value": 3, "unit": "tasks"}, "tasks_per_worker_cv": {"value": 0.71, "unit": ""}}, "data": {"tasks_per_worker": [3, 1]}}'
    elif [[ " $* " == *" --json "* ]]; then
      echo '{"experiment": "tiny", "ok": true}'
    fi
    ;;
esac
PROGRAM
  cat >"$FAKE/bin/crashes" <<'PROGRAM'
#!/usr/bin/env bash
case $1 in
  --list) printf 'crash\t--mode=crash\n' ;;
  --sweep) ;;
  *) kill -SEGV $$ ;;
esac
PROGRAM
  chmod +x "$FAKE/bin/tiny" "$FAKE/bin/crashes"
  RESULTS=$SCRATCH/results
  export CONCLAB_BIN_DIR=$FAKE/bin CONCLAB_RESULTS_DIR=$RESULTS CONCLAB_PLOTS_DIR=$SCRATCH/plots
}

run_all() {
  "$RUN_ALL" --no-python "$@"
}

# A quick run of tiny, two runs per variant.
run_tiny() {
  run_all --quick --runs 2 "$@" tiny
}

# Writes an executable stand-in for command $1 into the shims folder (put
# it first in PATH to use it); the script is read from stdin.
shim() {
  cat >"$SCRATCH/shims/$1"
  chmod +x "$SCRATCH/shims/$1"
}

# A `date` that gives every run id the same second (other formats pass).
fixed_clock() {
  shim date <<'SHIM'
#!/usr/bin/env bash
if [[ $* == "-u +%Y%m%dT%H%M%SZ" ]]; then echo 20240101T000000Z; else PATH=${PATH#*:} exec date "$@"; fi
SHIM
}

# Prints a PATH folder with every command of the usual folders but those named.
path_without() {
  local farm=$SCRATCH/farm dir tool
  mkdir -p "$farm"
  for dir in /usr/local/bin /usr/bin /bin /usr/local/sbin /usr/sbin /sbin; do
    if [[ -d $dir ]]; then ln -s "$dir"/* "$farm/" 2>/dev/null || true; fi
  done
  for tool; do rm -f "$farm/$tool"; done
  echo "$farm"
}

# Writes a small valid summary.json for tiny to $1.
write_summary() {
  jq -n '{meta: {cpu: "x", cores: 2}, ci_method: "test",
          experiments: {tiny: {
            seq: {runs: 2, median_s: 0.01, baseline: "seq", speedup: 1, speedup_low: 1, speedup_high: 1},
            par: {runs: 2, median_s: 0.005, baseline: "seq", speedup: 2, speedup_low: 1.5, speedup_high: 2.5}}}}' >"$1"
}

# The folder names of the complete runs, one a line.
complete_runs() {
  [[ -d $RESULTS/runs ]] || return 0
  find "$RESULTS/runs" -mindepth 1 -maxdepth 1 -type d ! -name '*-failed' ! -name '*-interrupted' \
    ! -name '*.partial' -printf '%f\n' | sort
}

# The results folder is consistent and holds $1 complete runs: no run in
# progress, no run folder inside another, latest one of the complete runs,
# history.jsonl the records of exactly the complete runs (2 variants each).
check_results() {
  local expected=$1 complete history_runs latest
  if [[ -d $RESULTS/runs ]]; then
    [[ -z $(find "$RESULTS/runs" -name '*.partial') ]] || fail "a .partial folder left: $(find "$RESULTS/runs" -name '*.partial')"
    [[ -z $(find "$RESULTS/runs" -mindepth 2 -maxdepth 2 -type d ! -name tiny ! -name crashes) ]] ||
      fail "a run folder inside another: $(find "$RESULTS/runs" -mindepth 2 -maxdepth 2 -type d)"
  fi
  complete=$(complete_runs)
  [[ $(grep -c . <<<"$complete") -eq $expected ]] || fail "$expected complete runs expected, found: $complete"
  ((expected > 0)) || return 0
  latest=$(readlink "$RESULTS/latest") || fail "no results/latest"
  [[ -d $RESULTS/latest ]] || fail "results/latest -> $latest: no such folder"
  grep -qx "$(basename "$latest")" <<<"$complete" || fail "results/latest -> $latest: not a complete run"
  history_runs=$(jq -r '.run // "(a record without a run id)"' "$RESULTS/history.jsonl" | sort -u)
  [[ $history_runs == "$complete" ]] || fail "history.jsonl holds runs [$history_runs], the complete ones are [$complete]"
  [[ $(grep -c . "$RESULTS/history.jsonl") -eq $((2 * expected)) ]] || fail "history.jsonl: not 2 records per run"
}

# shellcheck source=benchmarks/harness/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

# True once nothing runs from the fake bin folder, within $1 seconds.
fake_processes_end_within() {
  local tries
  for ((tries = 0; tries < $1 * 10; tries++)); do
    pgrep -f -- "$FAKE/" >/dev/null || return 0
    sleep 0.1
  done
  pgrep -af -- "$FAKE/" >&2 || true
  return 1
}

# Starts a long run of tiny (each call 0.2 s) in the background as DRIVER
# (run_all.sh itself, not a subshell) and waits until hyperfine times it.
start_long_run() {
  FAKE_NAP=0.2 "$RUN_ALL" --no-python --quick --runs 50 tiny >"$SCRATCH/long.log" 2>&1 &
  DRIVER=$!
  STARTED+=("$DRIVER")
  wait_for_process "hyperfine .*$FAKE/bin/tiny"
}

# ---- the cases -------------------------------------------------------------------

case_two_drivers() {
  local first second status
  fixed_clock
  PATH=$SCRATCH/shims:$PATH FAKE_NAP=0.2 "$RUN_ALL" --no-python --quick --runs 2 tiny \
    >"$SCRATCH/first.log" 2>&1 &
  first=$!
  PATH=$SCRATCH/shims:$PATH FAKE_NAP=0.2 "$RUN_ALL" --no-python --quick --runs 2 tiny \
    >"$SCRATCH/second.log" 2>&1 &
  second=$!
  STARTED+=("$first" "$second")
  wait "$first" || fail "the first driver exited with $?: $(cat "$SCRATCH/first.log")"
  status=0
  wait "$second" || status=$?
  ((status == 0)) || fail "the second driver exited with $status: $(cat "$SCRATCH/second.log")"
  check_results 2
  grep -q "waiting for the run" "$SCRATCH/first.log" "$SCRATCH/second.log" ||
    fail "neither driver waited for the other"
  ok "two drivers at once (and in the same second): one waits, two complete runs, history and latest consistent"
}

case_same_second() {
  local first status
  fixed_clock
  PATH=$SCRATCH/shims:$PATH run_tiny >/dev/null || fail "the first run exited with $?"
  first=$(readlink "$RESULTS/latest")
  PATH=$SCRATCH/shims:$PATH run_tiny >/dev/null || fail "the second run exited with $?"
  check_results 2
  [[ $(readlink "$RESULTS/latest") != "$first" ]] || fail "results/latest kept the older run"
  for _ in 1 2; do
    status=0
    PATH=$SCRATCH/shims:$PATH run_all --quick --runs 2 crashes >/dev/null 2>&1 || status=$?
    ((status == 1)) || fail "a crashing run exited with $status, expected 1"
  done
  check_results 2
  [[ $(find "$RESULTS/runs" -mindepth 1 -maxdepth 1 -name '*-failed' | wc -l) -eq 2 ]] ||
    fail "not two -failed runs: $(ls "$RESULTS/runs")"
  ok "runs in the same second: four folders side by side, latest the newer complete run, no .partial"
}

case_corrupt_history() {
  local good err=$SCRATCH/err
  mkdir -p "$RESULTS"
  good='{"run":"old","date":"2024-01-01T00:00:00Z","host":"elsewhere","size":"quick","experiment":"tiny","variant":"par","baseline":"seq","speedup":2,"speedup_low":1,"speedup_high":3}'
  # A bad line in the middle, and a last line cut short by a full disk.
  printf '%s\n%s\n%s\n%s' "$good" '{"date": "2024-01-0' "$good" '{"run":' >"$RESULTS/history.jsonl"
  printf '{"experiments": {"tiny": {"par": {"speedup": 1.' >"$RESULTS/baseline.json"
  run_tiny >/dev/null 2>"$err" || fail "exited with $?: $(cat "$err")"
  grep "warning" "$err" | grep "history.jsonl" | grep -q "line 2" ||
    fail "no warning naming history.jsonl's line 2: $(cat "$err")"
  grep "warning" "$err" | grep -q "baseline.json" || fail "no warning naming baseline.json: $(cat "$err")"
  [[ $(grep -c . "$err") -eq 2 ]] || fail "not one line per corrupt file: $(cat "$err")"
  [[ -d $RESULTS/latest && -s $RESULTS/latest/tiny/tiny-trend.png ]] || fail "the run is not latest, or no trend plot"
  [[ $(jq -R 'fromjson? | objects' "$RESULTS/history.jsonl" | jq -s length) -eq 4 ]] ||
    fail "history.jsonl: not the 2 good records and the run's 2"
  grep -qx '{"date": "2024-01-0' "$RESULTS/history.jsonl" || fail "the bad line was dropped, not kept"
  ok "a bad history line and a truncated baseline: one warning each, the run completes and is recorded"
}

case_hangup_and_kill() {
  local status=0 err=$SCRATCH/err
  start_long_run
  kill -HUP "$DRIVER"
  wait "$DRIVER" || status=$?
  ((status == 129)) || fail "after SIGHUP the driver exited with $status, expected 129"
  fake_processes_end_within 5 || fail "hyperfine or the program outlived the hung-up driver"
  [[ -z $(find "$RESULTS/runs" -name '*.partial') ]] || fail "a .partial folder left after SIGHUP"
  [[ -n $(find "$RESULTS/runs" -maxdepth 1 -name '*-interrupted') ]] || fail "no -interrupted run after SIGHUP"
  ok "SIGHUP: exit 129, the run kept as -interrupted, no process left"

  start_long_run
  kill -KILL "$DRIVER"
  wait "$DRIVER" 2>/dev/null || true
  fake_processes_end_within 10 || fail "hyperfine or the program outlived the killed driver"
  ok "SIGKILL: hyperfine and the program end with the driver"
  run_tiny >/dev/null 2>"$err" || fail "the next run exited with $?: $(cat "$err")"
  [[ -z $(find "$RESULTS/runs" -name '*.partial') ]] || fail "the killed run's .partial folder stayed"
  [[ $(find "$RESULTS/runs" -maxdepth 1 -name '*-interrupted' | wc -l) -eq 2 ]] ||
    fail "the killed run was not kept as -interrupted: $(ls "$RESULTS/runs")"
  grep -q "interrupted" "$err" || fail "the next run did not say what it did with the stale run"
  check_results 1
  ok "the next run keeps the killed run as -interrupted"
}

case_compare_first() {
  local bad=$SCRATCH/bad status err=$SCRATCH/err file
  mkdir -p "$bad"
  : >"$bad/empty.json"
  printf '{"experiments": {"tiny": ' >"$bad/truncated.json"
  echo '{"experiments": true}' >"$bad/not-an-object.json"
  echo '{"experiments": {}}' >"$bad/no-experiment.json"
  write_summary "$SCRATCH/good.json"
  jq '.experiments.tiny.par.speedup = "2"' "$SCRATCH/good.json" >"$bad/speedup-text.json"
  jq 'del(.experiments.tiny.par.speedup_low)' "$SCRATCH/good.json" >"$bad/no-interval.json"
  for file in /dev/null "$bad"/*.json; do
    status=0
    run_tiny --compare "$file" >/dev/null 2>"$err" || status=$?
    ((status == 2)) || fail "--compare $file: exit $status, expected 2 ($(cat "$err"))"
    [[ $(grep -c . "$err") -eq 1 ]] || fail "--compare $file: not one line: $(cat "$err")"
    [[ -z $(ls -A "$RESULTS/runs" 2>/dev/null) ]] || fail "--compare $file: a run started"
  done
  ok "a bad --compare file (/dev/null, empty, truncated, wrong shapes): exit 2, one line, nothing timed"

  # The results tool fails after the run has started: the run is kept as
  # -failed, never left as .partial.
  mkdir -p "$SCRATCH/broken/bin" "$SCRATCH/broken/tools"
  ln -s "$FAKE/bin/tiny" "$SCRATCH/broken/bin/tiny"
  sed "s|@REAL@|$FAKE/tools/conclab-results|" >"$SCRATCH/broken/tools/conclab-results" <<'TOOL'
#!/usr/bin/env bash
[[ $1 != compare ]] || { echo "conclab-results: broken on purpose" >&2; exit 3; }
exec "@REAL@" "$@"
TOOL
  chmod +x "$SCRATCH/broken/tools/conclab-results"
  status=0
  CONCLAB_BIN_DIR=$SCRATCH/broken/bin run_tiny --compare "$SCRATCH/good.json" >/dev/null 2>"$err" || status=$?
  ((status == 1)) || fail "a failing comparison: exit $status, expected 1"
  [[ -z $(find "$RESULTS/runs" -name '*.partial') ]] || fail "a failing comparison left a .partial folder"
  [[ -n $(find "$RESULTS/runs" -maxdepth 1 -name '*-failed') ]] || fail "a failing comparison: no -failed run"
  ok "a failure after the run started: exit 1, the run kept as -failed, no .partial"
}

case_other_directory() {
  local root status=0 calls=$SCRATCH/calls
  root=$(cd "$(dirname "$RUN_ALL")" && pwd)
  # cmake and ctest as they behave: presets are read from the current directory.
  for tool in cmake ctest; do
    sed "s|@CALLS@|$calls|; s|@TOOL@|$tool|" <<'SHIM' | shim "$tool"
#!/usr/bin/env bash
[[ -f CMakePresets.json ]] || { echo "CMake Error: Could not read presets from $PWD" >&2; exit 1; }
echo "$PWD @TOOL@ $*" >>"@CALLS@"
SHIM
  done
  printf '#!/bin/sh\necho "apt-get: not in a test" >&2\nexit 100\n' | shim apt-get
  (cd "$SCRATCH" && PATH=$SCRATCH/shims:$PATH "$RUN_ALL" --test) >"$SCRATCH/log" 2>&1 || status=$?
  if grep -q "could not install\|missing:" "$SCRATCH/log"; then
    echo "SKIP: packages are missing here: $(grep "could not install\|missing:" "$SCRATCH/log")"
    exit "$SKIPPED"
  fi
  ((status == 0)) || fail "--test from another directory: exit $status: $(tail -n 3 "$SCRATCH/log")"
  [[ $(grep -c " ctest " "$calls") -eq 3 ]] || fail "not three ctest calls: $(cat "$calls")"
  ! grep -v "^$root " "$calls" || fail "cmake or ctest ran outside $root"
  : >"$calls"
  (cd "$SCRATCH" && env -u CONCLAB_BIN_DIR PATH="$SCRATCH/shims:$PATH" "$RUN_ALL" --quick tiny) \
    >"$SCRATCH/log" 2>&1 || true
  grep -q "^$root cmake --build" "$calls" || fail "the build did not run in $root: $(cat "$calls") $(tail -n 3 "$SCRATCH/log")"
  ! grep -v "^$root " "$calls" || fail "cmake ran outside $root"
  ok "started from another directory: every cmake and ctest call runs in the project root"
}

case_quoted_paths() {
  local odd="$SCRATCH/it's a \"quoted\" dir"
  local plot
  CONCLAB_RESULTS_DIR=$odd/results CONCLAB_PLOTS_DIR=$odd/plots FAKE_SWEEP=1 run_tiny >/dev/null 2>"$SCRATCH/err" ||
    fail "exited with $?: $(cat "$SCRATCH/err")"
  for plot in results/latest/tiny/tiny.svg results/latest/tiny/tiny-trend.png \
    results/latest/tiny/tiny-sweep.png plots/tiny.png; do
    [[ -s $odd/$plot ]] || fail "$plot missing under $odd"
  done
  ok "a results path with ', \" and spaces: plotted"
}

case_experiment_names() {
  local name status
  for name in '' . .. ../tools/conclab-results a/b tiny/ ' tiny'; do
    status=0
    run_all --quick --runs 2 "$name" >/dev/null 2>"$SCRATCH/err" || status=$?
    ((status == 2)) || fail "experiment '$name': exit $status, expected 2"
    grep -q "unknown experiment" "$SCRATCH/err" || fail "experiment '$name': $(cat "$SCRATCH/err")"
  done
  [[ -z $(ls -A "$RESULTS/runs" 2>/dev/null) ]] || fail "a run started"
  ok "experiment names that are no program of the bin folder: exit 2, unknown experiment"
}

# A `mv` that, for the rename onto $SLOW_MV_TARGET, says so (the mark file)
# and takes a second: time to send a signal in the middle of the commit.
case_commit_interrupt() {
  local target driver status tries complete=0
  shim mv <<'SHIM'
#!/usr/bin/env bash
if [[ ${!#} == "$SLOW_MV_TARGET" ]]; then : >"$SLOW_MV_MARK"; sleep 1; fi
PATH=${PATH#*:} exec mv "$@"
SHIM
  for target in history.jsonl latest; do
    rm -f "$SCRATCH/mark"
    SLOW_MV_TARGET=$RESULTS/$target SLOW_MV_MARK=$SCRATCH/mark PATH=$SCRATCH/shims:$PATH \
      "$RUN_ALL" --no-python --quick --runs 2 tiny >"$SCRATCH/log" 2>&1 &
    driver=$!
    STARTED+=("$driver")
    for ((tries = 0; tries < 300; tries++)); do
      [[ -e $SCRATCH/mark ]] && break
      sleep 0.1
    done
    [[ -e $SCRATCH/mark ]] || fail "the commit never renamed $target"
    kill -TERM "$driver"
    status=0
    wait "$driver" || status=$?
    complete=$((complete + 1))
    check_results "$complete"
    ((status == 143)) || fail "SIGTERM while $target was renamed: exit $status, expected 143"
    ok "SIGTERM while $target is renamed: the commit completes, then exit 143; latest and history consistent"
  done
}

case_apt_failure() {
  local farm status=0 err=$SCRATCH/err
  farm=$(path_without hyperfine)
  printf '#!/bin/sh\necho 0\n' | shim id
  printf '#!/bin/sh\necho "E: Unable to locate package (a test)" >&2\nexit 100\n' | shim apt-get
  printf '#!/bin/sh\necho "cmake must not run in this test" >&2\nexit 1\n' | shim cmake
  env -u CONCLAB_BIN_DIR PATH="$SCRATCH/shims:$farm" "$RUN_ALL" --quick tiny >/dev/null 2>"$err" || status=$?
  ((status == 1)) || fail "a failing apt-get: exit $status, expected 1 ($(cat "$err"))"
  grep "^run_all.sh:" "$err" | grep -q "could not install.*hyperfine" ||
    fail "the packages that could not be installed are not named: $(cat "$err")"
  ok "root, hyperfine missing, apt-get failing: exit 1 naming the package"
}

case_runs_decimal() {
  local runs
  for runs in 08 010; do
    run_all --quick --runs "$runs" tiny >/dev/null 2>"$SCRATCH/err" ||
      fail "--runs $runs: exit $?: $(cat "$SCRATCH/err")"
    ! grep "run_all.sh: line [0-9]*:" "$SCRATCH/err" || fail "--runs $runs: an error from bash itself"
    jq -e --argjson n "$((10#$runs))" '.runs == $n' "$RESULTS/latest/meta.json" >/dev/null ||
      fail "--runs $runs: meta.json says $(jq .runs "$RESULTS/latest/meta.json") runs"
    jq -e --argjson n "$((10#$runs))" 'all(.results[]; (.times | length) == $n)' \
      "$RESULTS/latest/tiny/hyperfine.json" >/dev/null || fail "--runs $runs: hyperfine did not time $((10#$runs)) runs"
  done
  ok "--runs 08 and --runs 010: 8 and 10 runs"
}

# The worker counts of tiny's sweep, per series, from sweep.tsv.
sweep_counts() {
  awk -F'\t' -v s="$1" '$1 == s { printf "%s%s", sep, $2; sep = "," }' "$RESULTS/latest/tiny/sweep.tsv"
}

case_sweep_past_cores() {
  local cores expected n
  cores=$(nproc)
  ((cores >= 2)) || cores=2
  expected=$(seq -s, 1 "$cores"),$((2 * cores)),$((4 * cores))
  FAKE_SWEEP=1 run_tiny --sweep >/dev/null 2>"$SCRATCH/err" || fail "--sweep: exit $?: $(cat "$SCRATCH/err")"
  for n in par each; do
    [[ $(sweep_counts $n) == "$expected" ]] || fail "--sweep: series $n timed at $(sweep_counts $n), not $expected"
  done
  [[ -s $RESULTS/latest/tiny/tiny-sweep.svg ]] || fail "--sweep: no chart"
  grep -q '^| par |' "$RESULTS/latest/REPORT.md" || fail "--sweep: no sweep table in REPORT.md"
  FAKE_SWEEP=1 run_tiny >/dev/null || fail "without --sweep: exit $?"
  [[ $(sweep_counts par) == "$(seq -s, 1 "$cores")" ]] || fail "without --sweep: $(sweep_counts par), not up to the cores"
  FAKE_SWEEP=1 run_tiny --sweep --max-workers 2 >/dev/null || fail "--max-workers 2: exit $?"
  [[ $(sweep_counts each) == 1,2 ]] || fail "--max-workers 2: $(sweep_counts each)"
  for n in 0 1025 x ''; do
    run_all --max-workers "$n" tiny >/dev/null 2>"$SCRATCH/err" && fail "--max-workers '$n' accepted"
    [[ $? -eq 2 && $(wc -l <"$SCRATCH/err") -eq 1 ]] || fail "--max-workers '$n': $(cat "$SCRATCH/err")"
  done
  ok "--sweep: $expected workers in both series; $(seq -s, 1 "$cores") without; --max-workers caps and checks"
}

case_spread() {
  run_tiny >/dev/null 2>"$SCRATCH/err" || fail "exit $?: $(cat "$SCRATCH/err")"
  [[ $(cut -f1,2,4,5 "$RESULTS/latest/tiny/spread.tsv" | tr '\t\n' ' ;') == "par tasks_per_worker 1 1;par tasks_per_worker 2 3;" ]] ||
    fail "spread.tsv: $(cat "$RESULTS/latest/tiny/spread.tsv")"
  [[ -s $RESULTS/latest/tiny/tiny-spread.svg ]] || fail "no spread chart"
  grep -q '^- par: tasks_per_worker from 1 to 3 tasks over 2 workers, coefficient of variation 0.71$' "$RESULTS/latest/REPORT.md" ||
    fail "REPORT.md: $(grep -A3 spread "$RESULTS/latest/REPORT.md")"
  ok "how evenly par's workers shared the work: spread.tsv, chart and REPORT line"
}

case_runs_over_quick() {
  run_all --runs 4 --quick tiny >/dev/null || fail "exit $?"
  jq -e '.runs == 4 and .size == "quick"' "$RESULTS/latest/meta.json" >/dev/null ||
    fail "--runs 4 --quick: $(jq -c '{runs, size}' "$RESULTS/latest/meta.json")"
  ok "--runs 4 --quick: 4 runs at quick size"
}

case_compare_empty() {
  local status=0
  run_tiny --compare= >/dev/null 2>"$SCRATCH/err" || status=$?
  ((status == 2)) || fail "--compare=: exit $status, expected 2"
  [[ $(grep -c . "$SCRATCH/err") -eq 1 ]] || fail "--compare=: not one line: $(cat "$SCRATCH/err")"
  status=0
  run_tiny --compare '' >/dev/null 2>"$SCRATCH/err" || status=$?
  ((status == 2)) || fail "--compare '': exit $status, expected 2"
  [[ -z $(ls -A "$RESULTS/runs" 2>/dev/null) ]] || fail "a run started"
  ok "--compare= and --compare '': exit 2, one line"
}

case_compare_without_jq() {
  local farm status=0 err=$SCRATCH/err
  write_summary "$SCRATCH/good.json"
  farm=$(path_without jq)
  PATH=$farm run_tiny --compare "$SCRATCH/good.json" >/dev/null 2>"$err" || status=$?
  ((status == 1)) || fail "--compare without jq: exit $status, expected 1 ($(cat "$err"))"
  if ! grep -q "jq" "$err" || grep -q "not a summary" "$err"; then
    fail "the missing tool is not named: $(cat "$err")"
  fi
  ok "--compare with jq missing: exit 1 naming jq"
}

case_closed_stdout() {
  local before statuses
  run_tiny >&- 2>"$SCRATCH/err" || fail "stdout closed: exit $?: $(cat "$SCRATCH/err")"
  check_results 1
  before=$(readlink "$RESULTS/latest")
  set +e
  run_tiny 2>"$SCRATCH/err" | head -n 1 >/dev/null
  statuses=("${PIPESTATUS[@]}")
  set -e
  ((statuses[0] == 0)) || fail "| head -n 1: exit ${statuses[0]}: $(cat "$SCRATCH/err")"
  check_results 2
  [[ $(readlink "$RESULTS/latest") != "$before" ]] || fail "| head -n 1: the run did not become latest"
  ok "stdout closed, or read by head -n 1: exit 0, the run becomes latest"
}

case_readonly_plots() {
  local plots=$SCRATCH/read-only-plots status=0 err=$SCRATCH/err
  mkdir -p "$plots"
  if ((EUID == 0)); then
    # Root writes through permissions: a read-only file system it is.
    if ! mount -t tmpfs -o ro,size=64k tmpfs "$plots" 2>/dev/null; then
      echo "SKIP: root, and no read-only tmpfs can be mounted here"
      exit "$SKIPPED"
    fi
    MOUNTED+=("$plots")
  else
    chmod a-w "$plots"
  fi
  CONCLAB_PLOTS_DIR=$plots run_tiny >/dev/null 2>"$err" || status=$?
  ((status == 1)) || fail "a read-only plots folder: exit $status, expected 1"
  grep -q "cannot write plots under $plots" "$err" || fail "no clear message: $(cat "$err")"
  [[ $(grep -c . "$err") -eq 1 ]] || fail "not one line: $(cat "$err")"
  [[ -z $(ls -A "$RESULTS/runs" 2>/dev/null) ]] || fail "the run started before the plots folder was checked"
  ok "a read-only plots folder: exit 1 with a clear message before anything is timed"
}

main() {
  (($# == 3)) || {
    echo "usage: check_run_all_cases.sh CASE RUN_ALL BIN_DIR" >&2
    exit 2
  }
  local case=$1
  RUN_ALL=$2 BIN_DIR=$3
  declare -F "case_$case" >/dev/null || {
    echo "check_run_all_cases.sh: unknown case '$case'" >&2
    exit 2
  }
  setup
  "case_$case"
}

main "$@"
