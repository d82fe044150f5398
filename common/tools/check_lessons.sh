#!/usr/bin/env bash
# conclab-results' lesson verdicts on fabricated run folders: a lesson shown,
# not shown on a quiet and on a busy machine, a variant that was not timed,
# too few cores, a size the lesson is not judged at, metrics from the
# verification JSON; the exit statuses, the lines printed, summary.json's
# "lessons", and lessons --check on good and bad declarations.
#   check_lessons.sh CONCLAB_RESULTS
set -euo pipefail

TOOL=$1
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

ok() {
  echo "ok   $*"
}

QUIET='{"load_average": [0.3, 0.2, 0.1], "cores_online": 2, "others_busy_cores": 0.05,
        "steal_percent": 0, "top": []}'
BUSY='{"load_average": [8.7, 8.1, 7.9], "cores_online": 2, "others_busy_cores": 1.8,
       "steal_percent": 0, "top": [{"pid": 42, "command": "cc1plus", "cpu_percent": 97}]}'

# make_run NAME CORES SIZE PREFLIGHT SEQ_S THREADS_S: a run folder with one
# experiment "demo" timed by hyperfine (seq and threads, five runs each
# around the given medians) and verified (unlocked lost 12 updates; walk's
# CPU went from 1.2 to 1.25 ms; alone and neighbour-gil waited 1 and 6 ms).
make_run() {
  local dir=$SCRATCH/$1
  mkdir -p "$dir/demo"
  jq -n --argjson cores "$2" --arg size "$3" --argjson preflight "$4" \
    '{cpu: "Test CPU", cores: $cores, size: $size, preflight: $preflight}' >"$dir/meta.json"
  jq -n --argjson seq "$5" --argjson threads "$6" '
      def runs($m): [$m * 0.98, $m * 0.99, $m, $m * 1.01, $m * 1.02];
      {results: [{command: "seq", times: runs($seq)}, {command: "threads", times: runs($threads)}]}' \
    >"$dir/demo/hyperfine.json"
  echo '{"ok": true, "metrics": {"lost": {"value": 12}}}' >"$dir/demo/verify-unlocked.json"
  echo '{"ok": true, "data": {"states": [{"cpu_ms": 0}, {"cpu_ms": 1.2}, {"cpu_ms": 1.25}]}}' \
    >"$dir/demo/verify-walk.json"
  echo '{"metrics": {"p50_ms": {"value": 1}}}' >"$dir/demo/verify-alone.json"
  echo '{"metrics": {"p50_ms": {"value": 6}}}' >"$dir/demo/verify-neighbour-gil.json"
}

# lessons NAME JSON: the experiment's lessons.json.
lessons() {
  jq -n --argjson lessons "$2" '{lessons: $lessons}' >"$SCRATCH/$1/demo/lessons.json"
}

THREADS='{"name": "threads over seq", "speedup": {"variant": "threads", "over": "seq"},
          "min": 1.3, "max": 1.6, "ideal": 1.5, "min_cores": 2,
          "means": "Two cores compute at once."}'

# judge NAME STATUS: runs `lessons RUN_DIR demo`, expects STATUS; the lines
# are left in $SCRATCH/NAME.out.
judge() {
  local status=0
  "$TOOL" lessons "$SCRATCH/$1" demo >"$SCRATCH/$1.out" || status=$?
  [[ $status -eq $2 ]] || fail "$1: lessons exited $status, expected $2: $(cat "$SCRATCH/$1.out")"
}

expect_line() {
  grep -qF -- "$2" "$SCRATCH/$1.out" || fail "$1: no line with '$2' in: $(cat "$SCRATCH/$1.out")"
}

check_shown() {
  make_run shown 2 book "$QUIET" 1.5 1.0
  lessons shown "[$THREADS]"
  judge shown 0
  expect_line shown "  lesson: threads 1.5× over seq (ideal 1.5) — shown"
  ok "a lesson within its interval is shown"
}

