#!/usr/bin/env bash
# run_all.sh --ab on a throw-away repository: a copy of run_all.sh beside a
# fake experiment (a shell script, "built" by a CMake project with no
# compiler) in two commits.  Checks what --ab does, never how fast anything
# ran: the other revision is built in build/ab/<commit>/ and reused the next
# time, both builds are timed round by round, each variant gets a line with
# B/A, its interval, p and a verdict, a variant of one build only is named,
# results go to results/ab/ and never to results/latest, the tree stays as
# it was; a bad revision is one line and exit 2, nothing timed; --cpus pins
# and is recorded.
# Last, benchmarks/harness/ab_false_alarms.sh at the smallest size: its
# tallies count every verdict of every try (--ab A/A, planted, and
# --compare between two runs), and its planted commit leaves the tree and
# branch as they were.
#   check_run_all_ab.sh RUN_ALL TOOLS_DIR
set -euo pipefail

RUN_ALL=$1
TOOLS=$2
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
REPO=$SCRATCH/repo

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The fake experiment: --list, and each variant a no-op.  $1: the variants.
write_demo() {
  {
    echo '#!/bin/sh'
    # shellcheck disable=SC2016 # the fake program's own $1
    echo 'if [ "$1" = --list ]; then'
    local variant
    for variant; do printf "  printf '%s\\\\t--mode=%s\\\\n'\n" "$variant" "$variant"; done
    echo '  exit 0'
    echo 'fi'
    echo 'exit 0'
  } >"$REPO/demo"
  chmod +x "$REPO/demo"
}

