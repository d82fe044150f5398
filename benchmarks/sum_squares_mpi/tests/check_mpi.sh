#!/usr/bin/env bash
# sum_squares_mpi with 2 ranks at quick size: each MPI mode started by
# mpiexec directly and by the program's own launcher (its --ranks, --hostfile
# and more ranks than tasks), and the command lines a rank refuses.
#   check_mpi.sh MPIEXEC BIN
#   check_mpi.sh skip REASON     says why there is nothing to check; exit 77,
#                                which CTest reports as skipped
set -euo pipefail

readonly SKIPPED=77
readonly LIMIT_S=120

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# mpiexec, with --allow-run-as-root when run as root (containers, CI):
# Open MPI refuses root without it.
run_mpiexec() {
  local root=()
  [[ $(id -u) -ne 0 ]] || root=(--allow-run-as-root)
  timeout "$LIMIT_S" "$MPIEXEC" "${root[@]}" "$@"
}

# Checks the JSON OUT of variant VARIANT with the jq condition CONDITION.
expect_json() {
  local what=$1 variant=$2 condition=$3 out=$4
  jq -e --arg v "$variant" ".experiment == \"sum_squares_mpi\" and .variant == \$v and .ok == true
      and all(.checks[]; .ok == true) and ($condition)" <<<"$out" >/dev/null ||
    fail "$what: $out"
  echo "ok   $what"
}

# Runs a command that must end with exit 2 and an error line containing NEEDLE.
expect_usage() {
  local what=$1 needle=$2 status=0 err
  shift 2
  err=$("$@" 2>&1 >/dev/null) || status=$?
  [[ $status -eq 2 ]] || fail "$what: exit $status, expected 2 ($err)"
  [[ $err == *"$needle"* ]] || fail "$what: the message does not say '$needle': $err"
  echo "ok   $what -> exit 2"
}

main() {
  if [[ ${1:-} == skip ]]; then
    echo "skipped: ${2:-no reason given}"
    exit "$SKIPPED"
  fi
  MPIEXEC=$1
  local bin=$2 out mode hostfile
  command -v "$MPIEXEC" >/dev/null || {
    echo "skipped: $MPIEXEC is not installed here (apt-get install openmpi-bin)"
    exit "$SKIPPED"
  }

  for mode in mpi-static mpi-dynamic; do
    out=$(run_mpiexec -np 2 "$bin" --mode=$mode --size=quick --json) ||
      fail "mpiexec -np 2 $mode exited with $?"
    expect_json "mpiexec -np 2 --mode=$mode" "$mode" '.parameters.ranks == 2
        and (.data.ranks | length == 2) and (.data.sums | length == 20)
        and ([.data.sums[].worker] | unique == [0, 1])
        and all(.data.ranks[]; has("startup_s") | not)' "$out"
  done
  expect_json "mpi-dynamic: every task answered once" mpi-dynamic \
    'any(.checks[]; .name == "answered_once")' "$out"

  out=$(timeout "$LIMIT_S" "$bin" --mode=mpi-dynamic --ranks=2 --size=quick --json) ||
    fail "the launcher, --ranks=2, exited with $?"
  expect_json "launcher --ranks=2: startup of every rank" mpi-dynamic '.parameters.ranks == 2
      and all(.data.ranks[]; (.startup_s | type == "number") and (.init_s | type == "number"))
      and (.metrics.startup_s.value | type == "number") and .parameters.pml == "ob1"' "$out"

  out=$(timeout "$LIMIT_S" "$bin" --mode=mpi-static --ranks=3 --tasks=2 --json) ||
    fail "the launcher, 3 ranks for 2 tasks, exited with $?"
  expect_json "launcher --ranks=3 --tasks=2: a rank without a task" mpi-static \
    '.parameters.ranks == 3 and (.data.sums | length == 2)' "$out"

  hostfile=$(mktemp)
  # shellcheck disable=SC2064 # expand now: the file is known now
  trap "rm -f '$hostfile'" EXIT
  echo "localhost slots=2" >"$hostfile"
  out=$(timeout "$LIMIT_S" "$bin" --mode=mpi-static --hostfile="$hostfile" --size=quick --json) ||
    fail "the launcher, --hostfile, exited with $?"
  expect_json "launcher --hostfile (localhost slots=2): every slot" mpi-static \
    '.parameters.ranks == 2 and .parameters.hostfile == true' "$out"

  # mpiexec forwards stdin to rank 0: the launcher must keep it from
  # swallowing the lines a calling loop reads (run_all.sh's list of variants).
  local seen=0
  while read -r _; do
    "$bin" --mode=mpi-dynamic --ranks=2 --size=quick >/dev/null ||
      fail "the launcher in a loop exited with $?"
    seen=$((seen + 1))
  done < <(printf '%s\n' first second third)
  ((seen == 3)) || fail "the launcher ate the stdin of a while-read loop: $seen of 3 lines read"
  echo "ok   the launcher leaves its caller's stdin alone"

  expect_usage "a rank: --ranks=3 under mpiexec -np 2" "--ranks=3" \
    run_mpiexec -np 2 "$bin" --mode=mpi-static --ranks=3 --size=quick
  expect_usage "a rank: --mode=seq under mpiexec" "--mode=seq" \
    run_mpiexec -np 2 "$bin" --mode=seq --size=quick
}

main "$@"
