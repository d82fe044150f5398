#!/usr/bin/env bash
# run_all.sh on a disk that fills up: the results live on a small tmpfs; a
# first run completes, then the disk is filled to a few kilobytes short, at
# two points of the second run.  Each must end with exit 1 and a message
# about writing the results, keep results/latest on the first run, and
# leave no .partial folder.  Mounting needs root and a kernel that lets us:
# else the test says so and is skipped (status 77).
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

main() {
  local run_all=$1 bin_dir=$2 name=$3 disk before left status
  disk=$(mktemp -d)
  if ! mount -t tmpfs -o size=4m tmpfs "$disk" 2>/dev/null; then
    rmdir "$disk"
    echo "SKIP: cannot mount a small tmpfs here (needs root and mount rights)"
    exit "$SKIPPED"
  fi
  # shellcheck disable=SC2064 # expand now: the folder is known now
  trap "umount '$disk' && rmdir '$disk'" EXIT
  export CONCLAB_BIN_DIR=$bin_dir CONCLAB_RESULTS_DIR=$disk/results CONCLAB_PLOTS_DIR=$disk/plots
  "$run_all" --quick --runs 2 "$name" >/dev/null || fail "the first run failed"
  before=$(readlink "$disk/results/latest")
  # Full at once (the verification fails to be written), then full later on.
  for left in 16384 200000; do
    sleep 1 # run folders are named by the second
    fill_to "$disk" "$left"
    status=0
    "$run_all" --quick --runs 2 "$name" >"$disk/log" 2>&1 || status=$?
    [[ $status -eq 1 ]] || fail "disk full with $left bytes left: exit $status, expected 1"
    grep -q "cannot write results" "$disk/log" || fail "no clear message: $(tail -n 3 "$disk/log")"
    [[ $(readlink "$disk/results/latest") == "$before" ]] || fail "results/latest changed"
    [[ -z $(find "$disk/results/runs" -maxdepth 1 -name '*.partial') ]] || fail "a .partial folder left"
    echo "ok   disk full, $left bytes left: $(grep "cannot write" "$disk/log" | head -n 1)"
  done
}

main "$@"
