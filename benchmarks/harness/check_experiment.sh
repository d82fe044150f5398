#!/usr/bin/env bash
# Checks one experiment binary the way every conclab program must behave
# (the contract: docs/contributing.md).
#   check_experiment.sh variants BIN            every --list variant at quick size, its
#                                               output one JSON object that shows a right
#                                               answer; every --mode choice in --list
#   check_experiment.sh bad-input BIN           the bad-input matrix, generated from --help:
#                                               0 and the first values outside each range
#   check_experiment.sh usage-error BIN ARG...  this command line is a usage error
#   check_experiment.sh usage-error-naming BIN TEXT ARG...
#                                               the same, with TEXT in its message
#   check_experiment.sh python BIN SCRIPT       the Python original: its --list that of BIN
#                                               (or a declared subset), every --mode choice
#                                               in it, each variant at quick size with
#                                               --json, one object whose ok is its exit
#                                               status; its usage errors
#   check_experiment.sh valgrind BIN            every variant once under memcheck
#   check_experiment.sh interrupt BIN NO_ORPHANS [--ended-within=S]
#                      [--add=VARIANT:ARGS]... [--skip=VARIANT:WHY]... [ARG...]
#                                               SIGINT in the middle of a run ends the
#                                               program (status 130) and all its children:
#                                               ARGS, or else every variant at large size
#                                               (with ARGS of --add; VARIANT * for all),
#                                               each still running when the signal comes
#                                               (one that ended first fails the check);
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
# When the interrupt checks send SIGINT: every large-size run must still be
# busy by then (check_interrupt fails one that is not).
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

# True when OUT is one JSON object and nothing else.  jq -s reads every
# value printed: `jq -e` alone judges only the last one, so a stray object
# printed before the report would go unseen.
one_object() {
  jq -es 'length == 1 and (.[0] | type == "object")' <<<"$1" >/dev/null 2>&1
}

# The --mode choices on C --help (the line "  --mode=A|B|C  ..."), one per line.
c_modes() {
  sed -n 's/^  --mode=\([a-z0-9_|-]*\) .*/\1/p' | tr '|' '\n'
}

# The --mode choices on a Python original's --help (argparse's
# "  --mode {A,B,C}"), one per line.
python_modes() {
  sed -n 's/^  --mode {\([^}]*\)}.*/\1/p' | tr ',' '\n'
}

# Fails unless every --mode choice in MODES (one per line) is selected by a
# line of LISTING (NAME<TAB>ARGS): a mode that --list leaves out is never
# timed by run_all.sh, silently.
check_modes_listed() {
  local who=$1 modes=$2 listing=$3 mode
  [[ -n $modes ]] || fail "$who: --help names no --mode choice (every program has --mode)"
  while IFS= read -r mode; do
    cut -f 2 <<<"$listing" | grep -qE -- "(^|[[:space:]])--mode=$mode([[:space:]]|\$)" ||
      fail "$who: --mode=$mode is accepted but no --list line selects it: run_all.sh would never time it"
  done <<<"$modes"
  echo "ok   $who: each of the $(wc -l <<<"$modes") --mode choices is in --list"
}

