#!/usr/bin/env bash
# The tests of the generated tests: check_experiment.sh must pass a program
# that keeps the contract (docs/contributing.md) and fail each planted
# mistake, shown with check_contract_fixture/contract_fake.c and its Python
# original contract_fake.py (CONTRACT_FAKE_MISTAKE picks the mistake).
#   check_contract_test.sh CHECK_EXPERIMENT FAKE_BIN FAKE_PY NO_ORPHANS
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# check_experiment.sh CHECK ARG... with mistake MISTAKE planted ("" for none);
# its output in $SCRATCH/out.  True when it passed.
run_check() {
  local mistake=$1
  shift
  CONTRACT_FAKE_MISTAKE=$mistake "$CHECK" "$@" >"$SCRATCH/out" 2>&1
}

# The check must pass on the faithful fake.
passes() {
  run_check "" "$@" || fail "'$*' fails on a program that keeps the contract: $(tail -n 3 "$SCRATCH/out")"
  echo "ok   passes: $1"
}

# The check must fail with MISTAKE planted, saying something that holds SAYS.
catches() {
  local mistake=$1 says=$2
  shift 2
  ! run_check "$mistake" "$@" || fail "'$1' passes with the mistake $mistake planted"
  grep -qF -- "$says" "$SCRATCH/out" ||
    fail "'$1' fails on $mistake, but not for it (expected '$says'): $(tail -n 3 "$SCRATCH/out")"
  echo "ok   $mistake: '$1' fails: $(grep -F -- "$says" "$SCRATCH/out" | head -n 1)"
}

main() {
  (($# == 4)) || fail "usage: $0 CHECK_EXPERIMENT FAKE_BIN FAKE_PY NO_ORPHANS"
  CHECK=$1
  local bin=$2 py=$3 no_orphans=$4
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT

  passes variants "$bin"
  passes bad-input "$bin"
  passes interrupt "$bin" "$no_orphans"
  passes python "$bin" "$py"

  catches two-objects "exactly one JSON object" variants "$bin"
  catches unlisted-mode "--mode=spare is accepted but no --list line selects it" variants "$bin"
  catches broken-variant "split (--mode=split --workers=0) exited with 2" variants "$bin"
  catches zero-workers "(0 is in its documented range): exit 1" bad-input "$bin"
  catches done-early "ended before the SIGINT" interrupt "$bin" "$no_orphans"
  catches py-unlisted-mode "--mode=spare is accepted but no --list line selects it" python "$bin" "$py"
  catches py-extra-variant "is not a line of the C --list" python "$bin" "$py"
  catches py-other-baseline "the baselines differ" python "$bin" "$py"
  catches py-bad-json "exactly one JSON object" python "$bin" "$py"
  catches py-ok-false '"ok" is false but the exit status 0' python "$bin" "$py"
  catches py-wrong-exit '"ok" is true but the exit status 1' python "$bin" "$py"
  echo "every planted mistake fails its generated test"
}

main "$@"
