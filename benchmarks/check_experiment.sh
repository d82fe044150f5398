#!/usr/bin/env bash
# Checks one experiment binary the way every conclab program must behave.
#   check_experiment.sh variants BIN            every --list variant at quick size, JSON checked
#   check_experiment.sh bad-input BIN           the bad-input matrix, generated from --help
#   check_experiment.sh usage-error BIN ARG...  this command line is a usage error
#   check_experiment.sh python BIN SCRIPT       the Python original's variants at quick size
#   check_experiment.sh valgrind BIN            every variant once under memcheck
set -euo pipefail

readonly LIMIT_S=120
# A usage error is answered at once; two seconds leave room for a loaded machine.
readonly USAGE_LIMIT_S=2

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Prints NAME<TAB>ARGS for every variant BIN lists; fails if it lists none.
variants_of() {
  local listing
  listing=$("$@" --list) || fail "$* --list exited with $?"
  [[ -n $listing ]] || fail "$* --list printed no variant"
  printf '%s\n' "$listing"
}

# Runs every variant that BIN lists with --size=quick --json and checks the
# JSON: same experiment and variant, a number of seconds, checks, ok.
check_variants() {
  local bin=$1 name args out experiment
  experiment=$(basename "$bin")
  "$bin" --help | grep -q "^usage: $experiment" || fail "--help does not start with usage"
  while IFS=$'\t' read -r name args; do
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    out=$(timeout "$LIMIT_S" "$bin" $args --size=quick --json) ||
      fail "$name ($args) exited with $?"
    jq -e --arg e "$experiment" --arg v "$name" '
      .experiment == $e and .variant == $v and .ok == true
      and (.elapsed_s | type == "number" and . >= 0)
      and (.checks | length > 0) and all(.checks[]; .ok == true)' <<<"$out" >/dev/null ||
      fail "$name: JSON does not show a checked, right answer: $out"
    echo "ok   $experiment $name ($args)"
  done < <(variants_of "$bin")
}

# Runs BIN ARGS...; true when it ended with exit 2, one line on stderr that
# contains NEEDLE (when NEEDLE is not empty), nothing on stdout, in time.
# Says why on stderr otherwise.
usage_error_ok() {
  local needle=$1 bin=$2 status=0 out err
  shift 2
  out=$(mktemp) err=$(mktemp)
  timeout "$USAGE_LIMIT_S" "$bin" "$@" >"$out" 2>"$err" || status=$?
  local lines printed message
  lines=$(wc -l <"$err") printed=$(wc -c <"$out") message=$(cat "$err")
  rm -f "$out" "$err"
  local problem=
  if [[ $status -eq 124 ]]; then
    problem="no answer within ${USAGE_LIMIT_S}s"
  elif [[ $status -ne 2 ]]; then
    problem="exit $status, expected 2"
  elif [[ $lines -ne 1 ]]; then
    problem="$lines lines on stderr, expected one"
  elif [[ $printed -ne 0 ]]; then
    problem="printed on stdout"
  elif [[ -n $needle && $message != *"$needle"* ]]; then
    problem="the message does not name $needle"
  fi
  if [[ -n $problem ]]; then
    echo "FAIL '$*': $problem (stderr: $message)" >&2
    return 1
  fi
  echo "ok   '$*' -> $message"
}

check_usage_error() {
  usage_error_ok "" "$@" || exit 1
}

# The bad command lines to try on BIN, one per line, words separated by tabs,
# derived from its --help: every integer option (--name=N, range MIN..MAX)
# gets non-numbers, overflow, empty, and the values just outside its range;
# every decimal option (--name=X) malformed and overflowing numbers;
# every choice an unknown word; every flag a value it does not take; then
# unknown options, missing values and a stray argument.
bad_command_lines() {
  local help=$1 option min max
  while read -r option min max; do
    printf '%s\n' "--$option=abc" "--$option=12x" "--$option=1e3" "--$option=" \
      "--$option=99999999999999999999" "--$option=$((min - 1))" "--$option=$((max + 1))" "--$option"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)=N .*(\(-\{0,1\}[0-9]*\)\.\.\([0-9]*\).*/\1 \2 \3/p' <<<"$help")
  while read -r option; do
    printf '%s\n' "--$option=abc" "--$option=.5" "--$option=5." "--$option=1e-2" "--$option=" \
      "--$option=-99999999999999999999" "--$option=99999999999999999999" "--$option"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)=X .*/\1/p' <<<"$help")
  while read -r option; do
    printf '%s\n' "--$option=no-such-choice" "--$option"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)=[a-z0-9-]*|.*/\1/p' <<<"$help")
  while read -r option; do
    printf '%s\n' "--$option=yes"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)  .*/\1/p' <<<"$help")
  printf '%s\n' "--no-such-option" "-x" $'--\tstray-argument' $'--size=quick\t--size=huge'
}

# The option a bad command line is about, as the message must name it.
option_named() {
  local line=${1##*$'\t'}
  case $line in
    --*) line=${line%%=*} && echo "$line" ;;
    *) echo "" ;;
  esac
}

check_bad_input() {
  local bin=$1 help line passed=0 failed=0 words
  help=$("$bin" --help)
  while IFS= read -r line; do
    IFS=$'\t' read -r -a words <<<"$line"
    if usage_error_ok "$(option_named "$line")" "$bin" "${words[@]}"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
    fi
  done < <(bad_command_lines "$help")
  echo "bad-input: $passed passed, $failed failed"
  ((failed == 0 && passed > 0))
}

# The Python original: the same --list contract, every variant right at quick
# size, and the same exit 2 for a bad command line.
check_python() {
  local script=$1 name args
  while IFS=$'\t' read -r name args; do
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    timeout "$LIMIT_S" python3 "$script" $args --size=quick >/dev/null ||
      fail "python $name ($args) exited with $?"
    echo "ok   $(basename "$script") $name"
  done < <(variants_of python3 "$script")
  check_usage_error python3 "$script" --mode=no-such-mode
  check_usage_error python3 "$script" --size=huge
}

# Every variant once at quick size under valgrind's memcheck: no invalid
# access, no leak, in the parent or in any child it forks.
check_valgrind() {
  local bin=$1 name args
  while IFS=$'\t' read -r name args; do
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    timeout "$LIMIT_S" valgrind --quiet --error-exitcode=99 --leak-check=full \
      --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
      --child-silent-after-fork=no "$bin" $args --size=quick >/dev/null ||
      fail "$name ($args) under valgrind exited with $?"
    echo "ok   valgrind $(basename "$bin") $name"
  done < <(variants_of "$bin")
}

main() {
  local what=${1:-} bin=${2:-}
  [[ -x $bin ]] || fail "usage: $0 variants|bad-input|usage-error|python|valgrind BIN [ARG...]"
  case $what in
    variants) check_variants "$bin" ;;
    bad-input) check_bad_input "$bin" ;;
    usage-error) shift 2 && check_usage_error "$bin" "$@" ;;
    python) check_python "$3" ;;
    valgrind) check_valgrind "$bin" ;;
    *) fail "unknown check '$what'" ;;
  esac
}

main "$@"
