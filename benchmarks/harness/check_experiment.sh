#!/usr/bin/env bash
# Checks one experiment binary the way every conclab program must behave.
#   check_experiment.sh variants BIN            every --list variant at quick size, JSON checked
#   check_experiment.sh bad-input BIN           the bad-input matrix, generated from --help
#   check_experiment.sh usage-error BIN ARG...  this command line is a usage error
#   check_experiment.sh usage-error-naming BIN TEXT ARG...
#                                               the same, with TEXT in its message
#   check_experiment.sh python BIN SCRIPT       the Python original's variants at quick size
#   check_experiment.sh valgrind BIN            every variant once under memcheck
#   check_experiment.sh interrupt BIN NO_ORPHANS [--ended-within=S] [ARG...]
#                                               SIGINT in the middle of a run ends the
#                                               program (status 130) and all its children:
#                                               ARGS, or else every variant at large size;
#                                               no later than S seconds after the signal
#                                               (default ENDED_WITHIN_S)
#   check_experiment.sh resources BIN NO_ORPHANS
#                                               every variant with no process or thread to
#                                               spare (ulimit -u), few descriptors (ulimit
#                                               -n), a small stack (ulimit -s), stdin or
#                                               stdout closed: right, or a clear refusal
set -euo pipefail

readonly LIMIT_S=120
# A usage error is answered at once; two seconds leave room for a loaded machine.
readonly USAGE_LIMIT_S=2
# When the interrupt checks send SIGINT: most large-size runs are busy by then.
readonly INTERRUPT_S=0.2
# How soon after SIGINT every program must have ended, children included:
# far less than the 5 s grace the interrupt handler gives a child before its
# SIGKILL (common/children.c), so that waiting out that grace is caught.
# Ending takes milliseconds; mpiexec takes about a second to stop its ranks.
readonly ENDED_WITHIN_S=3

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
# every choice an unknown word; every flag a value it does not take; every
# text option (--name=FILE) an empty value and none; integer and choice
# options also a value holding a newline (written \n here: one line per
# command line) and a right value given twice; then unknown options,
# missing values and a stray argument.
bad_command_lines() {
  local help=$1 option min max first
  while read -r option min max; do
    printf '%s\n' "--$option=abc" "--$option=12x" "--$option=1e3" "--$option=" \
      "--$option=99999999999999999999" "--$option=$((min - 1))" "--$option=$((max + 1))" "--$option" \
      "--$option=1\\n2" "--$option=$min"$'\t'"--$option=$min"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)=N .*(\(-\{0,1\}[0-9]*\)\.\.\([0-9]*\).*/\1 \2 \3/p' <<<"$help")
  while read -r option; do
    printf '%s\n' "--$option=abc" "--$option=.5" "--$option=5." "--$option=1e-2" "--$option=" \
      "--$option=-99999999999999999999" "--$option=99999999999999999999" "--$option"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)=X .*/\1/p' <<<"$help")
  while read -r option first; do
    printf '%s\n' "--$option=no-such-choice" "--$option" "--$option=a\\nb" \
      "--$option=$first"$'\t'"--$option=$first"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)=\([a-z0-9-]*\)|.*/\1 \2/p' <<<"$help")
  while read -r option; do
    printf '%s\n' "--$option=yes"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)  .*/\1/p' <<<"$help")
  while read -r option; do
    printf '%s\n' "--$option=" "--$option"
  done < <(sed -n 's/^  --\([a-z0-9-]*\)=[A-Z][A-Z]\{1,\} .*/\1/p' <<<"$help")
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
    words=("${words[@]//\\n/$'\n'}") # the newline the line could not hold
    if usage_error_ok "$(option_named "$line")" "$bin" "${words[@]}"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
    fi
  done < <(bad_command_lines "$help")
  echo "$passed passed, $failed failed"
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
  # As strict as the C programs: no abbreviation, no option twice, one line
  # even for a value holding a newline.
  usage_error_ok --mod python3 "$script" --mod=no-such-mode || exit 1
  usage_error_ok --si python3 "$script" --si=quick || exit 1
  usage_error_ok --size python3 "$script" --size=quick --size=quick || exit 1
  usage_error_ok --size python3 "$script" $'--size=quick\nbook' || exit 1
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

