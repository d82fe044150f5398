#!/usr/bin/env bash
# The driver's side of the lessons, on a fake experiment of a few
# milliseconds whose lessons are declared here: one that is always shown,
# one that never is.  run_all.sh must record the preflight in meta.json and
# each experiment's load.json, print a line per lesson, write the verdicts
# into summary.json and REPORT.md, warn but exit 0 when a lesson is not
# shown, and exit 1 under --strict-lessons (keeping the run as usual).
#   check_lessons_run_all.sh RUN_ALL BIN_DIR
# Of BIN_DIR only the results tool beside it (../tools) is used.
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

ok() {
  echo "ok   $*"
}

setup() {
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT
  mkdir -p "$SCRATCH/fake/bin" "$SCRATCH/lessons/tiny"
  ln -s "$(cd "$(dirname "$BIN_DIR")" && pwd)/tools" "$SCRATCH/fake/tools"
  cat >"$SCRATCH/fake/bin/tiny" <<'PROGRAM'
#!/usr/bin/env bash
case $1 in
  --list) printf 'seq\t--mode=seq\npar\t--mode=par\n' ;;
  --sweep) ;;
  *) if [[ " $* " == *" --json "* ]]; then echo '{"ok": true, "metrics": {"lost": {"value": 7}}}'; fi ;;
esac
PROGRAM
  chmod +x "$SCRATCH/fake/bin/tiny"
  export CONCLAB_BIN_DIR=$SCRATCH/fake/bin CONCLAB_RESULTS_DIR=$SCRATCH/results
  export CONCLAB_PLOTS_DIR=$SCRATCH/plots CONCLAB_LESSONS_DIR=$SCRATCH/lessons
}

# declare_lessons NEVER: the fake's lessons; with NEVER=true also one that
# no machine shows (par a thousand times faster than seq, which it is not).
declare_lessons() {
  jq -n --argjson never "$1" '{lessons: ([
      {name: "lost", metric: {variant: "par", path: "metrics.lost.value"},
       text: "par lost {value} updates", min: 1, means: "Always shown."}]
    + if $never then [{name: "never", speedup: {variant: "par", over: "seq"}, min: 1000,
                       means: "Never shown."}] else [] end)}' >"$SCRATCH/lessons/tiny/lessons.json"
}

# run NAME STATUS ARGS...: run_all.sh on the fake, expecting STATUS.
run() {
  local name=$1 expected=$2 status=0
  shift 2
  "$RUN_ALL" --quick --runs 2 --no-python "$@" tiny >"$SCRATCH/$name.out" 2>&1 || status=$?
  [[ $status -eq $expected ]] || fail "$name: exit $status, expected $expected: $(cat "$SCRATCH/$name.out")"
}

expect_output() {
  grep -qF -- "$2" "$SCRATCH/$1.out" || fail "$1: no '$2' in: $(cat "$SCRATCH/$1.out")"
}

check_warning_only() {
  local latest=$SCRATCH/results/latest
  declare_lessons true
  run warn 0
  expect_output warn "  lesson: par lost 7 updates — shown"
  expect_output warn "— NOT shown: expected ≥ 1000"
  expect_output warn "lessons: 1 of 2 shown, 1 not shown"
  expect_output warn "warning: not every lesson was shown"
  grep -Eq '^(preflight: quiet|warning: the machine is busy|warning: only 1 core online)' "$SCRATCH/warn.out" ||
    fail "no preflight line in: $(cat "$SCRATCH/warn.out")"
  jq -e '.preflight | (.load_average | length == 3) and .cores_online >= 1
      and (.others_busy_cores | type == "number") and (.steal_percent | type == "number")
      and (.top | type == "array") and has("governor") and (.busy | type == "boolean")
      and (.summary | length > 0)' "$latest/meta.json" >/dev/null ||
    fail "meta.json has no complete preflight: $(jq -c .preflight "$latest/meta.json")"
  jq -e '(.load_before | type == "number") and (.load_after | type == "number")
      and (.others_busy_cores | type == "number") and .seconds >= 0' "$latest/tiny/load.json" >/dev/null ||
    fail "tiny/load.json: $(cat "$latest/tiny/load.json" 2>&1)"
  jq -e '.lessons.tiny | length == 2 and .[0].shown == true and .[0].value == 7 and .[1].shown == false
      and (.[1].why | startswith("expected ≥ 1000"))' "$latest/summary.json" >/dev/null ||
    fail "summary.json's lessons: $(jq -c .lessons "$latest/summary.json")"
  grep -q '^## Lessons' "$latest/REPORT.md" || fail "REPORT.md has no lessons section"
  grep -qF '| tiny | par lost 7 updates | shown | Always shown. |' "$latest/REPORT.md" ||
    fail "REPORT.md has no row for the lesson shown"
  [[ -s $latest/lessons.txt ]] || fail "no lessons.txt in the run"
  ok "a lesson not shown: a line and a warning, exit 0; preflight, load.json, summary and REPORT hold it all"
}

check_strict() {
  local first
  first=$(readlink "$SCRATCH/results/latest")
  run strict 1 --strict-lessons
  expect_output strict "not every lesson was shown (--strict-lessons)"
  [[ $(readlink "$SCRATCH/results/latest") != "$first" ]] ||
    fail "--strict-lessons: the complete run did not become results/latest"
  declare_lessons false
  run strict_shown 0 --strict-lessons
  expect_output strict_shown "lessons: 1 of 1 shown"
  "$RUN_ALL" --help | grep -q -- '--strict-lessons' || fail "--help does not mention --strict-lessons"
  ok "--strict-lessons: exit 1 when a lesson is not shown (the run kept), 0 when all are"
}

main() {
  RUN_ALL=$1
  BIN_DIR=$2
  setup
  check_warning_only
  check_strict
}

main "$@"