# Runs every variant that BIN lists with --size=quick --json and checks the
# output: one JSON object, same experiment and variant, a number of seconds,
# checks, ok.  Every --mode choice must be in --list.
check_variants() {
  local bin=$1 name args out experiment help listing
  experiment=$(basename "$bin")
  help=$("$bin" --help) || fail "$bin --help exited with $?"
  grep -q "^usage: $experiment" <<<"$help" || fail "--help does not start with usage"
  listing=$(variants_of "$bin")
  check_modes_listed "$experiment" "$(c_modes <<<"$help")" "$listing"
  while IFS=$'\t' read -r name args; do
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    out=$(timeout "$LIMIT_S" "$bin" $args --size=quick --json) ||
      fail "$name ($args) exited with $?"
    one_object "$out" || fail "$name: --json did not print exactly one JSON object: $out"
    jq -e --arg e "$experiment" --arg v "$name" '
      .experiment == $e and .variant == $v and .ok == true
      and (.elapsed_s | type == "number" and . >= 0)
      and (.checks | length > 0) and all(.checks[]; .ok == true)' <<<"$out" >/dev/null ||
      fail "$name: JSON does not show a checked, right answer: $out"
    echo "ok   $experiment $name ($args)"
  done <<<"$listing"
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

# The integer options on --help ("  --name=N ... (MIN..MAX, ..."), one per
# line: NAME MIN MAX.
integer_options() {
  sed -n 's/^  --\([a-z0-9-]*\)=N .*(\(-\{0,1\}[0-9]*\)\.\.\([0-9]*\).*/\1 \2 \3/p'
}

# The decimal options on --help ("  --name=X ... (LOW..HIGH, ..."): NAME LOW HIGH.
decimal_options() {
  sed -n 's/^  --\([a-z0-9-]*\)=X .*(\(-\{0,1\}[0-9.]*\)\.\.\([0-9.]*\),.*/\1 \2 \3/p'
}

# Whether the decimal 0 lies in [LOW, HIGH].
zero_in_range() {
  awk -v low="$1" -v high="$2" 'BEGIN { exit !(low + 0 <= 0 && 0 <= high + 0) }'
}

# The bad command lines to try on BIN, one per line, words separated by tabs,
# derived from its --help: every integer option (--name=N, range MIN..MAX)
# gets non-numbers, overflow, empty, the first values outside its range and
# 0 when 0 is outside it (0 inside it: see zero_command_lines); every decimal
# option (--name=X, LOW..HIGH) malformed and overflowing numbers, values
# outside its range and 0 when outside it; every choice an unknown word;
# every flag a value it does not take; every text option (--name=FILE) an
# empty value and none; integer and choice options also a value holding a
# newline (written \n here: one line per command line) and a right value
# given twice; then unknown options, missing values and a stray argument.
bad_command_lines() {
  local help=$1 option min max first
  while read -r option min max; do
    printf '%s\n' "--$option=abc" "--$option=12x" "--$option=1e3" "--$option=" \
      "--$option=99999999999999999999" "--$option=$((min - 1))" "--$option=$((max + 1))" "--$option" \
      "--$option=1\\n2" "--$option=$min"$'\t'"--$option=$min"
    ((min <= 1)) || printf '%s\n' "--$option=0"
  done < <(integer_options <<<"$help")
  while read -r option min max; do
    printf '%s\n' "--$option=abc" "--$option=.5" "--$option=5." "--$option=1e-2" "--$option=" \
      "--$option=-99999999999999999999" "--$option=99999999999999999999" "--$option" \
      "--$option=$(awk -v v="$min" 'BEGIN { print v - 1 }')" \
      "--$option=$(awk -v v="$max" 'BEGIN { print v + 1 }')"
    zero_in_range "$min" "$max" || printf '%s\n' "--$option=0"
  done < <(decimal_options <<<"$help")
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

# The options whose documented range admits 0, as "--NAME=0", one per line:
# 0 is where a count stops making sense (no workers, no work), so each of
# them is tried with every variant (zero_ok).
zero_options() {
  local help=$1 option min max
  while read -r option min max; do
    ((min > 0 || max < 0)) || echo "--$option=0"
  done < <(integer_options <<<"$help")
  while read -r option min max; do
    ! zero_in_range "$min" "$max" || echo "--$option=0"
  done < <(decimal_options <<<"$help")
}

# BIN ARGS... --size=quick --json, where ARGS hold an option at 0 that its
# range admits: true when that is a usage error (exit 2, one line, nothing
# on stdout) or a right answer (exit 0, one JSON object with ok true), never
# a wrong answer, a crash or a hang.  Says why on stderr otherwise.
zero_ok() {
  local bin=$1 status=0 out
  shift
  out=$(timeout "$LIMIT_S" "$bin" "$@" --size=quick --json 2>/dev/null) || status=$?
  if [[ $status -eq 2 ]]; then
    usage_error_ok "" "$bin" "$@" --size=quick --json >/dev/null
  elif [[ $status -eq 0 ]] && one_object "$out" && jq -e '.ok == true' <<<"$out" >/dev/null; then
    echo "ok   '$*' -> a right answer"
  else
    echo "FAIL '$*' (0 is in its documented range): exit $status, expected a right answer or exit 2: $out" >&2
    return 1
  fi
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
  local bin=$1 help line passed=0 failed=0 words zero name args listing
  help=$("$bin" --help) || fail "$bin --help exited with $?"
  while IFS= read -r line; do
    IFS=$'\t' read -r -a words <<<"$line"
    words=("${words[@]//\\n/$'\n'}") # the newline the line could not hold
    if usage_error_ok "$(option_named "$line")" "$bin" "${words[@]}"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
    fi
  done < <(bad_command_lines "$help")
  listing=$(variants_of "$bin")
  while IFS= read -r zero; do
    while IFS=$'\t' read -r name args; do
      # shellcheck disable=SC2086 # ARGS is a list of words by design
      if zero_ok "$bin" $args "$zero"; then
        passed=$((passed + 1))
      else
        failed=$((failed + 1))
      fi
    done <<<"$listing"
  done < <(zero_options "$help")
  echo "$passed passed, $failed failed"
  ((failed == 0 && passed > 0))
}

# The variants a Python original declares as its own, absent from the C
# program's --list: the keys of its module-level dict PYTHON_ONLY_VARIANTS
# ({"NAME": "why"}; a key may be a shell pattern, "threads-*"), read without
# running the script.  One per line.
python_only_variants() {
  python3 - "$1" <<'EOF'
import ast, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1])
for node in tree.body:
    if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PYTHON_ONLY_VARIANTS" for t in node.targets):
        for name in ast.literal_eval(node.value):
            print(name)
EOF
}