# SIGINT after INTERRUPT_S to BIN ARGS alone (as `kill -INT PID`), under
# no_orphans (and its --ended-within bound when ENDED_WITHIN is set).  Prints
# "interrupted" or "finished" (it ended before the signal, rightly); fails
# when it ended otherwise, too late, or left a process behind.
interrupt_one() {
  local no_orphans=$1 bin=$2 status=0 bound=()
  shift 2
  [[ -z ${ENDED_WITHIN:-} ]] || bound=(--ended-within="$ENDED_WITHIN")
  timeout "$LIMIT_S" "$no_orphans" --interrupt-after="$INTERRUPT_S" "${bound[@]}" "$bin" "$@" \
    >/dev/null 2>"$SCRATCH_ERR" || status=$?
  case $status in
    130) echo interrupted ;;
    0) echo finished ;;
    123) fail "'$*' did not end soon enough after SIGINT: $(cat "$SCRATCH_ERR")" ;;
    125) fail "'$*' left a process behind: $(cat "$SCRATCH_ERR")" ;;
    *) fail "'$*' interrupted ended with status $status, expected 130: $(cat "$SCRATCH_ERR")" ;;
  esac
}

# With ARGS: that command line must be interrupted (it runs long enough).
# Without: every variant at large size, interrupted or finished first.
check_interrupt() {
  local bin=$1 no_orphans=$2 name args how interrupted=0 finished=0
  shift 2
  ENDED_WITHIN=$ENDED_WITHIN_S
  if [[ ${1:-} == --ended-within=* ]]; then
    ENDED_WITHIN=${1#--ended-within=}
    shift
  fi
  SCRATCH_ERR=$(mktemp)
  # shellcheck disable=SC2064 # expand now: the file is known now
  trap "rm -f '$SCRATCH_ERR'" EXIT
  if (($# > 0)); then
    how=$(interrupt_one "$no_orphans" "$bin" "$@")
    [[ $how == interrupted ]] || fail "'$*' ended before the interrupt: give it more work"
    echo "ok   '$*': SIGINT ended it with status 130${ENDED_WITHIN:+ within ${ENDED_WITHIN}s}, no process left"
    return 0
  fi
  while IFS=$'\t' read -r name args; do
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    how=$(interrupt_one "$no_orphans" "$bin" $args --size=large)
    echo "ok   $name: $how, no process left"
    if [[ $how == interrupted ]]; then interrupted=$((interrupted + 1)); else finished=$((finished + 1)); fi
  done < <(variants_of "$bin")
  echo "interrupt: $interrupted interrupted after ${INTERRUPT_S}s, $finished finished first, 0 left a process"
}

# Runs BIN from a copy in a scratch folder that any user can read, as an
# ordinary user when this is root (root is exempt from ulimit -u), under
# no_orphans, from a shell that first runs SETUP (a ulimit, or a standard
# stream closed), with the environment LIMITED_ENV gives (env -i ...: all of
# it when empty).  Prints the status, then stderr.
run_limited() {
  local no_orphans=$1 bin=$2 setup=$3 status=0 as_user=()
  shift 3
  ((EUID != 0)) || as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  # shellcheck disable=SC2016 # expanded by the inner shell
  timeout "$LIMIT_S" "$no_orphans" "${as_user[@]}" "${LIMITED_ENV[@]}" \
    bash -c "$setup"' && exec "$@"' limited "$bin" "$@" --size=quick --json \
    >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
  echo "$status"
  cat "$SCRATCH/err"
}

# Whether a run that ended with STATUS and stderr ERR is what EXPECT allows:
# right (exit 0 and a checked answer), refused (exit 1 and a message that
# names NEEDLE), either of those, or loader (exit 127: the dynamic loader
# could not start the program, its message naming NEEDLE).
outcome_ok() {
  local expect=$1 needle=$2 status=$3 err=$4 right=false
  [[ $status -eq 0 ]] && jq -e '.ok == true' "$SCRATCH/out" >/dev/null 2>&1 && right=true
  case $expect in
    right) $right ;;
    refused) [[ $status -eq 1 && -n $err && $err == *"$needle"* ]] ;;
    either) $right || [[ $status -eq 1 && $err == *"$needle"* ]] ;;
    loader) [[ $status -eq 127 && $err == *"$needle"* ]] ;;
  esac
}