make_repo() {
  mkdir -p "$REPO"
  cp "$RUN_ALL" "$REPO/run_all.sh"
  mkdir -p "$REPO/plots"
  cp "$(dirname "$RUN_ALL")"/plots/*.gp "$REPO/plots/"
  cat >"$REPO/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(fake LANGUAGES NONE)
configure_file(demo ${CMAKE_BINARY_DIR}/bin/demo COPYONLY)
CMAKE
  cat >"$REPO/CMakePresets.json" <<'JSON'
{"version": 6, "configurePresets": [{"name": "release", "binaryDir": "${sourceDir}/build/release"}],
 "buildPresets": [{"name": "release", "configurePreset": "release"}]}
JSON
  printf '/build/\n/results/\n' >"$REPO/.gitignore"
  write_demo seq threads
  git -C "$REPO" init -q
  git -C "$REPO" -c user.name=test -c user.email=test@example.com add -A
  git -C "$REPO" -c user.name=test -c user.email=test@example.com commit -qm one
  write_demo seq threads extra
  git -C "$REPO" -c user.name=test -c user.email=test@example.com commit -qam two
  (cd "$REPO" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
}

# Runs the copy in the fake repository: B's programs prebuilt, the real
# conclab-results, results in the scratch folder.
run_ab() {
  (cd "$REPO" && CONCLAB_BIN_DIR=$REPO/build/release/bin CONCLAB_TOOLS_DIR=$TOOLS \
    CONCLAB_RESULTS_DIR=$SCRATCH/results CONCLAB_PLOTS_DIR=$SCRATCH/plots ./run_all.sh "$@")
}

check_first_ab() {
  local status=0 out=$SCRATCH/out.txt one dir
  run_ab --ab HEAD~1 --runs 5 --quick demo >"$out" 2>&1 || status=$?
  ((status == 0 || status == 1)) || fail "--ab HEAD~1: exit $status: $(cat "$out")"
  one=$(git -C "$REPO" rev-parse HEAD~1)
  grep -q "^A: HEAD~1 (${one:0:12}), a worktree in build/ab/$one$" "$out" || fail "no new worktree said: $(cat "$out")"
  [[ -x $REPO/build/ab/$one/src/build/release/bin/demo ]] || fail "A not built in build/ab/$one"
  grep -Eq '^demo +seq +[0-9.]+ +[0-9.]+ +[0-9.]+ \[[0-9.]+-[0-9.]+\] +[0-9.e-]+ +[0-9.]+  (same|REGRESSION|improved)' "$out" ||
    fail "no verdict line for seq: $(cat "$out")"
  grep -Eq '^demo +threads ' "$out" || fail "no verdict line for threads"
  grep -q 'extra: only in B (this tree): not timed' "$out" || fail "a variant of B only is not named"
  dir=$(find "$SCRATCH/results/ab" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  jq -e '.experiments.demo | (.seq.a | length) == 5 and (.seq.b | length) == 5 and (.threads.b | length) == 5
         and (has("extra") | not)' "$dir/ab.json" >/dev/null || fail "ab.json: not 5 rounds of each"
  jq -e --arg one "$one" '.meta.ab.a.commit == $one and (.experiments.demo.seq | has("p") and has("p_slower"))
         and (.meta.load.demo | has("load_before") and has("steal_percent"))
         and (.meta.state | has("aslr") and has("cpus_online") and .pinned_cpus == null)' \
    "$dir/summary.json" >/dev/null || fail "summary.json lacks the commits, p, effect or machine state"
  [[ -s $dir/compare.txt ]] || fail "no compare.txt"
  [[ ! -e $SCRATCH/results/latest && ! -e $SCRATCH/results/runs ]] || fail "--ab touched results/latest or runs/"
  [[ -z $(git -C "$REPO" status --porcelain) ]] || fail "the tree changed: $(git -C "$REPO" status --porcelain)"
  [[ $(git -C "$REPO" rev-parse --abbrev-ref HEAD) != HEAD ]] || fail "the tree's branch changed"
  echo "ok   --ab HEAD~1: built apart, every shared variant judged, results apart, tree untouched"
}

check_reuse_and_pinning() {
  local status=0 out=$SCRATCH/out2.txt one dir
  one=$(git -C "$REPO" rev-parse HEAD~1)
  run_ab --ab "$one" --runs 2 --quick --cpus 0 demo >"$out" 2>&1 || status=$?
  ((status == 0 || status == 1)) || fail "second --ab: exit $status: $(cat "$out")"
  grep -q "reusing build/ab/$one$" "$out" || fail "the worktree was not reused: $(cat "$out")"
  grep -q 'too few runs' "$out" || fail "2 rounds judged"
  dir=$(find "$SCRATCH/results/ab" -mindepth 1 -maxdepth 1 -type d -newer "$SCRATCH/out.txt" | head -n 1)
  jq -e '.state.pinned_cpus == "0"' "$dir/meta.json" >/dev/null || fail "--cpus 0 not recorded"
  echo "ok   a second --ab reuses the build; --cpus is recorded"
}

check_bad_revisions() {
  local rev status err=$SCRATCH/err.txt before
  before=$(find "$SCRATCH/results" -mindepth 2 | wc -l)
  for rev in no-such-revision HEAD~9 '--help'; do
    status=0
    run_ab --ab="$rev" demo >/dev/null 2>"$err" || status=$?
    ((status == 2)) || fail "--ab '$rev': exit $status, expected 2"
    [[ $(grep -c . "$err") -eq 1 ]] || fail "--ab '$rev': not one line: $(cat "$err")"
  done
  status=0
  run_ab --ab HEAD --compare "$REPO/x.json" demo >/dev/null 2>"$err" || status=$?
  ((status == 2)) || fail "--ab with --compare: exit $status"
  status=0
  run_ab --ab HEAD --cpus 0-x demo >/dev/null 2>"$err" || status=$?
  ((status == 2)) || fail "--cpus 0-x: exit $status"
  [[ $(find "$SCRATCH/results" -mindepth 2 | wc -l) -eq $before ]] || fail "a bad revision timed something"
  echo "ok   bad revisions and options: one line, exit 2, nothing timed"
}

check_false_alarms_script() {
  local out=$SCRATCH/alarms.txt status=0 branch
  branch=$(git -C "$REPO" rev-parse --abbrev-ref HEAD)
  CONCLAB_BIN_DIR=$REPO/build/release/bin CONCLAB_TOOLS_DIR=$TOOLS CONCLAB_RESULTS_DIR=$SCRATCH/results \
    CONCLAB_PLOTS_DIR=$SCRATCH/plots "$(dirname "$RUN_ALL")/benchmarks/harness/ab_false_alarms.sh" \
    --root "$REPO" --tries 1 --runs 2 --quick --compare --plant 'demo:s/^exit 0$/exit 0 # planted/' demo >"$out" 2>&1 ||
    status=$?
  ((status == 0)) || fail "ab_false_alarms.sh: exit $status: $(cat "$out")"
  grep -q '^false alarms: 0 REGRESSION verdicts of 3 (1 try)$' "$out" ||
    fail "no A/A tally of 1 try x 3 variants (2 rounds: too few for a verdict): $(cat "$out")"
  grep -q '^detection: 0 REGRESSION verdicts of 3 (1 try)$' "$out" || fail "no detection tally: $(cat "$out")"
  grep -q '^compare false alarms: 0 REGRESSION verdicts of 3 with the rank test, 0 with the intervals alone (1 try)$' \
    "$out" || fail "no tally of --compare's false alarms: $(cat "$out")"
  grep -q '^machine: .* cores; load average' "$out" || fail "the machine is not named"
  [[ -z $(git -C "$REPO" status --porcelain) && $(git -C "$REPO" rev-parse --abbrev-ref HEAD) == "$branch" ]] ||
    fail "the planted commit changed the tree or the branch"
  [[ $(git -C "$REPO" worktree list | wc -l) -eq 4 ]] || fail "a worktree left behind: $(git -C "$REPO" worktree list)"
  echo "ok   ab_false_alarms.sh: tallies of A/A and planted tries; the tree and branch untouched"
}

# --history prints the steps of the history and times nothing.
check_history() {
  local out i speedups=(1.9 1.9 1.9 1.9 1.2 1.2 1.2 1.2)
  rm -f "$SCRATCH/results/history.jsonl" # the runs of --compare's tries made one
  out=$(run_ab --history)
  [[ $out == "no history yet: "* ]] || fail "--history without history: $out"
  for i in "${!speedups[@]}"; do
    jq -n -c --arg run "r$i" --argjson s "${speedups[i]}" '{run: $run, git_commit: ("c" + $run), host: "h",
      size: "book", experiment: "demo", variant: "threads", baseline: "seq", speedup: $s}'
  done >"$SCRATCH/results/history.jsonl"
  out=$(run_ab --history)
  grep -q '^demo threads (h, book): step after run r3 (commit cr3) to run r4 (commit cr4): 1.90 -> 1.20' <<<"$out" ||
    fail "--history: no step: $out"
  local status=0
  run_ab --history demo >/dev/null 2>&1 || status=$?
  ((status == 2)) || fail "--history with an experiment: exit $status"
  echo "ok   --history prints the steps"
}

main() {
  command -v git >/dev/null || exit 77
  make_repo
  check_first_ab
  check_reuse_and_pinning
  check_bad_revisions
  check_false_alarms_script
  check_history
}

main
