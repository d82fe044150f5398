#!/usr/bin/env bash
# downloads under a tight ulimit: it ends right, or it refuses with one clear
# message and exit 1, and in either case its server (a child process) has
# ended before it did (no_orphans sees nothing left).
#   check_limits.sh refused NO_ORPHANS BIN LIMIT NEEDLE ARG...
#       must be refused: exit 1, stderr naming NEEDLE (the call that the
#       limit made fail, after the server had started)
#   check_limits.sh survives NO_ORPHANS BIN LIMIT TIMES ARG...
#       TIMES runs, each right or refused naming the limit, never a crash
# LIMIT is a ulimit option and value ("-u 5"); ulimit -u binds root only
# through another user, so as root the program runs as an otherwise unused
# uid (skipped, exit 77, when that uid has processes; also when not root).
set -euo pipefail

readonly LIMIT_S=60
readonly SKIP=77
# A reserved uid (Debian: 65000-65533) that no other test runs as: other
# processes of the same uid would count against ulimit -u.
readonly LIMITED_UID=65123
readonly WHY="125: a process was left behind, 124: it hung, 139: it crashed"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Sets AS_USER to the command prefix that makes LIMIT bind, or exits 77.
choose_user() {
  local limit=$1
  AS_USER=()
  [[ $limit == -u* ]] || return 0
  if ((EUID != 0)); then
    echo "SKIP: ulimit -u counts every process of a uid; one of its own needs root"
    exit "$SKIP"
  fi
  if pgrep -U "$LIMITED_UID" >/dev/null; then
    echo "SKIP: uid $LIMITED_UID has processes; they would count against ulimit -u"
    exit "$SKIP"
  fi
  AS_USER=(setpriv "--reuid=$LIMITED_UID" "--regid=$LIMITED_UID" --clear-groups --)
}

# Copies BIN where any uid may run it; prints the copy's path.
runnable_copy() {
  local bin=$1
  chmod 755 "$SCRATCH"
  cp "$bin" "$SCRATCH/"
  echo "$SCRATCH/$(basename "$bin")"
}

# Runs BIN ARGS --json under LIMIT and no_orphans; sets STATUS and ERR.
run_limited() {
  local no_orphans=$1 bin=$2 limit=$3
  shift 3
  STATUS=0
  # shellcheck disable=SC2016 # expanded by the inner shell
  timeout "$LIMIT_S" "$no_orphans" "${AS_USER[@]}" bash -c 'ulimit '"$limit"' && exec "$@"' \
    limited "$bin" "$@" --json >"$SCRATCH/out" 2>"$SCRATCH/err" || STATUS=$?
  ERR=$(cat "$SCRATCH/err")
}

right() {
  ((STATUS == 0)) && jq -e '.ok == true' "$SCRATCH/out" >/dev/null 2>&1
}

# Exit 1 and one line on stderr that names NEEDLE.
refused_naming() {
  local needle=$1
  ((STATUS == 1)) && [[ $ERR == *"$needle"* && $ERR != *$'\n'* ]]
}

check_refused() {
  local no_orphans=$1 bin=$2 limit=$3 needle=$4
  shift 4
  run_limited "$no_orphans" "$bin" "$limit" "$@"
  refused_naming "$needle" ||
    fail "'$*' under ulimit $limit: status $STATUS ($WHY), stderr: $ERR"
  echo "ok   '$*' under ulimit $limit: $ERR"
}

check_survives() {
  local no_orphans=$1 bin=$2 limit=$3 times=$4 i right_runs=0
  shift 4
  for ((i = 1; i <= times; i++)); do
    run_limited "$no_orphans" "$bin" "$limit" "$@"
    if right; then
      right_runs=$((right_runs + 1))
    elif ! refused_naming "ulimit ${limit%% *}"; then
      fail "'$*' under ulimit $limit, run $i: status $STATUS ($WHY), stderr: $ERR"
    fi
  done
  echo "ok   '$*' under ulimit $limit: $right_runs of $times right, the others refused clearly"
}

main() {
  local what=${1:-} no_orphans bin limit
  (($# >= 5)) || fail "usage: $0 refused|survives NO_ORPHANS BIN LIMIT NEEDLE|TIMES ARG..."
  no_orphans=$(realpath "$2") limit=$4
  choose_user "$limit"
  SCRATCH=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the folder is known now
  trap "rm -rf '$SCRATCH'" EXIT
  bin=$(runnable_copy "$3")
  cd "$SCRATCH"
  shift 4
  case $what in
    refused) check_refused "$no_orphans" "$bin" "$limit" "$@" ;;
    survives) check_survives "$no_orphans" "$bin" "$limit" "$@" ;;
    *) fail "unknown check '$what'" ;;
  esac
}

main "$@"
