#!/usr/bin/env bash
# The subprocess experiment's own checks (the generic ones are in
# benchmarks/harness/check_experiment.sh).  NO_ORPHANS is the no_orphans tool: it runs
# a command and fails (exit 125) if the command leaves any process behind.
#   check_subprocess.sh openssl                       the openssl command is there
#   check_subprocess.sh nothing-left NO_ORPHANS BIN   every variant, both spawn methods
#   check_subprocess.sh answers BIN                   what each variant's JSON must say
#   check_subprocess.sh missing-program NO_ORPHANS BIN  no program on PATH: exit 1, no hang
#   check_subprocess.sh descriptors-run-out NO_ORPHANS BIN  pipe() fails half way
#   check_subprocess.sh failing-child NO_ORPHANS BIN  an openssl that fails or quits early
#   check_subprocess.sh python-missing SCRIPT         the Python original, no program on PATH
set -euo pipefail

readonly LIMIT_S=60

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

check_openssl() {
  command -v openssl >/dev/null ||
    fail "the openssl command is missing: encrypt and pipeline need it (Debian package openssl)"
  echo "ok   $(command -v openssl): $(openssl version)"
}

# Runs BIN's variants ARGS at quick size under NO_ORPHANS; each must pass,
# and its own descriptor and children checks must be there and true.
check_nothing_left() {
  local no_orphans=$1 bin=$2 name args method out
  local -a spawn
  while IFS=$'\t' read -r name args; do
    for method in posix fork; do
      spawn=(--spawn="$method")
      if [[ $args == *--spawn=* ]]; then # the variant names its own method
        [[ $method == posix ]] || continue
        spawn=()
      fi
      # shellcheck disable=SC2086 # ARGS is a list of words by design
      out=$(timeout "$LIMIT_S" "$no_orphans" "$bin" $args "${spawn[@]}" --size=quick --json) ||
        fail "$name ${spawn[*]}: exit $? (125: a process was left behind)"
      jq -e '.ok and any(.checks[]; .name == "descriptors" and .ok)
             and any(.checks[]; .name == "children" and .ok)' <<<"$out" >/dev/null ||
        fail "$name ${spawn[*]}: descriptor or children check missing or false: $out"
      echo "ok   $name ${spawn[*]}: no process, no descriptor left"
    done
  done < <("$bin" --list)
}

# Expects BIN ARGS... --json to exit 0 with JSON for which FILTER is true.
expect() {
  local bin=$1 filter=$2 out
  shift 2
  out=$(timeout "$LIMIT_S" "$bin" "$@" --json) || fail "'$*': exit $?: $out"
  jq -e "$filter" <<<"$out" >/dev/null || fail "'$*': JSON fails '$filter': $out"
  echo "ok   $* -> $filter"
}

check_answers() {
  local bin=$1 q=--size=quick
  expect "$bin" '.variant == "run" and any(.notes[]; contains("Hello from the child!"))' \
    --mode=run $q
  expect "$bin" '.metrics.polls.value >= 1 and .metrics.polls_while_running.value >= 0' \
    --mode=poll $q
  expect "$bin" '.parameters.children == 3 and .parameters.seconds == "0.01"' \
    --mode=sleep-parallel --children=3 --seconds=0.01
  expect "$bin" '.parameters.children == 2 and .metrics.overhead_per_child_s.value != null' \
    --mode=sleep-seq --children=2 --seconds=0.01
  expect "$bin" '(.data.tails | length == 3) and all(.data.tails[]; test("^[0-9a-f]{20}$"))
                 and any(.checks[]; .name == "decrypts" and .ok)' --mode=encrypt $q
  # More than a pipe holds, in and out, for every child at once.
  expect "$bin" '.parameters.bytes == 300000 and any(.checks[]; .name == "decrypts" and .ok)' \
    --mode=encrypt --children=4 --bytes=300000
  expect "$bin" '(.data.tails | length == 3) and any(.checks[]; .name == "digests" and .ok)' \
    --mode=pipeline $q
  expect "$bin" 'any(.checks[]; .name == "digests" and .ok)' \
    --mode=pipeline --children=2 --bytes=300000
  expect "$bin" '.metrics.returncode.value == -15 and .parameters.timeout == "0.05"' \
    --mode=timeout --timeout=0.05
  expect "$bin" '.variant == "spawn-fork" and .parameters.parent_mb == 16
                 and any(.checks[]; .name == "parent" and .ok)' \
    --mode=spawn --spawn=fork --parent-mb=16 $q
}