# Every variant under SETUP must end as EXPECT says (outcome_ok), leave
# nothing behind (no_orphans) and never hang (timeout).  Counts into PASSED
# and FAILED.
check_limited() {
  local no_orphans=$1 bin=$2 setup=$3 expect=$4 needle=$5 name args report status err
  local passed=0
  while IFS=$'\t' read -r name args; do
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    report=$(run_limited "$no_orphans" "$bin" "$setup" $args)
    status=${report%%$'\n'*} err=${report#*$'\n'}
    [[ $report == *$'\n'* ]] || err=
    if outcome_ok "$expect" "$needle" "$status" "$err"; then
      passed=$((passed + 1))
      [[ -n $err ]] || err=right
      echo "ok   $name under '$setup': ${err%%$'\n'*}"
    else
      FAILED=$((FAILED + 1))
      echo "FAIL $name ($args) under '$setup': status $status, expected $expect naming '$needle'; stderr: $err" >&2
    fi
  done < <(variants_of "$bin")
  PASSED=$((PASSED + passed))
  [[ -z $needle ]] || expect+=" (naming \"$needle\")"
  echo "'$setup': $passed variant(s) $expect"
}

check_resources() {
  local bin=$1 no_orphans copy
  no_orphans=$(realpath "$2")
  SCRATCH=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: the folder is known now
  trap "rm -rf '$SCRATCH'" EXIT
  chmod 755 "$SCRATCH"
  copy=$SCRATCH/$(basename "$bin")
  cp "$bin" "$copy"
  cd "$SCRATCH"
  PASSED=0 FAILED=0 LIMITED_ENV=()
  # One process or thread for the whole user: the program itself.
  check_limited "$no_orphans" "$copy" "ulimit -u 1" either "ulimit -u"
  # Standard streams and three more descriptors.
  check_limited "$no_orphans" "$copy" "ulimit -n 6" either "ulimit -n"
  # Standard streams alone: the dynamic loader cannot open even the first
  # shared library (libcjson, libc), before any line of the program runs.
  # Known and accepted; linking cJSON statically would not help, libc and
  # libm are shared libraries too.
  check_limited "$no_orphans" "$copy" "ulimit -n 3" loader "error while loading shared libraries"
  # Started from cron or nohup, with stdin closed: the program's pipes get
  # descriptor 0 (a process pool's workers once closed their own pipe).
  check_limited "$no_orphans" "$copy" "exec <&-" right ""
  # With stdout closed the report cannot be written: exit 1, never a
  # silent 0 (the MPI launcher once let mpiexec drop it).
  check_limited "$no_orphans" "$copy" "exec >&-" refused "Bad file descriptor"
  # The main stack below its floor (CLI_MIN_STACK_KB, common/cli.h): a clear
  # refusal, never SIGSEGV; at the floor itself, every variant right (or
  # refused with the reason: mpiexec needs more).  With a small environment,
  # which lives on that stack too: the kernel refuses an exec whose
  # arguments and environment take more than a quarter of it.
  LIMITED_ENV=(env -i "PATH=$PATH")
  check_limited "$no_orphans" "$copy" "ulimit -s 24" refused "ulimit -s"
  check_limited "$no_orphans" "$copy" "ulimit -s 64" either "ulimit -s"
  LIMITED_ENV=()
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

main() {
  local what=${1:-} bin=${2:-}
  [[ -x $bin ]] || fail "usage: $0 variants|bad-input|usage-error|usage-error-naming|python|valgrind|interrupt|resources BIN [ARG...]"
  case $what in
    variants) check_variants "$bin" ;;
    bad-input) check_bad_input "$bin" ;;
    usage-error) shift 2 && check_usage_error "$bin" "$@" ;;
    usage-error-naming) shift 2 && { usage_error_ok "$1" "$bin" "${@:2}" || exit 1; } ;;
    python) check_python "$3" ;;
    valgrind) check_valgrind "$bin" ;;
    interrupt) shift 2 && check_interrupt "$bin" "$@" ;;
    resources) check_resources "$bin" "$3" ;;
    *) fail "unknown check '$what'" ;;
  esac
}

main "$@"
