#!/usr/bin/env bash
# Checks one experiment binary the way every conclab program must behave.
#   check_experiment.sh variants BIN         every --list variant at quick size
#   check_experiment.sh bad-input BIN        the bad-input answers all programs share
#   check_experiment.sh usage-error BIN ARG...  this command line is a usage error
#   check_experiment.sh python BIN SCRIPT    the Python original's variants at quick size
set -euo pipefail

readonly LIMIT_S=120

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs every variant that BIN lists with --size=quick --json and checks the
# JSON: same experiment and variant, a number of seconds, checks, ok.
check_variants() {
  local bin=$1 name args out experiment count=0
  experiment=$(basename "$bin")
  "$bin" --help | grep -q "usage: $experiment" || fail "--help does not start with usage"
  while IFS=$'\t' read -r name args; do
    [[ -n $name ]] || continue
    count=$((count + 1))
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    out=$(timeout "$LIMIT_S" "$bin" $args --size=quick --json) ||
      fail "$name ($args) exited with $?"
    jq -e --arg e "$experiment" --arg v "$name" '
      .experiment == $e and .variant == $v and .ok == true
      and (.elapsed_s | type == "number" and . >= 0)
      and (.checks | length > 0) and all(.checks[]; .ok == true)' <<<"$out" >/dev/null ||
      fail "$name: JSON does not show a checked, right answer: $out"
    echo "ok   $experiment $name ($args)"
  done < <("$bin" --list)
  ((count > 0)) || fail "$experiment --list printed no variant"
}

# Expects BIN ARGS... to end with exit 2, one line on stderr, nothing on stdout.
check_usage_error() {
  local bin=$1 status=0 stdout stderr
  shift
  stdout=$(mktemp) stderr=$(mktemp)
  timeout 10 "$bin" "$@" >"$stdout" 2>"$stderr" || status=$?
  local lines
  lines=$(wc -l <"$stderr")
  local message
  message=$(cat "$stderr")
  local printed
  printed=$(wc -c <"$stdout")
  rm -f "$stdout" "$stderr"
  [[ $status -eq 2 ]] || fail "'$*': exit $status, expected 2 (stderr: $message)"
  [[ $lines -eq 1 ]] || fail "'$*': $lines lines on stderr, expected one: $message"
  [[ $printed -eq 0 ]] || fail "'$*': printed on stdout"
  echo "ok   '$*' -> $message"
}

check_bad_input() {
  local bin=$1
  check_usage_error "$bin" --mode=no-such-mode
  check_usage_error "$bin" --mode
  check_usage_error "$bin" --size=huge
  check_usage_error "$bin" --size=
  check_usage_error "$bin" --no-such-option
  check_usage_error "$bin" --json=yes
  check_usage_error "$bin" -- stray-argument
}

# The Python original: the same --list contract, every variant right at quick
# size, and the same exit 2 for a bad command line.
check_python() {
  local bin=$1 script=$2 name args
  while IFS=$'\t' read -r name args; do
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    timeout "$LIMIT_S" python3 "$script" $args --size=quick >/dev/null ||
      fail "python $name ($args) exited with $?"
    echo "ok   $(basename "$script") $name"
  done < <(python3 "$script" --list)
  check_usage_error python3 "$script" --mode=no-such-mode
  check_usage_error python3 "$script" --size=huge
  [[ -x $bin ]]
}

main() {
  local what=${1:-} bin=${2:-}
  [[ -x $bin ]] || fail "usage: $0 variants|bad-input|usage-error BIN [ARG...]"
  case $what in
    variants) check_variants "$bin" ;;
    bad-input) check_bad_input "$bin" ;;
    usage-error) shift 2 && check_usage_error "$bin" "$@" ;;
    python) check_python "$bin" "$3" ;;
    *) fail "unknown check '$what'" ;;
  esac
}

main "$@"