check_quiet_miss() {
  make_run quiet_miss 2 book "$QUIET" 1.0 1.0
  lessons quiet_miss "[$THREADS]"
  judge quiet_miss 1
  expect_line quiet_miss "lesson: threads 1× over seq (ideal 1.5) — NOT shown: expected 1.3–1.6 on a quiet machine"
  ok "a lesson outside its interval on a quiet machine is not shown, and exit 1"
}

check_busy_miss() {
  make_run busy 2 book "$BUSY" 1.0 1.02
  lessons busy "[$THREADS]"
  judge busy 1
  expect_line busy "— NOT shown: expected 1.3–1.6; load average 8.7 on 2 cores, other programs used 1.8 cores before the run (cc1plus 97%); rerun on a quiet machine"
  # Quiet before the run, busy while the experiment ran.
  make_run busy_during 2 book "$QUIET" 1.0 1.02
  lessons busy_during "[$THREADS]"
  jq -n '{load_before: 0.3, load_after: 3.1, seconds: 4, others_busy_cores: 1.1, steal_percent: 0}' \
    >"$SCRATCH/busy_during/demo/load.json"
  judge busy_during 1
  expect_line busy_during "other programs used 0.1 cores before the run and 1.1 while it ran; rerun on a quiet machine"
  ok "a lesson not shown on a busy machine says so, from the preflight or from the experiment's load"
}

check_missing_variant() {
  make_run missing 2 book "$QUIET" 1.5 1.0
  lessons missing '[{"name": "processes over seq", "speedup": {"variant": "processes", "over": "seq"},
                     "min": 1.3, "means": "Processes too."},
                    {"name": "unlocked loses updates", "metric": {"variant": "atomic", "path": "metrics.lost.value"},
                     "text": "lost {value}", "min": 1, "means": "A race."}]'
  judge missing 1
  expect_line missing "lesson: processes over seq — not judged: processes was not timed in this run"
  expect_line missing "lesson: unlocked loses updates — not judged: no verification output of atomic"
  ok "a variant that was not timed or verified: not judged, and exit 1"
}

check_too_few_cores() {
  make_run one_core 1 book "$QUIET" 1.0 1.0
  lessons one_core "[$THREADS]"
  judge one_core 1
  expect_line one_core "lesson: threads 1× over seq (ideal 1.5) — not judged: needs 2 cores, this machine has 1"
  ok "too few cores: not judged, with the count"
}

check_size() {
  make_run quick 2 quick "$QUIET" 1.5 1.0
  lessons quick "[$THREADS, {\"name\": \"MPI over seq\", \"speedup\": {\"variant\": \"mpi\", \"over\": \"seq\"},
    \"min\": 1.2, \"sizes\": [\"book\"], \"sizes_note\": \"starting the ranks takes longer than the work\",
    \"means\": \"Ranks.\"}]"
  judge quick 0
  expect_line quick "lesson: MPI over seq — not judged at quick size: starting the ranks takes longer than the work"
  ok "a lesson declared for book size only is not judged at quick size, and does not fail"
}

check_metrics() {
  make_run metrics 2 book "$QUIET" 1.5 1.0
  lessons metrics '[
    {"name": "lost", "metric": {"variant": "unlocked", "path": "metrics.lost.value"},
     "text": "unlocked lost {value} updates", "min": 1, "min_cores": 2, "means": "A race."},
    {"name": "asleep", "metric": {"variant": "walk", "path": "data.states[2].cpu_ms", "minus": "data.states[1].cpu_ms"},
     "text": "asleep it used {value} ms", "max": 0.5, "means": "No CPU."},
    {"name": "convoy", "metric": {"variant": "neighbour-gil", "path": "metrics.p50_ms.value"},
     "over": {"variant": "alone", "path": "metrics.p50_ms.value"},
     "text": "{value}× alone", "min": 3, "means": "The convoy."}]'
  judge metrics 0
  expect_line metrics "lesson: unlocked lost 12 updates — shown"
  expect_line metrics "lesson: asleep it used 0.05 ms — shown"
  expect_line metrics "lesson: 6× alone — shown"
  ok "metrics from the verification JSON: a field, a difference with [index], a ratio of two variants"
}