# Expects COMMAND... to exit with STATUS, one line on stderr matching
# PATTERN, nothing on stdout, within the time limit.
expect_failure() {
  local status=$1 pattern=$2 stdout stderr got=0
  shift 2
  stdout=$(mktemp) stderr=$(mktemp)
  timeout "$LIMIT_S" "$@" >"$stdout" 2>"$stderr" || got=$?
  local message lines printed
  message=$(cat "$stderr") lines=$(wc -l <"$stderr") printed=$(wc -c <"$stdout")
  rm -f "$stdout" "$stderr"
  [[ $got -ne 124 ]] || fail "'$*' hung"
  [[ $got -eq $status ]] || fail "'$*': exit $got, expected $status: $message"
  [[ $lines -eq 1 && $message =~ $pattern ]] ||
    fail "'$*': expected one line like '$pattern' on stderr, got: $message"
  [[ $printed -eq 0 ]] || fail "'$*': printed on stdout"
  echo "ok   '$*' -> $message"
}

check_missing_program() {
  local no_orphans=$1 bin=$2 empty name args
  empty=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the directory is known now
  trap "rmdir '$empty'" EXIT
  while IFS=$'\t' read -r name args; do
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    expect_failure 1 "cannot start '(sleep|echo|openssl|true)': No such file or directory" \
      env PATH="$empty" "$no_orphans" "$bin" $args --size=quick
  done < <("$bin" --list)
  expect_failure 1 "cannot start 'openssl'" \
    env PATH="$empty" "$no_orphans" "$bin" --mode=pipeline --spawn=fork --size=quick
}

# Few descriptors: pipe() fails after some children started.  They must all
# be stopped and reaped before the program exits.
check_descriptors_run_out() {
  local no_orphans=$1 bin=$2 mode
  for mode in encrypt pipeline; do
    expect_failure 1 "cannot start 'openssl': Too many open files" \
      bash -c 'ulimit -n 16 && exec "$@"' limit "$no_orphans" "$bin" --mode=$mode --children=30
  done
}

# An openssl that always fails, then one whose dgst quits without reading:
# the encrypt child writing into that pipe learns that its reader is gone
# (and stops instead of blocking forever) because the parent holds no copy of
# the pipe's read end.  openssl ignores SIGPIPE, so it gets EPIPE and exits
# with status 1 rather than dying of the signal.
check_failing_child() {
  local no_orphans=$1 bin=$2 fake out status real
  real=$(command -v openssl) || fail "the openssl command is missing"
  fake=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the directory is known now
  trap "rm -rf '$fake'" EXIT
  printf '#!/bin/sh\nexit 3\n' >"$fake/openssl"
  chmod +x "$fake/openssl"
  for mode in encrypt pipeline; do
    status=0
    out=$(PATH="$fake:$PATH" timeout "$LIMIT_S" "$no_orphans" "$bin" --mode=$mode --json) ||
      status=$?
    [[ $status -eq 1 ]] || fail "$mode with a failing openssl: exit $status, expected 1"
    jq -e '.ok == false and any(.checks[]; .name == "returncodes" and (.ok | not)
           and (.detail | contains("exited with status 3")))' <<<"$out" >/dev/null ||
      fail "$mode with a failing openssl: $out"
    echo "ok   $mode with an openssl that exits 3: exit 1, reported, nothing left"
  done
  # shellcheck disable=SC2016 # $1 and $@ belong to the fake openssl script
  printf '#!/bin/sh\n[ "$1" = dgst ] && exit 0\nexec %s "$@"\n' "$real" >"$fake/openssl"
  status=0
  out=$(PATH="$fake:$PATH" timeout "$LIMIT_S" "$no_orphans" "$bin" --mode=pipeline \
    --bytes=1000000 --children=2 --json) || status=$?
  [[ $status -eq 1 ]] || fail "pipeline with a dgst that quits: exit $status, expected 1"
  jq -e 'any(.checks[]; .name == "returncodes" and (.detail |
           test("child 1 (exited with status 1|killed by signal 13)")))' \
    <<<"$out" >/dev/null || fail "pipeline with a dgst that quits: encrypt did not fail: $out"
  echo "ok   pipeline whose dgst quits early: the encrypt child stopped on the broken pipe"
}

check_python_missing() {
  local script=$1 python empty
  # The interpreter itself: python3 on PATH may be a wrapper script that
  # needs PATH.
  python=$(python3 -c 'import sys; print(sys.executable)')
  empty=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the directory is known now
  trap "rmdir '$empty'" EXIT
  for mode in run encrypt pipeline timeout; do
    expect_failure 1 "cannot start '(echo|openssl|sleep)'" \
      env PATH="$empty" "$python" "$script" --mode=$mode --size=quick
  done
}

main() {
  local what=${1:-}
  (($# > 0)) && shift
  case $what in
    openssl) check_openssl ;;
    nothing-left) check_nothing_left "$@" ;;
    answers) check_answers "$@" ;;
    missing-program) check_missing_program "$@" ;;
    descriptors-run-out) check_descriptors_run_out "$@" ;;
    failing-child) check_failing_child "$@" ;;
    python-missing) check_python_missing "$@" ;;
    *) fail "usage: $0 CHECK ARG... (see the top of this file)" ;;
  esac
}

main "$@"
