#!/usr/bin/env bash
# run_all.sh — install what is missing, build, time every experiment under
# hyperfine, keep the results and plot them.  See ./run_all.sh --help.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly ROOT
readonly PRESET=release
# Tests point these elsewhere so that a test run never touches the user's results.
RESULTS_DIR=${CONCLAB_RESULTS_DIR:-$ROOT/results}
PLOTS_DIR=${CONCLAB_PLOTS_DIR:-$ROOT/plots/out}
BIN_DIR=${CONCLAB_BIN_DIR:-}
TOOLS_DIR=

SIZE=book
RUNS=10
WARMUP=1
TEST=false
COMPARE=
THRESHOLD=10
SAVE_BASELINE=false
PYTHON=true
SELECTED=()
EXPERIMENTS=()
FAILED=()
REGRESSED=false
CHILD_GROUP=

usage() {
  cat <<EOF
usage: ./run_all.sh [--quick] [--runs N] [--no-python] [--compare FILE
                   [--threshold PERCENT]] [--save-baseline] [EXPERIMENT...]
       ./run_all.sh --test

Installs what is missing (Debian packages, as root), builds the release preset,
then for each experiment in build/$PRESET/bin (or only those named): checks
every variant once (--json, kept), times all variants in one hyperfine call
(CPython's too, as py-*, when python3 is present), plots them with gnuplot and
prints a summary and, where an experiment has a book.json, its source's
figures beside this machine's (book.md).  Results go to results/runs/<time>-<host>/, which becomes
results/latest only when the run completed without failure; plots are copied
to plots/out/.

  --quick             quick sizes and 3 runs per variant: a minute or two
  --runs N            runs per variant for hyperfine (default $RUNS)
  --compare FILE      hold this run's speedups against a baseline summary
                      (e.g. results/baseline.json); exit 1 on a regression
  --threshold PERCENT a regression is a drop of more than this (default $THRESHOLD)
                      with confidence intervals that do not overlap
  --save-baseline     keep this run's summary as results/baseline.json
  --no-python         time only the C programs, not CPython's originals
  --test              install, build, and run every test (CTest) on the release
                      build, then under the asan and tsan presets; times nothing
  --help              this text

exit status: 0 all experiments ran and checked their answers (and no
regression against --compare); 1 something failed (the others still ran) or
regressed; 2 bad command line.
EOF
}

die_usage() {
  echo "run_all.sh: $*" >&2
  exit 2
}

die() {
  echo "run_all.sh: $*" >&2
  exit 1
}

parse_args() {
  while (($# > 0)); do
    case $1 in
      --quick) SIZE=quick RUNS=3 ;;
      --runs=*) set_runs "${1#--runs=}" ;;
      --runs)
        (($# > 1)) || die_usage "--runs needs a value"
        set_runs "$2"
        shift
        ;;
      --test) TEST=true ;;
      --compare=*) COMPARE=${1#--compare=} ;;
      --compare)
        (($# > 1)) || die_usage "--compare needs a file"
        COMPARE=$2
        shift
        ;;
      --threshold=*) set_threshold "${1#--threshold=}" ;;
      --threshold)
        (($# > 1)) || die_usage "--threshold needs a value"
        set_threshold "$2"
        shift
        ;;
      --save-baseline) SAVE_BASELINE=true ;;
      --no-python) PYTHON=false ;;
      --help | -h)
        usage
        exit 0
        ;;
      -*) die_usage "unknown option '$1' (see --help)" ;;
      *) SELECTED+=("$1") ;;
    esac
    shift
  done
  [[ $TEST == false || ${#SELECTED[@]} -eq 0 ]] || die_usage "--test runs every test; it takes no experiment names"
  [[ -z $COMPARE || -r $COMPARE ]] || die_usage "--compare: cannot read '$COMPARE'"
  [[ -z $COMPARE ]] || jq -e '.experiments' "$COMPARE" >/dev/null 2>&1 ||
    die_usage "--compare: '$COMPARE' is not a summary.json"
}

set_threshold() {
  if ! [[ $1 =~ ^[0-9]{1,3}$ ]] || (($1 > 100)); then
    die_usage "--threshold='$1': must be an integer percentage between 0 and 100"
  fi
  THRESHOLD=$1
}

set_runs() {
  if ! [[ $1 =~ ^[0-9]{1,4}$ ]] || (($1 < 2 || $1 > 1000)); then
    die_usage "--runs='$1': must be an integer between 2 and 1000"
  fi
  RUNS=$1
}

# ---- dependencies ------------------------------------------------------------

# Prints the Debian packages whose command or file is missing here.
missing_packages() {
  local entry
  for entry in cmake:cmake make:make g++:g++ hyperfine:hyperfine gnuplot:gnuplot-nox \
    jq:jq openssl:openssl python3:python3 valgrind:valgrind setarch:util-linux \
    mpiexec:openmpi-bin column:bsdextrautils pgrep:procps; do
    command -v "${entry%%:*}" >/dev/null || echo "${entry#*:}"
  done
  [[ -f /usr/include/gtest/gtest.h ]] || echo libgtest-dev
  [[ -f /usr/include/cjson/cJSON.h ]] || echo libcjson-dev
  # Open MPI's headers lie in a folder named after the architecture.
  compgen -G '/usr/lib/*/openmpi/include/mpi.h' >/dev/null || echo libopenmpi-dev
}

install_missing() {
  local packages
  mapfile -t packages < <(missing_packages)
  ((${#packages[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    die "missing: ${packages[*]}; install them with: sudo apt-get install -y ${packages[*]}"
  fi
  echo "Installing ${packages[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

build() {
  cmake --preset "$PRESET" >/dev/null
  cmake --build --preset "$PRESET" -j "$(nproc)"
  BIN_DIR=$ROOT/build/$PRESET/bin
}

# The whole suite three times: the release build (with valgrind's memcheck),
# then under AddressSanitizer + UBSan and under ThreadSanitizer.  Any report
# fails the run (the presets set halt_on_error and -fno-sanitize-recover).
run_tests() {
  local preset
  for preset in "$PRESET" asan tsan; do
    echo "== tests: $preset =="
    if [[ $preset != "$PRESET" ]]; then
      cmake --preset "$preset" >/dev/null
      cmake --build --preset "$preset" -j "$(nproc)"
    fi
    # setarch -R turns off address-space randomisation, without which
    # ThreadSanitizer cannot map its shadow memory on some kernels.
    setarch "$(uname -m)" -R ctest --preset "$preset" -j "$(nproc)"
  done
}

# ---- experiments ---------------------------------------------------------------

# Sets EXPERIMENTS to the experiments to run: every program in BIN_DIR, or
# those selected (an unknown name is a usage error).
find_experiments() {
  local bin name known=()
  for bin in "$BIN_DIR"/*; do
    [[ -f $bin && -x $bin ]] && known+=("$(basename "$bin")")
  done
  ((${#known[@]} > 0)) || die "no experiment found in $BIN_DIR"
  EXPERIMENTS=("${known[@]}")
  ((${#SELECTED[@]} > 0)) || return 0
  for name in "${SELECTED[@]}"; do
    [[ -x $BIN_DIR/$name ]] || die_usage "unknown experiment '$name' (known: ${known[*]})"
  done
  EXPERIMENTS=("${SELECTED[@]}")
}

# Prints NAME<TAB>COMMAND for every variant of experiment $1: C's from the
# binary's --list, CPython's from the .py original's when python3 is here.
variant_commands() {
  local name=$1 variant args script=$ROOT/benchmarks/$1/$1.py
  while IFS=$'\t' read -r variant args; do
    printf '%s\t%q %s --size=%s\n' "$variant" "$BIN_DIR/$name" "$args" "$SIZE"
  done < <("$BIN_DIR/$name" --list)
  [[ $PYTHON == true && -f $script ]] && command -v python3 >/dev/null || return 0
  while IFS=$'\t' read -r variant args; do
    printf 'py-%s\tpython3 %q %s --size=%s\n' "$variant" "$script" "$args" "$SIZE"
  done < <(python3 "$script" --list)
}

# Runs each variant once and keeps what it says; false if any answer is wrong.
verify_variants() {
  local dir=$1 variant command ok=true
  while IFS=$'\t' read -r variant command; do
    if [[ $variant == py-* ]]; then
      run_stoppable bash -c "$command" >"$dir/verify-$variant.txt" 2>&1 || ok=false
    else
      run_stoppable bash -c "$command --json" >"$dir/verify-$variant.json" 2>"$dir/verify-$variant.err" ||
        ok=false
      [[ -s $dir/verify-$variant.err ]] || rm -f "$dir/verify-$variant.err"
    fi
    [[ $ok == true ]] || {
      results_writable || die_unwritable
      echo "  $variant: wrong answer or failure, see $dir/verify-$variant.*" >&2
      return 1
    }
  done <"$dir/commands.tsv"
}

time_variants() {
  local dir=$1 variant command style=full args=()
  [[ -t 1 ]] || style=basic
  while IFS=$'\t' read -r variant command; do
    args+=(--command-name "$variant" "$command")
  done <"$dir/commands.tsv"
  # -N: no shell in between, so millisecond runs are timed without its noise.
  run_stoppable hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style "$style" \
    --export-json "$dir/hyperfine.json" --export-markdown "$dir/hyperfine.md" "${args[@]}"
}

# An experiment that declares a sweep (its --sweep prints arguments with a
# {workers} placeholder) is also timed at 1..N workers, N the cores online
# (at least 2), and drawn against Amdahl's law with the fitted serial fraction.
sweep_workers() {
  local dir=$1 name=$2 args style=full max
  args=$("$BIN_DIR/$name" --sweep) || return 1
  [[ -n $args ]] || return 0
  [[ -t 1 ]] || style=basic
  max=$(nproc)
  ((max >= 2)) || max=2
  echo "  sweep: $name $args, workers 1..$max"
  run_stoppable hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style "$style" \
    --parameter-scan workers 1 "$max" --export-json "$dir/sweep.json" \
    "$(printf '%q' "$BIN_DIR/$name") $args --size=$SIZE" >/dev/null || return 1
  jq -r '.results[0].median as $one | .results[] |
      [(.parameters.workers | tonumber), $one / .median, .median] | @tsv' \
    "$dir/sweep.json" >"$dir/sweep.dat"
  gnuplot -e "datafile='$dir/sweep.dat'; outbase='$dir/$name-sweep'; fitfile='$dir/amdahl-fit.txt'; chart_title='$name: speedup against workers ($SIZE size, $(nproc) cores)'" \
    "$ROOT/plots/amdahl.gp"
}

# Writes bars.dat from hyperfine's export and draws it.
plot_variants() {
  local dir=$1 name=$2
  jq -r '.results[] | [.command, .median, .min, .max,
           (if (.command | startswith("py-")) then 2 else 1 end)] | @tsv' \
    "$dir/hyperfine.json" >"$dir/bars.dat"
  gnuplot -e "datafile='$dir/bars.dat'; outbase='$dir/$name'; chart_title='$name ($SIZE size, $(nproc) cores)'" \
    "$ROOT/plots/bars.gp"
}

run_experiment() {
  local name=$1 index=$2 total=$3 dir=$RUN_DIR/$1
  echo "[$index/$total] $name"
  mkdir -p "$dir"
  variant_commands "$name" >"$dir/commands.tsv"
  verify_variants "$dir" && time_variants "$dir" && plot_variants "$dir" "$name" &&
    sweep_workers "$dir" "$name"
}

write_meta() {
  local commit=unknown dirty=false
  if git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1; then
    commit=$(git -C "$ROOT" rev-parse HEAD)
    [[ -z $(git -C "$ROOT" status --porcelain --untracked-files=no) ]] || dirty=true
  fi
  jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg host "$(hostname)" \
    --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    --argjson cores "$(nproc)" --arg kernel "$(uname -srm)" \
    --arg compiler "$(c++ --version | head -n 1)" --arg preset "$PRESET" \
    --arg commit "$commit" --argjson dirty "$dirty" --arg size "$SIZE" --argjson runs "$RUNS" \
    --arg hyperfine "$(hyperfine --version)" --arg gnuplot "$(gnuplot --version)" \
    '{date: $date, host: $host, cpu: $cpu, cores: $cores, kernel: $kernel,
      compiler: $compiler, build: $preset, git_commit: $commit, git_dirty: $dirty,
      size: $size, runs: $runs, hyperfine: $hyperfine, gnuplot: $gnuplot}' >"$RUN_DIR/meta.json"
}

# summary.json: medians and speedups with 95 % intervals (conclab-results).
summarize_run() {
  "$TOOLS_DIR/conclab-results" summarize "$RUN_DIR"
  echo
  jq -r '"experiment\tvariant\tmedian_s\tspeedup\t95% interval",
      (.experiments | to_entries[] | .key as $e | .value | to_entries[] |
       [$e, .key, (.value.median_s | . * 10000 | round / 10000),
        (.value.speedup | . * 100 | round / 100),
        "\(.value.speedup_low * 100 | round / 100)-\(.value.speedup_high * 100 | round / 100)"]
       | @tsv)' "$RUN_DIR/summary.json" | column -t -s $'\t'
}

# One JSON line per experiment and variant of this run: the history's records.
history_lines() {
  jq -c '.meta as $m | .experiments | to_entries[] | .key as $e | .value | to_entries[] |
      {date: $m.date, git_commit: $m.git_commit, host: $m.host, cores: $m.cores, size: $m.size,
       experiment: $e, variant: .key}
      + (.value | {baseline, median_s, speedup, speedup_low, speedup_high})' "$RUN_DIR/summary.json"
}

# Draws, for each experiment of this run, the speedups of its parallel variants
# over the runs in history made on this host at this size, this run last.
plot_trends() {
  local name data blocks baseline=$RESULTS_DIR/baseline.json
  [[ -n $COMPARE ]] && baseline=$COMPARE
  [[ -r $baseline ]] || baseline=/dev/null
  { cat "$RESULTS_DIR/history.jsonl" 2>/dev/null || true; history_lines; } >"$RUN_DIR/trend.jsonl"
  for name in "${EXPERIMENTS[@]}"; do
    [[ -d $RUN_DIR/$name ]] || continue
    data=$RUN_DIR/$name/trend.dat
    jq -rn --arg e "$name" --arg host "$(hostname)" --arg size "$SIZE" --slurpfile base "$baseline" '
        [inputs | select(.experiment == $e and .host == $host and .size == $size
                         and .variant != .baseline)] as $rows
        | ($rows | map(.date) | unique) as $dates
        | ($rows | map(.variant) | unique)[] as $v
        | ($base[0].experiments[$e][$v].speedup // "NaN") as $b
        | "\"\($v)\"",
          ($rows[] | select(.variant == $v) | .date as $d
           | "\($dates | index($d) + 1) \(.speedup) \(.speedup_low) \(.speedup_high) \($b)"),
          "", ""' "$RUN_DIR/trend.jsonl" >"$data"
    blocks=$(grep -c '^"' "$data" || true)
    ((blocks > 0)) || continue
    gnuplot -e "datafile='$data'; outbase='$RUN_DIR/$name/$name-trend'; blocks=$blocks; chart_title='$name: speedup over runs ($SIZE size, $(hostname))'" \
      "$ROOT/plots/trend.gp"
  done
  rm -f "$RUN_DIR/trend.jsonl"
}

# Everything a complete run changes outside its folder is first written
# under a .new name (STAGED lists them); only renames follow.  A disk that
# fills up before the renames leaves the earlier results as they were.
STAGED=()
stage_copy() {
  cp "$1" "$2.new"
  STAGED+=("$2.new")
}

discard_staged() {
  ((${#STAGED[@]} == 0)) || rm -f "${STAGED[@]}"
  STAGED=()
}

# A run in which an experiment failed keeps its results under a -failed name
# and never becomes results/latest.
keep_failed_run() {
  local kept=${RUN_DIR%.partial}-failed
  mv "$RUN_DIR" "$kept"
  RUN_DIR=$kept
  echo "failed: ${FAILED[*]} (results kept in $RUN_DIR; results/latest unchanged)" >&2
}

# Moves the complete run out of its .partial name and makes it
# results/latest; its plots are copied to plots/out and its speedups added
# to the history.
finish_run() {
  local final=${RUN_DIR%.partial} plot staged
  { cat "$RESULTS_DIR/history.jsonl" 2>/dev/null || true; history_lines; } >"$RESULTS_DIR/history.jsonl.new"
  STAGED+=("$RESULTS_DIR/history.jsonl.new")
  mkdir -p "$PLOTS_DIR"
  for plot in "$RUN_DIR"/*/*.svg "$RUN_DIR"/*/*.png; do
    if [[ -e $plot ]]; then stage_copy "$plot" "$PLOTS_DIR/$(basename "$plot")"; fi
  done
  [[ $SAVE_BASELINE == false ]] || stage_copy "$RUN_DIR/summary.json" "$RESULTS_DIR/baseline.json"
  ln -sfn "runs/$(basename "$final")" "$RESULTS_DIR/latest.new"
  mv "$RUN_DIR" "$final"
  RUN_DIR=$final
  mv -T "$RESULTS_DIR/latest.new" "$RESULTS_DIR/latest"
  for staged in "${STAGED[@]}"; do mv "$staged" "${staged%.new}"; done
  STAGED=()
  [[ $SAVE_BASELINE == false ]] || echo "baseline: $RESULTS_DIR/baseline.json"
  echo "results: $RESULTS_DIR/latest -> $RUN_DIR; plots: $PLOTS_DIR"
}

# Holds this run against --compare's baseline: the verdicts go to compare.txt,
# and a regression makes the script's exit status 1.
compare_with_baseline() {
  [[ -n $COMPARE ]] || return 0
  local status=0
  "$TOOLS_DIR/conclab-results" compare "$COMPARE" "$RUN_DIR/summary.json" \
    --threshold="$THRESHOLD" >"$RUN_DIR/compare.txt" || status=$?
  echo
  cat "$RUN_DIR/compare.txt"
  case $status in
    0) ;;
    1) REGRESSED=true ;;
    *) die "comparing with $COMPARE failed" ;;
  esac
}

# The speedup table of experiment $1 in Markdown.
speedup_table() {
  jq -r --arg e "$1" '"| variant | median (s) | speedup | 95 % interval |", "|---|---|---|---|",
      (.experiments[$e] // {} | to_entries[] | .value as $v |
       "| \(.key) | \($v.median_s * 10000 | round / 10000) | \($v.speedup * 100 | round / 100) " +
       "| \($v.speedup_low * 100 | round / 100) – \($v.speedup_high * 100 | round / 100) |")' \
    "$RUN_DIR/summary.json"
}

# book.md: for each experiment with a benchmarks/NAME/book.json (the figures
# its source printed, and "also": variants to show that it did not time), the
# source's seconds beside this run's medians of
# CPython (py-VARIANT), C (VARIANT) and C under the emulated GIL (VARIANT-gil),
# and each column's speedup over the source's baseline variant.
write_book_table() {
  local name book
  for name in "${EXPERIMENTS[@]}"; do
    book=$ROOT/benchmarks/$name/book.json
    [[ -f $book ]] || continue
    jq -r --arg e "$name" --slurpfile book "$book" '
        def seconds: if . == null then "–" else "\(. * 1000 | round / 1000) s" end;
        def ratio($a; $b): if $a == null or $b == null or $b == 0 then "–" else "\($a / $b * 100 | round / 100)×" end;
        # The baseline is the first row, also when the source printed no figure for it,
        # then the variants with a figure, then those in "also" (timed here only);
        # a figure, a variant or a column that is missing shows as "–".
        .experiments[$e] as $run | $book[0] as $b
        | ([$b.baseline] + ($b.figures_s | keys_unsorted | map(select(. != $b.baseline)))
           + (($b.also // []) - [$b.baseline] - ($b.figures_s | keys_unsorted))) as $variants
        | def column($prefix; $suffix): [$variants[] | $run[$prefix + . + $suffix].median_s];
          # The sequential baseline runs one thread: the GIL changes nothing there,
          # in an experiment that has --gil variants at all.
          ($run | keys | any(endswith("-gil"))) as $has_gil
        | [$variants[] | $run[. + "-gil"].median_s
                         // (if . == $b.baseline and $has_gil then $run[.].median_s else null end)]
            as $gil
        | [[$variants[] | $b.figures_s[.]], column("py-"; ""), column(""; ""), $gil] as $cols
        | 0 as $base
        | "### \($e)\n\nSource: \($b.source).\n",
          "| variant | source | CPython here | C here | C with --gil here |", "|---|---|---|---|---|",
          ($variants | to_entries[] | .key as $i
           | "| \(.value) | \([$cols[] | .[$i] | seconds] | join(" | ")) |"),
          ($variants | to_entries[] | select(.key != $base) | .key as $i
           | "| speedup \($b.baseline)/\(.value) | \([$cols[] | ratio(.[$base]; .[$i])] | join(" | ")) |"),
          ""' "$RUN_DIR/summary.json"
  done >"$RUN_DIR/book.md"
  [[ -s $RUN_DIR/book.md ]] || { rm -f "$RUN_DIR/book.md" && return 0; }
  printf '\nThe source beside this machine\n\n'
  cat "$RUN_DIR/book.md"
}

# REPORT.md: the page to project in class, with every chart of the run.
write_report() {
  local name
  {
    echo "# conclab run $(basename "${RUN_DIR%.partial}")"
    echo
    jq -r '"Machine: \(.cpu), \(.cores) cores, \(.kernel). Compiler: \(.compiler), \(.build) build. " +
        "Commit \(.git_commit[0:12])\(if .git_dirty then " with uncommitted changes" else "" end). " +
        "Size \(.size), \(.runs) runs per variant, \(.date)."' "$RUN_DIR/meta.json"
    echo
    echo "Speedup = median of the sequential variant / median of the variant, both from this run;"
    jq -r '"intervals: \(.ci_method)."' "$RUN_DIR/summary.json"
    if [[ -f $RUN_DIR/book.md ]]; then
      printf '\n## The source beside this machine\n\n'
      cat "$RUN_DIR/book.md"
    fi
    if [[ -f $RUN_DIR/compare.txt ]]; then
      printf '\n## Against the baseline (%s, threshold %s %%)\n\n```\n' "$COMPARE" "$THRESHOLD"
      cat "$RUN_DIR/compare.txt"
      echo '```'
    fi
    for name in "${EXPERIMENTS[@]}"; do
      printf '\n## %s\n\n' "$name"
      if [[ ! -f $RUN_DIR/$name/$name.svg ]]; then
        echo "**Failed**: see \`$name/verify-*\`."
        continue
      fi
      printf '![%s](%s/%s.svg)\n\n' "$name" "$name" "$name"
      speedup_table "$name"
      if [[ -f $RUN_DIR/$name/$name-sweep.svg ]]; then
        printf '\n![%s against workers](%s/%s-sweep.svg)\n\n' "$name" "$name" "$name"
        printf 'Serial fraction fitted to the sweep (Amdahl): %s\n' "$(cat "$RUN_DIR/$name/amdahl-fit.txt")"
      fi
      if [[ -f $RUN_DIR/$name/$name-trend.svg ]]; then
        printf '\n![%s over runs](%s/%s-trend.svg)\n' "$name" "$name" "$name"
      fi
    done
  } >"$RUN_DIR/REPORT.md"
}

# Runs a command in a process group of its own and waits for it, so that an
# interruption can stop it together with everything it started.
run_stoppable() {
  local status=0
  setsid "$@" &
  CHILD_GROUP=$!
  wait "$CHILD_GROUP" || status=$?
  CHILD_GROUP=
  return "$status"
}

# True while a few kilobytes can still be written into the run folder.
results_writable() {
  local probe=$RUN_DIR/.write-probe ok=true
  head -c 8192 /dev/zero 2>/dev/null >"$probe" || ok=false
  rm -f "$probe"
  [[ $ok == true ]]
}

# The disk filled up or the folder became unwritable in the middle of a run:
# keep what was written under a -failed name; results/latest stays on the
# last complete run.
die_unwritable() {
  trap - ERR INT TERM
  discard_staged
  rm -f "$RESULTS_DIR/latest.new"
  local kept=${RUN_DIR%.partial}-failed free
  mv "$RUN_DIR" "$kept" 2>/dev/null || kept=$RUN_DIR
  free=$(df -h --output=avail "$RESULTS_DIR" 2>/dev/null | tail -n 1 | tr -d ' ') || free=unknown
  die "cannot write results under $RESULTS_DIR any more ($free free): check its free space and permissions; partial results in $kept, results/latest unchanged"
}

# set -e stopped the run on a failed command (ERR, inherited by functions
# through set -E): name the cause when it was the disk, and never leave the
# run as .partial.  A subshell leaves all this to the main shell.
on_error() {
  local status=$?
  [[ $BASHPID == "$$" ]] || exit "$status"
  results_writable || die_unwritable
  trap - ERR INT TERM
  discard_staged
  local kept=${RUN_DIR%.partial}-failed
  mv "$RUN_DIR" "$kept" 2>/dev/null || kept=$RUN_DIR
  die "the run stopped on a failed command (status $status); partial results in $kept, results/latest unchanged"
}

# Ctrl-C or SIGTERM: stop hyperfine and the programs it runs, keep the run
# folder under an -interrupted name; results/latest and plots stay as they were.
on_interrupt() {
  trap '' INT TERM
  trap - ERR
  discard_staged
  rm -f "$RESULTS_DIR/latest.new"
  if [[ -n $CHILD_GROUP ]]; then
    kill -TERM -- "-$CHILD_GROUP" 2>/dev/null || true
    wait "$CHILD_GROUP" 2>/dev/null || true
  fi
  local kept=${RUN_DIR%.partial}-interrupted
  mv "$RUN_DIR" "$kept" 2>/dev/null || kept=$RUN_DIR
  echo "run_all.sh: interrupted; partial results kept in $kept, results/latest unchanged" >&2
  exit 130
}

run_benchmarks() {
  local name index=0
  find_experiments
  RUN_DIR=$RESULTS_DIR/runs/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname).partial
  if ! mkdir -p "$RUN_DIR" 2>/dev/null || [[ ! -w $RUN_DIR ]]; then
    die "cannot write results under $RESULTS_DIR: check its permissions and free space"
  fi
  trap on_interrupt INT TERM
  set -E
  trap on_error ERR
  write_meta
  for name in "${EXPERIMENTS[@]}"; do
    index=$((index + 1))
    run_experiment "$name" "$index" "${#EXPERIMENTS[@]}" || FAILED+=("$name")
  done
  summarize_run
  compare_with_baseline
  plot_trends
  write_book_table
  write_report
  if ((${#FAILED[@]} > 0)); then keep_failed_run; else finish_run; fi
  trap - ERR INT TERM
  ((${#FAILED[@]} == 0)) || exit 1
  [[ $REGRESSED == false ]] || die "a speedup regressed against $COMPARE"
}

main() {
  parse_args "$@"
  if [[ -n $BIN_DIR ]]; then
    # Prebuilt binaries (the driver's own test): nothing to install or build.
    [[ -d $BIN_DIR ]] || die "CONCLAB_BIN_DIR=$BIN_DIR is not a directory"
  else
    install_missing
    build
  fi
  TOOLS_DIR=$(dirname "$BIN_DIR")/tools
  if [[ $TEST == true ]]; then
    run_tests
  else
    run_benchmarks
  fi
}

main "$@"
