#!/usr/bin/env bash
# ab_false_alarms.sh — how often does run_all.sh --ab cry wolf, and how often
# does it find a real slowdown?
#
#   ab_false_alarms.sh [--tries N] [--runs R] [--quick] [--threshold P]
#                      [--plant FILE:SED] [--root DIR] [--compare] EXPERIMENT...
#
# false alarms: N times `run_all.sh --ab HEAD` (the same build against itself):
#   every REGRESSION is a false alarm;
# detection: a throw-away commit on HEAD (made in a temporary worktree, on no
#   branch) in which FILE is edited with the sed script SED so that it does
#   less work; N times `run_all.sh --ab PLANTED`: this tree then does more
#   work than A, and every variant the plant slows down should be a REGRESSION.
# with --compare, also false alarms of --compare: N times two separate runs of
#   this tree (--save-baseline, then --compare against it), each held with
#   the rank test and, as before it, with the intervals alone (the baseline's
#   per-run speedups left out); C variants only.
# The default plant scales factorize's numbers by 1 / 1.15, so that this tree
# does 15 % more work than the planted A in every factorize variant.
# Prints each try's verdicts and at the end, per part, "K REGRESSION verdicts
# of M (N tries x V variants)".  Extra environment (CONCLAB_RESULTS_DIR...) is
# passed to run_all.sh; the results of every try stay there.  Exit 0 when it
# ran, 2 on a bad command line.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TRIES=10
RUNS=10
QUICK=()
THRESHOLD=10
PLANT='benchmarks/factorize/factorize.c:s/{3000000, 6000000}/{2608696, 5217391}/;s/{10000000, 20000000}/{8695652, 17391304}/'
EXPERIMENTS=()
COMPARE=false

die_usage() {
  echo "ab_false_alarms.sh: $*" >&2
  exit 2
}

