#!/usr/bin/env bash
# run_all.sh on a disk that fills up: the results live on a small tmpfs; a
# first run completes, then the disk is filled to a few kilobytes short, at
# two points of the second run; then the plots folder (a tmpfs of its own)
# is full when the run's charts are copied there.  Each must end with exit 1
# and a message about writing the results, keep results/latest on the first
# run, and leave no .partial folder and no half-written .new file.  Last,
# the results tool on a full disk leaves no summary.json.new.  Mounting
# needs root and a kernel that lets us: else the test says so and is
# skipped (status 77).
#   check_disk_full.sh RUN_ALL BIN_DIR EXPERIMENT
set -euo pipefail

readonly SKIPPED=77

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Fills the disk under $1 to $2 bytes short of full.
fill_to() {
  local room
  rm -f "$1/filler"
  room=$(df --output=avail -B1 "$1" | tail -n 1)
  ((room > $2)) || return 0
  head -c "$((room - $2))" /dev/zero >"$1/filler" || true
}

# Prints a new folder with a tmpfs of $1 mounted on it (added to MOUNTED).
small_disk() {
  local folder
  folder=$(mktemp -d)
  if ! mount -t tmpfs -o "size=$1" tmpfs "$folder" 2>/dev/null; then
    rmdir "$folder"
    return 1
  fi
  echo "$folder"
}

skip() {
  echo "SKIP: cannot mount a small tmpfs here (needs root and mount rights)"
  exit "$SKIPPED"
}

unmount_all() {
  local folder
  for folder in "${MOUNTED[@]}"; do umount "$folder" && rmdir "$folder"; done
}

# No half-written file under $1 (a copy or a JSON written under a .new name).
check_no_new_files() {
  [[ -z $(find "$1" -name '*.new') ]] || fail "$2: left $(find "$1" -name '*.new')"
}

main() {
  local run_all=$1 bin_dir=$2 name=$3 disk plots before left status
  MOUNTED=()
  trap unmount_all EXIT
  disk=$(small_disk 4m) || skip
  MOUNTED+=("$disk")
  plots=$(small_disk 1m) || skip
  MOUNTED+=("$plots")
  export CONCLAB_BIN_DIR=$bin_dir CONCLAB_RESULTS_DIR=$disk/results CONCLAB_PLOTS_DIR=$disk/plots
  "$run_all" --quick --runs 2 "$name" >/dev/null || fail "the first run failed"
  before=$(readlink "$disk/results/latest")
  # Full at once (the verification fails to be written), then full later on.
  for left in 16384 200000; do
    fill_to "$disk" "$left"
    status=0
    "$run_all" --quick --runs 2 "$name" >"$disk/log" 2>&1 || status=$?
    [[ $status -eq 1 ]] || fail "disk full with $left bytes left: exit $status, expected 1"
    grep -q "cannot write results" "$disk/log" || fail "no clear message: $(tail -n 3 "$disk/log")"
    [[ $(readlink "$disk/results/latest") == "$before" ]] || fail "results/latest changed"
    [[ -z $(find "$disk/results/runs" -maxdepth 1 -name '*.partial') ]] || fail "a .partial folder left"
    check_no_new_files "$disk" "disk full with $left bytes left"
    echo "ok   disk full, $left bytes left: $(grep "cannot write" "$disk/log" | head -n 1)"
  done

  rm -f "$disk/filler"
  fill_to "$plots" 0
  status=0
  CONCLAB_PLOTS_DIR=$plots "$run_all" --quick --runs 2 "$name" >"$disk/log" 2>&1 || status=$?
  [[ $status -eq 1 ]] || fail "plots folder full: exit $status, expected 1"
  grep -q "cannot write results under $plots" "$disk/log" || fail "no clear message: $(tail -n 3 "$disk/log")"
  [[ $(readlink "$disk/results/latest") == "$before" ]] || fail "results/latest changed"
  check_no_new_files "$plots" "plots folder full"
  check_no_new_files "$disk" "plots folder full"
  echo "ok   plots folder full at the end of a run: exit 1, latest kept, no .new file left"

  fill_to "$disk" 0
  status=0
  "$(dirname "$bin_dir")/tools/conclab-results" summarize "$disk/results/latest" 2>/dev/null || status=$?
  [[ $status -ne 0 ]] || fail "conclab-results summarize on a full disk succeeded"
  check_no_new_files "$disk" "conclab-results summarize on a full disk"
  jq -e .experiments "$disk/results/latest/summary.json" >/dev/null || fail "summary.json damaged"
  echo "ok   conclab-results on a full disk: fails, summary.json kept, no summary.json.new"
}

main "$@"
