#!/usr/bin/env bash
# run_all.sh interrupted mid-run: SIGINT while hyperfine is timing must stop
# everything the run started, keep the earlier run as results/latest, and
# leave the partial run marked -interrupted.
#   check_interrupt.sh RUN_ALL BIN_DIR EXPERIMENT
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# shellcheck source=benchmarks/harness/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

main() {
  local run_all=$1 bin_dir=$2 name=$3 pid status=0 before
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT
  export CONCLAB_BIN_DIR=$bin_dir CONCLAB_RESULTS_DIR=$SCRATCH/results CONCLAB_PLOTS_DIR=$SCRATCH/plots
  "$run_all" --quick --runs 2 "$name" >/dev/null || fail "the first run failed"
  before=$(readlink "$SCRATCH/results/latest")

  # Many runs per variant, so that hyperfine is surely busy when the signal
  # comes.  Job control on (set -m): otherwise a background job starts with
  # SIGINT ignored, and a shell cannot trap a signal ignored at its start.
  set -m
  "$run_all" --quick --runs 1000 "$name" >"$SCRATCH/second.log" 2>&1 &
  pid=$!
  set +m
  wait_for_process "hyperfine .*$bin_dir/$name"
  kill -INT "$pid"
  wait "$pid" || status=$?
  [[ $status -eq 130 ]] || fail "interrupted run_all.sh exited with $status, expected 130"
  [[ $(readlink "$SCRATCH/results/latest") == "$before" ]] || fail "results/latest changed"
  [[ -z $(find "$SCRATCH/results/runs" -maxdepth 1 -name '*.partial') ]] || fail "a .partial folder left"
  [[ -n $(find "$SCRATCH/results/runs" -maxdepth 1 -name '*-interrupted') ]] ||
    fail "the interrupted run is not kept as -interrupted"
  sleep 0.5
  if pgrep -f -- "$bin_dir/$name" >/dev/null || pgrep -f -- "hyperfine .*$bin_dir" >/dev/null; then
    pgrep -af -- "$bin_dir" >&2 || true
    fail "a process of the interrupted run is still alive"
  fi
  echo "ok   SIGINT mid-run: exit 130, latest kept, run marked -interrupted, no process left"
}

main "$@"