# summarize writes every verdict into summary.json in the shape the report reads.
check_summary() {
  local summary=$SCRATCH/busy/summary.json
  "$TOOL" summarize "$SCRATCH/busy"
  jq -e '.lessons.demo | length == 1 and (.[0] | keys == ["ideal", "max", "means", "min", "name", "shown", "text", "value", "why"])
      and .[0].shown == false and .[0].min == 1.3 and .[0].max == 1.6 and .[0].ideal == 1.5
      and (.[0].value | . > 0.97 and . < 0.99) and .[0].text == "threads 0.98× over seq (ideal 1.5)"
      and (.[0].why | test("load average 8.7"))' "$summary" >/dev/null ||
    fail "summary.json's lessons: $(jq -c .lessons "$summary")"
  "$TOOL" summarize "$SCRATCH/quick"
  jq -e '.lessons.demo[1] | .shown == null and .value == null and .min == 1.2 and .max == null
      and (.why | startswith("not judged at quick size"))' "$SCRATCH/quick/summary.json" >/dev/null ||
    fail "summary.json's unjudged lesson: $(jq -c .lessons "$SCRATCH/quick/summary.json")"
  ok "summary.json holds the verdicts: name, text, value, min, max, ideal, shown, why, means"
}

# The whole run: every experiment's lines, then the tally.
check_run_tally() {
  local status=0 out
  out=$("$TOOL" lessons "$SCRATCH/quick") || status=$?
  [[ $status -eq 0 ]] || fail "lessons on a whole run exited $status"
  [[ $(tail -n 1 <<<"$out") == "lessons: 1 of 2 shown, 1 not judged at this size" ]] ||
    fail "tally: $(tail -n 1 <<<"$out")"
  ok "a whole run: one line per lesson and the tally"
}

# check_declaration STATUS JSON [MESSAGE]
check_declaration() {
  local status=0 err
  echo "$2" >"$SCRATCH/declared.json"
  err=$("$TOOL" lessons --check "$SCRATCH/declared.json" 2>&1) || status=$?
  [[ $status -eq $1 ]] || fail "--check of $2: exit $status, expected $1 ($err)"
  [[ -z ${3:-} || $err == *"$3"* ]] || fail "--check of $2: '$err' does not say '$3'"
}

check_declarations() {
  check_declaration 0 "{\"lessons\": [$THREADS]}"
  check_declaration 2 '{"lessons": []}' 'needs a non-empty "lessons" array'
  check_declaration 2 '{"lessons": [{"name": "x", "speedup": {"variant": "a", "over": "b"}, "min": 1}]}' \
    'needs a "name" and a "means"'
  check_declaration 2 '{"lessons": [{"name": "x", "means": "y", "speedup": {"variant": "a", "over": "b"}, "minimum": 1}]}' \
    'unknown key "minimum"'
  check_declaration 2 '{"lessons": [{"name": "x", "means": "y", "speedup": {"variant": "a", "over": "b"}}]}' \
    'needs "min", "max" or both'
  check_declaration 2 '{"lessons": [{"name": "x", "means": "y", "speedup": {"variant": "a", "over": "b"}, "min": 2, "max": 1}]}' \
    '"min" is above "max"'
  check_declaration 2 '{"lessons": [{"name": "x", "means": "y", "metric": {"variant": "a", "path": "b"}, "min": 1}]}' \
    'needs a "text" with {value}'
  check_declaration 2 '{"lessons": [{"name": "x", "means": "y", "speedup": {"variant": "a", "over": "b"}, "min": 1, "sizes": ["huge"]}]}' \
    'each must be quick, book or large'
  check_declaration 2 '{"lessons": [{"name": "x", "means": "y", "speedup": {"variant": "a", "over": "b"}, "min": 1, "min_cores": 1.5}]}' \
    'min_cores'
  check_declaration 2 'not json' 'not valid JSON'
  ok "lessons --check accepts a good declaration and names what is wrong in bad ones"
}

main() {
  check_shown
  check_quiet_miss
  check_busy_miss
  check_missing_variant
  check_too_few_cores
  check_size
  check_metrics
  check_summary
  check_run_tally
  check_declarations
}

main