# Whether variant NAME matches one of PATTERNS (one per line).
matches_any() {
  local name=$1 patterns=$2 pattern
  while IFS= read -r pattern; do
    # shellcheck disable=SC2053 # PATTERN is a pattern by design
    [[ -z $pattern || $name != $pattern ]] || return 0
  done <<<"$patterns"
  return 1
}

# Fails unless the Python --list PY is the C --list C or a subset of it: every
# line of PY (NAME<TAB>ARGS) a line of C, in C's order, and the first lines
# equal (the first is the baseline of the speedups).  A variant that matches
# ONLY (PYTHON_ONLY_VARIANTS's keys, one per line) may stand anywhere, the
# first place included; each key must match a Python variant and no C one.
check_python_list() {
  local c=$1 py=$2 only=$3 name line at=0 index hits
  local -a c_lines
  mapfile -t c_lines <<<"$c"
  while IFS= read -r name; do
    [[ -n $name ]] || continue
    hits=0
    while IFS= read -r line; do
      ! matches_any "${line%%$'\t'*}" "$name" || hits=$((hits + 1))
    done <<<"$py"
    ((hits > 0)) || fail "PYTHON_ONLY_VARIANTS names $name, which matches no Python variant"
    for line in "${c_lines[@]}"; do
      ! matches_any "${line%%$'\t'*}" "$name" ||
        fail "PYTHON_ONLY_VARIANTS names $name, which matches the C variant ${line%%$'\t'*}"
    done
  done <<<"$only"
  while IFS= read -r line; do
    ! matches_any "${line%%$'\t'*}" "$only" || continue
    for ((index = at; index < ${#c_lines[@]}; index++)); do
      [[ ${c_lines[index]} != "$line" ]] || break
    done
    ((index < ${#c_lines[@]})) ||
      fail "the Python --list line '$line' is not a line of the C --list (or not in its order), nor declared in PYTHON_ONLY_VARIANTS"
    [[ $at -ne 0 || $index -eq 0 || $line != "$(head -n 1 <<<"$py")" ]] ||
      fail "the Python --list starts with '$line', the C --list with '${c_lines[0]}': the baselines differ"
    at=$((index + 1))
  done <<<"$py"
  echo "ok   the Python --list is the C --list or a subset of it, the same baseline first"
}

# The Python original: its --list against BIN's, every --mode choice in it,
# each variant right at quick size with --json printing one JSON object whose
# ok agrees with the exit status, and the same exit 2 for a bad command line.
check_python() {
  local bin=$1 script=$2 name args experiment c_listing py_listing status out
  experiment=$(basename "$script" .py)
  c_listing=$(variants_of "$bin")
  py_listing=$(variants_of python3 "$script")
  check_python_list "$c_listing" "$py_listing" "$(python_only_variants "$script")"
  check_modes_listed "$experiment.py" "$(python3 "$script" --help | python_modes)" "$py_listing"
  while IFS=$'\t' read -r name args; do
    status=0
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    out=$(timeout "$LIMIT_S" python3 "$script" $args --size=quick --json) || status=$?
    one_object "$out" || fail "python $name ($args): --json did not print exactly one JSON object (exit $status): $out"
    jq -e --argjson right "$([[ $status -eq 0 ]] && echo true || echo false)" \
      '(.ok | type == "boolean") and .ok == $right' <<<"$out" >/dev/null ||
      fail "python $name ($args): \"ok\" is $(jq -c .ok <<<"$out") but the exit status $status"
    [[ $status -eq 0 ]] || fail "python $name ($args) exited with $status: $out"
    jq -e --arg e "$experiment" --arg v "$name" '
      .experiment == $e and .variant == $v and .language == "python"
      and (.elapsed_s | type == "number" and . >= 0) and (.parameters | type == "object")
      and (.checks | length > 0) and all(.checks[]; .ok == true)' <<<"$out" >/dev/null ||
      fail "python $name: JSON does not show a checked, right answer: $out"
    echo "ok   $(basename "$script") $name"
  done <<<"$py_listing"
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
# "interrupted" (status 130) or "finished" (status 0: it ended before the
# signal); fails when it ended otherwise, too late, or left a process behind.
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

# The extra arguments of variant NAME in the generic interrupt check: those
# of every --add=NAME:ARGS and --add=*:ARGS in ADDS (one per line).
added_args() {
  local name=$1 adds=$2 add
  while IFS= read -r add; do
    [[ -n $add ]] || continue
    case ${add%%:*} in
      "$name" | "*") printf ' %s' "${add#*:}" ;;
    esac
  done <<<"$adds"
}

# With ARGS: that command line must be interrupted (it runs long enough).
# Without: every variant at large size, plus what --add=VARIANT:ARGS gives it
# (VARIANT * for all of them), each still running when the signal comes: one
# that has ended by then fails the check, since its run tested nothing (make
# it last with --add, see benchmarks/CMakeLists.txt's INTERRUPT_ADD).  A
# variant named by --skip=VARIANT:WHY is left out, saying why (one over in
# milliseconds whatever its arguments).  A program that ends on SIGINT
# (status 130: killed by it, or its handler raised it again) was running when
# it came.
check_interrupt() {
  local bin=$1 no_orphans=$2 name args how interrupted=0 listing adds='' skips='' why
  shift 2
  ENDED_WITHIN=$ENDED_WITHIN_S
  if [[ ${1:-} == --ended-within=* ]]; then
    ENDED_WITHIN=${1#--ended-within=}
    shift
  fi
  while [[ ${1:-} == --add=* || ${1:-} == --skip=* ]]; do
    [[ $1 == *:* ]] || fail "$1: expected VARIANT:ARGS or VARIANT:WHY"
    if [[ $1 == --add=* ]]; then adds+=${1#--add=}$'\n'; else skips+=${1#--skip=}$'\n'; fi
    shift
  done
  SCRATCH_ERR=$(mktemp)
  # shellcheck disable=SC2064 # expand now: the file is known now
  trap "rm -f '$SCRATCH_ERR'" EXIT
  if (($# > 0)); then
    how=$(interrupt_one "$no_orphans" "$bin" "$@")
    [[ $how == interrupted ]] || fail "'$*' ended before the interrupt: give it more work"
    echo "ok   '$*': SIGINT ended it with status 130${ENDED_WITHIN:+ within ${ENDED_WITHIN}s}, no process left"
    return 0
  fi
  listing=$(variants_of "$bin")
  while IFS=$'\t' read -r name args; do
    why=$(sed -n "s/^$name:\(.*\)/\1/p" <<<"$skips")
    if [[ -n $why ]]; then
      echo "skip $name: $why"
      continue
    fi
    args+=$(added_args "$name" "$adds")
    # shellcheck disable=SC2086 # ARGS is a list of words by design
    how=$(interrupt_one "$no_orphans" "$bin" $args --size=large)
    [[ $how == interrupted ]] ||
      fail "$name ($args --size=large) ended before the SIGINT at ${INTERRUPT_S}s: the test tested nothing; make it last (INTERRUPT_ADD)"
    echo "ok   $name ($args --size=large): interrupted, no process left"
    interrupted=$((interrupted + 1))
  done <<<"$listing"
  ((interrupted > 0)) || fail "no variant was interrupted"
  echo "interrupt: $interrupted variant(s) interrupted after ${INTERRUPT_S}s, each with status 130, 0 left a process"
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
    python) check_python "$bin" "$3" ;;
    valgrind) check_valgrind "$bin" ;;
    interrupt) shift 2 && check_interrupt "$bin" "$@" ;;
    resources) check_resources "$bin" "$3" ;;
    *) fail "unknown check '$what'" ;;
  esac
}

main "$@"