# Sets variable $1 to $3, the value of option $2: a whole number from 1.
set_number() {
  if ! [[ $3 =~ ^[0-9]{1,4}$ ]] || ((10#$3 < 1)); then
    die_usage "$2: a whole number from 1, not '$3'"
  fi
  printf -v "$1" '%d' $((10#$3))
}

parse_args() {
  while (($# > 0)); do
    case $1 in
      --tries) set_number TRIES "$1" "${2-}" && shift ;;
      --runs) set_number RUNS "$1" "${2-}" && shift ;;
      --threshold) set_number THRESHOLD "$1" "${2-}" && shift ;;
      --quick) QUICK=(--quick) ;;
      --compare) COMPARE=true ;;
      --plant)
        PLANT=${2-}
        shift
        ;;
      --root)
        ROOT=${2-}
        shift
        ;;
      -*) die_usage "unknown option '$1'" ;;
      *) EXPERIMENTS+=("$1") ;;
    esac
    shift
  done
  ((${#EXPERIMENTS[@]} > 0)) || die_usage "name the experiments to time (e.g. factorize)"
  [[ $PLANT == ?*:?* ]] || die_usage "--plant: FILE:SED, not '$PLANT'"
  [[ -x $ROOT/run_all.sh ]] || die_usage "--root: no run_all.sh in '$ROOT'"
}

# Makes the planted commit and prints its id: HEAD with FILE edited by SED,
# committed in a temporary worktree that is removed again.
plant_commit() {
  local file=${PLANT%%:*} script=${PLANT#*:} tmp commit
  tmp=$(mktemp -d)
  git -C "$ROOT" worktree add -q --detach "$tmp/tree" HEAD >&2
  sed -i "$script" "$tmp/tree/$file"
  git -C "$tmp/tree" diff --quiet && {
    git -C "$ROOT" worktree remove --force "$tmp/tree"
    rm -rf "$tmp"
    die_usage "--plant: '$script' changes nothing in $file"
  }
  git -C "$tmp/tree" -c user.name=ab_false_alarms -c user.email=ab@localhost \
    commit -q -am "planted: $file edited with $script (throw-away)" >&2
  commit=$(git -C "$tmp/tree" rev-parse HEAD)
  git -C "$ROOT" worktree remove --force "$tmp/tree"
  rm -rf "$tmp"
  echo "$commit"
}

# Runs --ab REV TRIES times; prints each try's REGRESSION lines, and last a
# line "REGRESSIONS VERDICTS" for the tally.
tries() {
  local rev=$1 try status out regressions=0 verdicts=0 line
  for ((try = 1; try <= TRIES; try++)); do
    status=0
    out=$(cd "$ROOT" && ./run_all.sh --ab "$rev" --runs "$RUNS" --threshold "$THRESHOLD" "${QUICK[@]}" \
      "${EXPERIMENTS[@]}" 2>&1) || status=$?
    ((status <= 1)) || {
      echo "try $try: run_all.sh exit $status: ${out##*$'\n'}" >&2
      exit 1
    }
    # The verdict lines: experiment, variant, A, B, B/A, [interval], p, slower, verdict.
    local lines
    lines=$(awk '$6 ~ /^\[/ && NF >= 9' <<<"$out")
    [[ -z $lines ]] || while IFS= read -r line; do echo "  try $try: $line"; done <<<"$lines" >&2
    regressions=$((regressions + $(grep -Ec ' REGRESSION( \[|$)' <<<"$lines" || true)))
    verdicts=$((verdicts + $(grep -c . <<<"$lines" || true)))
  done
  echo "$regressions $verdicts"
}

# Counts the C REGRESSION verdicts of compare.txt-like text on stdin.
c_regressions() {
  grep -E ' REGRESSION( \[|$)' | grep -vc 'CPython' || true
}

# With --compare: TRIES times a baseline run and a second run compared with
# it, judged with the rank test (run_all.sh) and with the intervals alone
# (conclab-results compare against the baseline without its runs' speedups).
# Prints "RANKED INTERVALS VERDICTS".
compare_tries() {
  local try base ranked=0 intervals=0 verdicts=0 results=${CONCLAB_RESULTS_DIR:-$ROOT/results} out
  base=$(mktemp -d)
  for ((try = 1; try <= TRIES; try++)); do
    (cd "$ROOT" && ./run_all.sh --no-python --runs "$RUNS" "${QUICK[@]}" --save-baseline "${EXPERIMENTS[@]}") \
      >"$base/first.txt" 2>&1 || { echo "try $try: the baseline run failed" >&2 && exit 1; }
    jq 'del(.experiments[][].speedup_runs)' "$results/baseline.json" >"$base/old.json"
    (cd "$ROOT" && ./run_all.sh --no-python --runs "$RUNS" "${QUICK[@]}" --threshold "$THRESHOLD" \
      --compare "$results/baseline.json" "${EXPERIMENTS[@]}") >"$base/second.txt" 2>&1 || true
    out=$(cat "$results/latest/compare.txt")
    ranked=$((ranked + $(c_regressions <<<"$out")))
    verdicts=$((verdicts + $(grep -E '^[^ ]+ +[^ ]+ +[0-9.]+ +[0-9.]+ ' <<<"$out" | grep -Evc '^[^ ]+ +py' || true)))
    out=$("${CONCLAB_TOOLS_DIR:-$ROOT/build/release/tools}/conclab-results" compare \
      "$base/old.json" "$results/latest/summary.json" --threshold="$THRESHOLD" 2>/dev/null) || true
    intervals=$((intervals + $(c_regressions <<<"$out")))
    echo "  try $try: rank test $(c_regressions < "$results/latest/compare.txt"), intervals $(c_regressions <<<"$out")" >&2
  done
  rm -rf "$base"
  echo "$ranked $intervals $verdicts"
}

# "1 try", "10 tries".
tries_text() {
  if ((TRIES == 1)); then echo "1 try"; else echo "$TRIES tries"; fi
}

main() {
  local tally planted ranked intervals verdicts
  parse_args "$@"
  [[ -z $(git -C "$ROOT" status --porcelain --untracked-files=no) ]] ||
    echo "warning: the tree has uncommitted changes: --ab HEAD is then no A/A comparison" >&2
  echo "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores;" \
    "load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the start"
  echo "false alarms: $TRIES x --ab HEAD ${EXPERIMENTS[*]}, $RUNS rounds${QUICK:+, quick size}, threshold $THRESHOLD %"
  tally=$(tries HEAD)
  echo "false alarms: ${tally% *} REGRESSION verdicts of ${tally#* } ($(tries_text))"
  planted=$(plant_commit)
  echo "detection: $TRIES x --ab ${planted:0:12} (HEAD with ${PLANT%%:*} planted)"
  tally=$(tries "$planted")
  echo "detection: ${tally% *} REGRESSION verdicts of ${tally#* } ($(tries_text))"
  if [[ $COMPARE == true ]]; then
    echo "compare: $TRIES x two separate runs of this tree, the second held against the first"
    tally=$(compare_tries)
    read -r ranked intervals verdicts <<<"$tally"
    echo "compare false alarms: $ranked REGRESSION verdicts of $verdicts with the rank test," \
      "$intervals with the intervals alone ($(tries_text))"
  fi
  echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the end"
}

main "$@"
