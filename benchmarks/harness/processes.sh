# shellcheck shell=bash
# Sourced by the driver's tests: waiting for a process to appear.

# Waits up to 30 s for a process whose command line matches $1; the
# sourcing script's fail() ends the test when none appears.
wait_for_process() {
  local tries
  for ((tries = 0; tries < 300; tries++)); do
    pgrep -f -- "$1" >/dev/null && return 0
    sleep 0.1
  done
  fail "no process matching '$1' appeared"
}
