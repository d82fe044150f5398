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
# Five runs at quick size: the median of three is thrown by one hiccup of a
# shared VM (a run of 103 ms among 32 and 50), and a lesson with it.
readonly BOOK_RUNS=10 QUICK_RUNS=5
RUNS= # --runs, else BOOK_RUNS or QUICK_RUNS by the size
WARMUP=1
TEST=false
CPUS=           # --cpus: the CPUs every timed process is pinned to
HISTORY=false   # --history: print the steps in the history, time nothing
AB_REV=         # --ab: the revision to time against this tree
AB_COMMIT=      # its full commit id
AB_BIN_DIR=     # where its programs were built
COMPARE=
THRESHOLD=10
SAVE_BASELINE=false
PYTHON=true
PYTHON_LIST=python3 # --python: the interpreters of the Python originals
PYTHON_LIST_GIVEN=false
# Those found: command as given, path, "CPython 3.11.7", and the prefix of
# their variants' names (py-, or py3.11- when several are timed).
PY_COMMANDS=() PY_PATHS=() PY_VERSIONS=() PY_PREFIXES=()
SELECTED=()
EXPERIMENTS=()
FAILED=()
REGRESSED=false
STRICT_LESSONS=false
SWEEP_PAST_CORES=false # --sweep: the worker sweeps go on to 2x and 4x the cores
MAX_WORKERS=           # --max-workers: the most workers a sweep times
LESSONS_MISSED=false
CHILD_GROUP=
# The two test hosts of a size sweep while they are up: harness, state folder.
CLUSTER=()
RUN_DIR=
LOCK_FD=
WATCHDOG_FD=

usage() {
  cat <<EOF
usage: ./run_all.sh [--quick] [--runs N] [--python LIST | --no-python] [--compare FILE
                   [--threshold PERCENT]] [--save-baseline] [--sweep] [--max-workers N]
                   [--cpus LIST] [EXPERIMENT...]
       ./run_all.sh --ab REV [--runs N] [--threshold PERCENT] [EXPERIMENT...]
       ./run_all.sh --history
       ./run_all.sh --test

Installs what is missing (Debian packages, as root), builds the release preset,
then for each experiment in build/$PRESET/bin (or only those named): checks
every variant once (--json, kept), times all variants in one hyperfine call
(CPython's too, as py-*, when python3 is present), plots them with gnuplot and
prints a summary and, where an experiment has a book.json, its source's
figures beside this machine's (book.md).  Results go to results/runs/<time>-<host>/, which becomes
results/latest only when the run completed without failure; plots are copied
to plots/out/.  A second run in the same second gets -2, -3, ... added.  One
run at a time uses a results folder: a second run_all.sh on it says so and
waits for the first to end (the two would disturb each other's timings).

  --quick             quick sizes and $QUICK_RUNS runs per variant: two minutes or so
  --runs N            runs per variant for hyperfine (default $BOOK_RUNS; wins
                      over --quick's $QUICK_RUNS in any order)
  --compare FILE      hold this run's speedups against a baseline summary
                      (e.g. results/baseline.json); exit 1 on a regression
  --threshold PERCENT a regression is a drop of more than this (default $THRESHOLD)
                      that a Mann-Whitney U test of the runs finds significant
                      (p < 0.01)
  --save-baseline     keep this run's summary as results/baseline.json
  --history           print the steps in results/history.jsonl (each series of a
                      variant's speedups, per host and size, split where it moved
                      by more than --threshold with at least 4 runs a side and a
                      rank test's p < 0.05); times nothing
  --cpus LIST         pin every timed process to these CPUs with taskset
                      (a taskset list: 1, 0-1, 0,2); recorded in meta.json
  --ab REV            build git revision REV (A) in its own worktree and build
                      folder, build/ab/<commit>/ (reused next time), and time
                      its C variants against this tree's (B) interleaved, A,B
                      then B,A, N rounds; print B/A with its interval, p and a
                      verdict per variant; results in results/ab/, never
                      results/latest; exit 1 when a variant regressed, 2 when
                      REV is no revision
  --python LIST       the interpreters that time the Python originals, comma-
                      separated names on PATH or paths (default python3); with
                      several, each is a group of its own, named by its version
                      (py3.8-VARIANT, py3.11-VARIANT) in the same hyperfine call
                      and a column of book.md; one that is missing is a warning
  --no-python         time only the C programs, not CPython's originals
  --strict-lessons    exit 1 when a lesson is not shown (by default a warning)
  --sweep             time the worker sweeps past the cores: 1, 2, ... the cores,
                      then 2x and 4x the cores (by default they stop at the cores),
                      and the first series again with each worker pinned to a core
  --max-workers N     the most workers a sweep times (1..1024)
  --test              install, build, and run every test (CTest) on the release
                      build, then under the asan and tsan presets; times nothing
  --help              this text

exit status: 0 all experiments ran and checked their answers (and no
regression against --compare); 1 something failed (the others still ran) or
regressed; 2 bad command line; 129, 130, 143 stopped by SIGHUP, SIGINT,
SIGTERM (the run kept as -interrupted).
EOF
}

die_usage() {
  echo "run_all.sh: $*" >&2
  exit 2
}

# Also after the run has started: its folder is then kept as -failed.
die() {
  echo "run_all.sh: $*" >&2
  set_run_aside failed
  exit 1
}

parse_args() {
  while (($# > 0)); do
    case $1 in
      --quick) SIZE=quick ;;
      --runs=*) set_runs "${1#--runs=}" ;;
      --runs)
        (($# > 1)) || die_usage "--runs needs a value"
        set_runs "$2"
        shift
        ;;
      --test) TEST=true ;;
      --compare=*) set_compare "${1#--compare=}" ;;
      --compare)
        (($# > 1)) || die_usage "--compare needs a file"
        set_compare "$2"
        shift
        ;;
      --threshold=*) set_threshold "${1#--threshold=}" ;;
      --threshold)
        (($# > 1)) || die_usage "--threshold needs a value"
        set_threshold "$2"
        shift
        ;;
      --save-baseline) SAVE_BASELINE=true ;;
      --cpus=*) set_cpus "${1#--cpus=}" ;;
      --cpus)
        (($# > 1)) || die_usage "--cpus needs a list of CPUs"
        set_cpus "$2"
        shift
        ;;
      --history) HISTORY=true ;;
      --ab=*) set_ab "${1#--ab=}" ;;
      --ab)
        (($# > 1)) || die_usage "--ab needs a revision"
        set_ab "$2"
        shift
        ;;
      --strict-lessons) STRICT_LESSONS=true ;;
      --sweep) SWEEP_PAST_CORES=true ;;
      --max-workers=*) set_max_workers "${1#--max-workers=}" ;;
      --max-workers)
        (($# > 1)) || die_usage "--max-workers needs a value"
        set_max_workers "$2"
        shift
        ;;
      --no-python) PYTHON=false ;;
      --python=*) set_python_list "${1#--python=}" ;;
      --python)
        (($# > 1)) || die_usage "--python needs a list of interpreters"
        set_python_list "$2"
        shift
        ;;
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
  if [[ $HISTORY == true ]]; then
    [[ $TEST == false && -z $AB_REV && -z $COMPARE && ${#SELECTED[@]} -eq 0 ]] ||
      die_usage "--history prints the steps in the history: not with --test, --ab, --compare or experiments"
  fi
  if [[ -n $AB_REV ]]; then
    [[ $TEST == false && -z $COMPARE && $SAVE_BASELINE == false ]] ||
      die_usage "--ab times two builds against each other: not with --test, --compare or --save-baseline"
  fi
  [[ $PYTHON == true || $PYTHON_LIST_GIVEN == false ]] || die_usage "--python and --no-python contradict each other"
  if [[ -z $RUNS ]]; then
    RUNS=$BOOK_RUNS
    [[ $SIZE != quick ]] || RUNS=$QUICK_RUNS
  fi
}

set_python_list() {
  [[ $1 =~ ^[^,]+(,[^,]+)*$ ]] ||
    die_usage "--python='$1': a comma-separated list of interpreters (names on PATH or paths), none empty"
  PYTHON_LIST=$1
  PYTHON_LIST_GIVEN=true
}

set_max_workers() {
  if ! [[ $1 =~ ^[0-9]{1,4}$ ]] || ((10#$1 < 1 || 10#$1 > 1024)); then
    die_usage "--max-workers='$1': must be an integer between 1 and 1024"
  fi
  MAX_WORKERS=$((10#$1))
}

# Numbers are decimal also with leading zeros (10#: bash reads 010 as octal).
set_threshold() {
  if ! [[ $1 =~ ^[0-9]{1,3}$ ]] || ((10#$1 > 100)); then
    die_usage "--threshold='$1': must be an integer percentage between 0 and 100"
  fi
  THRESHOLD=$((10#$1))
}

set_runs() {
  if ! [[ $1 =~ ^[0-9]{1,4}$ ]] || ((10#$1 < 2 || 10#$1 > 1000)); then
    die_usage "--runs='$1': must be an integer between 2 and 1000"
  fi
  RUNS=$((10#$1))
}

# A list taskset takes, of CPUs that this process may run on.
set_cpus() {
  [[ $1 =~ ^[0-9]{1,4}(-[0-9]{1,4})?(,[0-9]{1,4}(-[0-9]{1,4})?)*$ ]] ||
    die_usage "--cpus='$1': a list of CPUs such as 1, 0-1 or 0,2"
  command -v taskset >/dev/null || die_usage "--cpus needs taskset (util-linux), which is missing"
  taskset -c "$1" true 2>/dev/null ||
    die_usage "--cpus='$1': taskset cannot pin to these CPUs here (online: $(cat /sys/devices/system/cpu/online 2>/dev/null || echo unknown))"
  CPUS=$1
}

# "taskset -c LIST " before every timed command with --cpus, else nothing.
pin_prefix() {
  [[ -z $CPUS ]] || printf 'taskset -c %s ' "$CPUS"
}

set_ab() {
  [[ -n $1 && $1 != -* ]] || die_usage "--ab needs a revision (--ab REV)"
  AB_REV=$1
}

# The file is read once the tools are installed (check_compare_file).
set_compare() {
  [[ -n $1 ]] || die_usage "--compare needs a file (--compare FILE)"
  COMPARE=$1
}

# Prints why summary file $1 cannot be held against (nothing when it can):
# it must be one JSON object whose "experiments" map each experiment to its
# variants, each with numeric speedup, interval and runs and a baseline name.
summary_problem() {
  local problem
  [[ -s $1 ]] || {
    echo "it is empty"
    return 0
  }
  if ! problem=$(jq -rs '
      if length != 1 then "it holds \(length) JSON values, not one"
      else .[0] |
        if type != "object" then "it is not a JSON object"
        elif (.experiments | type) != "object" then "it has no \"experiments\" object"
        elif (.experiments | length) == 0 then "it names no experiment"
        else first((.experiments | to_entries[] | .key as $e | .value
            | if type != "object" or length == 0 then "experiment \($e) has no variants"
              else to_entries[] | .key as $v | .value
                | if type != "object" then "\($e)/\($v) is not an object"
                  elif ([.speedup, .speedup_low, .speedup_high, .runs] | all(type == "number") | not)
                  then "\($e)/\($v): speedup, speedup_low, speedup_high or runs is not a number"
                  elif (.baseline | type) != "string" then "\($e)/\($v) names no baseline variant"
                  else empty end
              end), "") end
      end' "$1" 2>&1); then
    problem=${problem%%$'\n'*}
    problem="it is not valid JSON (${problem#*error: })"
  fi
  echo "$problem"
}

# --compare's file, checked whole before anything is built or timed.
check_compare_file() {
  local problem
  [[ -n $COMPARE ]] || return 0
  command -v jq >/dev/null || die "--compare needs jq to read '$COMPARE', and jq is missing: apt-get install jq"
  [[ -r $COMPARE && ! -d $COMPARE ]] || die_usage "--compare: cannot read '$COMPARE'"
  problem=$(summary_problem "$COMPARE")
  [[ -z $problem ]] || die_usage "--compare: '$COMPARE' is not a summary.json: $problem"
}

# ---- dependencies ------------------------------------------------------------

# Prints the Debian packages whose command or file is missing here.
missing_packages() {
  local entry
  for entry in cmake:cmake make:make g++:g++ hyperfine:hyperfine gnuplot:gnuplot-nox \
    jq:jq openssl:openssl python3:python3 valgrind:valgrind setarch:util-linux \
    mpiexec:openmpi-bin column:bsdextrautils pgrep:procps strace:strace objdump:binutils; do
    command -v "${entry%%:*}" >/dev/null || echo "${entry#*:}"
  done
  [[ -f /usr/include/gtest/gtest.h ]] || echo libgtest-dev
  [[ -f /usr/include/cjson/cJSON.h ]] || echo libcjson-dev
  [[ -f /usr/include/zlib.h ]] || echo zlib1g-dev
  # The browser that checks the HTML report: needed by the tests only.
  [[ $TEST == false ]] || command -v chromium >/dev/null || echo chromium
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
  apt-get update -qq || echo "run_all.sh: apt-get update failed; trying the package lists at hand" >&2
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null || true
  # What is still missing is what apt-get could not install.
  mapfile -t packages < <(missing_packages)
  ((${#packages[@]} == 0)) || die "could not install ${packages[*]} (apt-get failed, see above); install them and run again"
}

# CMake and CTest read CMakePresets.json from the current directory: run
# them in the project root, wherever run_all.sh was started from.
in_root() {
  (cd "$ROOT" && "$@")
}

build() {
  in_root cmake --preset "$PRESET" >/dev/null
  in_root cmake --build --preset "$PRESET" -j "$(nproc)"
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
      in_root cmake --preset "$preset" >/dev/null
      in_root cmake --build --preset "$preset" -j "$(nproc)"
    fi
    # setarch -R turns off address-space randomisation, without which
    # ThreadSanitizer cannot map its shadow memory on some kernels.
    in_root setarch "$(uname -m)" -R ctest --preset "$preset" -j "$(nproc)"
  done
}

# ---- experiments ---------------------------------------------------------------

# True if $1 is one of the other arguments.
is_one_of() {
  local wanted=$1 item
  shift
  for item; do [[ $item == "$wanted" ]] && return 0; done
  return 1
}

# Sets EXPERIMENTS to the experiments to run: every program in BIN_DIR, or
# those selected (an unknown name is a usage error: a name is a program's
# plain name, never a path such as ../tools/conclab-results).
find_experiments() {
  local bin name known=()
  for bin in "$BIN_DIR"/*; do
    [[ -f $bin && -x $bin ]] && known+=("$(basename "$bin")")
  done
  ((${#known[@]} > 0)) || die "no experiment found in $BIN_DIR"
  EXPERIMENTS=("${known[@]}")
  ((${#SELECTED[@]} > 0)) || return 0
  for name in "${SELECTED[@]}"; do
    is_one_of "$name" "${known[@]}" || die_usage "unknown experiment '$name' (known: ${known[*]})"
  done
  EXPERIMENTS=("${SELECTED[@]}")
}

# The interpreters of --python that are here, with their exact versions
# (PY_COMMANDS, PY_PATHS, PY_VERSIONS, PY_PREFIXES).  Each is timed as the
# executable it names itself (sys.executable): a launcher in between, such
# as a version manager's shim script, would add its own start to every
# run.  One interpreter keeps
# the names py-VARIANT; several are named by version, py3.8-VARIANT and
# py3.11-VARIANT, a second of the same version py3.11_2-VARIANT.  One that is
# missing, or does not run, is one warning line; the others still run.
resolve_pythons() {
  local names name path version prefix i found=() probe
  [[ $PYTHON == true ]] || return 0
  IFS=, read -r -a names <<<"$PYTHON_LIST"
  for name in "${names[@]}"; do
    if ! path=$(command -v -- "$name"); then
      [[ $PYTHON_LIST_GIVEN == false ]] ||
        echo "run_all.sh: warning: --python: '$name' not found; the others still run" >&2
      continue
    fi
    if ! probe=$(timeout 20 "$path" -c 'import platform, sys
sys.stdout.write(platform.python_implementation() + " " + platform.python_version() + "\t" + sys.executable)' 2>/dev/null) ||
      [[ $probe != *$'\t'/* ]]; then
      echo "run_all.sh: warning: --python: '$name' ($path) does not run as Python; the others still run" >&2
      continue
    fi
    PY_COMMANDS+=("$name") PY_VERSIONS+=("${probe%%$'\t'*}") PY_PATHS+=("${probe#*$'\t'}")
  done
  for i in "${!PY_COMMANDS[@]}"; do
    prefix=py
    if ((${#PY_COMMANDS[@]} > 1)); then
      version=${PY_VERSIONS[i]##* }
      prefix=py${version%.*}
      is_one_of "$prefix-" "${found[@]}" && prefix=${prefix}_$((i + 1))
    fi
    found+=("$prefix-")
  done
  PY_PREFIXES=("${found[@]}")
}

# True for the name of a variant of a Python original (py-, py3.11-, py3.11_2-).
is_python_variant() {
  [[ $1 =~ ^py[0-9._]*- ]]
}

# meta.json's "pythons": each interpreter with its variants' prefix and its
# exact version.
pythons_json() {
  local i
  for i in "${!PY_COMMANDS[@]}"; do
    jq -n --arg prefix "${PY_PREFIXES[i]}" --arg command "${PY_COMMANDS[i]}" --arg path "${PY_PATHS[i]}" \
      --arg version "${PY_VERSIONS[i]}" \
      '{prefix: $prefix, command: $command, path: $path, implementation: ($version | split(" ")[0]),
        version: ($version | split(" ")[1])}'
  done | jq -s -c .
}

# Prints NAME<TAB>COMMAND for every variant of experiment $1: C's from the
# binary's --list, the Python original's from its own --list under each
# interpreter of --python.
variant_commands() {
  local name=$1 variant args script=$ROOT/benchmarks/$1/$1.py i list
  while IFS=$'\t' read -r variant args; do
    printf '%s\t%s%q %s --size=%s\n' "$variant" "$(pin_prefix)" "$BIN_DIR/$name" "$args" "$SIZE"
  done < <("$BIN_DIR/$name" --list)
  [[ -f $script ]] || return 0
  for i in "${!PY_PATHS[@]}"; do
    if ! list=$("${PY_PATHS[i]}" "$script" --list); then
      echo "  warning: $name.py --list failed under ${PY_VERSIONS[i]}: not timed there" >&2
      continue
    fi
    while IFS=$'\t' read -r variant args; do
      printf '%s%s\t%s%q %q %s --size=%s\n' "${PY_PREFIXES[i]}" "$variant" "$(pin_prefix)" "${PY_PATHS[i]}" \
        "$script" "$args" "$SIZE"
    done <<<"$list"
  done
}

# Runs each variant once and keeps what it says; false if any answer is wrong.
verify_variants() {
  local dir=$1 variant command ok=true
  while IFS=$'\t' read -r variant command; do
    if is_python_variant "$variant"; then
      run_stoppable bash -c "$command" >"$dir/verify-$variant.txt" 2>&1 || ok=false
      # Several interpreters side by side: what each one found, in one line.
      ((${#PY_PREFIXES[@]} < 2)) || echo "  $variant: $(head -n 1 "$dir/verify-$variant.txt")"
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

# Prints gnuplot statements that set each NAME to VALUE (arguments in
# pairs) as a single-quoted gnuplot string, a quote inside doubled: a path
# or title with quotes, spaces or backslashes is read as it is.
gp_strings() {
  local quote="'"
  while (($# >= 2)); do
    printf "%s='%s'; " "$1" "${2//$quote/$quote$quote}"
    shift 2
  done
}

# The worker counts of a sweep, comma-separated: 1, 2, ... the cores online
# (at least 2), and with --sweep also 2x and 4x the cores; none above
# --max-workers.
sweep_points() {
  local cores n points=()
  cores=$(nproc)
  ((cores >= 2)) || cores=2
  for ((n = 1; n <= cores; n++)); do points+=("$n"); done
  [[ $SWEEP_PAST_CORES == false ]] || points+=($((2 * cores)) $((4 * cores)))
  for n in "${points[@]}"; do
    [[ -z $MAX_WORKERS ]] || ((n <= MAX_WORKERS)) || continue
    printf '%s\n' "$n"
  done | paste -sd,
}

# An experiment that declares a sweep (its --sweep prints a line per series:
# NAME, arguments with a {workers} placeholder, strong|weak) is also timed at
# each point of sweep_points, every series, and drawn in one chart with the
# ideal and Amdahl's law fitted to the first series up to the cores.
# sweep.tsv: series workers median speedup, the speedup over the series' own
# one worker (weak scaling: its throughput, N x t1 / tN).
sweep_workers() {
  local dir=$1 name=$2 lines line series args scaling style=full points i=0
  lines=$("$BIN_DIR/$name" --sweep) || return 1
  [[ -n $lines ]] || return 0
  [[ -t 1 ]] || style=basic
  points=$(sweep_points)
  # Past the cores, placement matters: the first series again, each worker
  # pinned to a core (--pin=core), where the program can pin.
  if [[ $SWEEP_PAST_CORES == true ]] && "$BIN_DIR/$name" --help | grep -q -- '--pin='; then
    lines+=$'\n'$(head -1 <<<"$lines" | awk -F'\t' -v OFS='\t' '{ print $1 "-pinned", $2 " --pin=core", $3 }')
  fi
  rm -f "$dir"/sweep-*.json
  while IFS=$'\t' read -r series args scaling; do
    echo "  sweep: $name $series ($args), workers $points"
    run_stoppable hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style "$style" \
      --parameter-list workers "$points" --export-json "$(printf '%s/sweep-%02d.json' "$dir" "$i")" \
      "$(pin_prefix)$(printf '%q' "$BIN_DIR/$name") $args --size=$SIZE" >/dev/null || return 1
    jq --arg series "$series" --arg scaling "$scaling" \
      '.results[] |= (.parameters.series = $series | .parameters.scaling = $scaling)' \
      "$(printf '%s/sweep-%02d.json' "$dir" "$i")" >"$dir/sweep-series.json.new"
    mv "$dir/sweep-series.json.new" "$(printf '%s/sweep-%02d.json' "$dir" "$i")"
    i=$((i + 1))
  done <<<"$lines"
  jq -s '{results: [.[].results[]]}' "$dir"/sweep-*.json >"$dir/sweep.json"
  rm -f "$dir"/sweep-*.json
  plot_sweep "$dir" "$name"
}

# One line per variant of spread-summary.tsv (the programs' own NAME_min,
# NAME_max and NAME_cv, see report_spread): its workers' least and most, and
# the coefficient of variation (0: an even share).
spread_lines() {
  awk -F'\t' '{ printf "- %s: %s from %.4g to %.4g %s over %d workers, coefficient of variation %.2f\n",
    $1, $2, $3, $4, $5, $6, $7 }' "$1"
}

# The sweep as a Markdown table: a row per series, a column per worker count.
sweep_table() {
  local tsv=$1
  [[ -f $tsv ]] || return 0
  awk -F'\t' '
    !($2 in seen) { seen[$2] = 1; counts[++n] = $2 }
    !($1 in known) { known[$1] = 1; series[++m] = $1 }
    { cell[$1, $2] = sprintf("%.2f× (%.3f s)", $4, $3) }
    END {
      printf "| series \\ workers |"; for (i = 1; i <= n; i++) printf " %s |", counts[i]; print ""
      printf "|---|"; for (i = 1; i <= n; i++) printf "---|"; print ""
      for (j = 1; j <= m; j++) {
        printf "| %s |", series[j]
        for (i = 1; i <= n; i++) printf " %s |", ((series[j], counts[i]) in cell) ? cell[series[j], counts[i]] : "–"
        print ""
      }
    }' "$tsv"
}

# gnuplot's data file from a TSV whose first column names the series: the
# columns $@ of each line, a block per series (blocks apart by two blank
# lines, for gnuplot's `index`).  stdin to stdout.
series_blocks() {
  awk -F'\t' -v columns="$*" 'BEGIN { n = split(columns, c, " ") }
    NR > 1 && $1 != last { printf "\n\n" }
    { line = $c[1]; for (i = 2; i <= n; i++) line = line " " $c[i]; print line; last = $1 }'
}

# sweep.tsv and sweep.dat (a block per series) from sweep.json, and the chart.
plot_sweep() {
  local dir=$1 name=$2 names fit_first
  jq -r '.results as $r
      | ($r | reduce .[].parameters.series as $s ([]; if any(.[]; . == $s) then . else . + [$s] end))[]
      | . as $s | [$r[] | select(.parameters.series == $s)] as $g | $g[0].median as $one
      | $g[] | (.parameters.workers | tonumber) as $n
      | [$s, $n, .median,
         (if .parameters.scaling == "weak" then $n * $one / .median else $one / .median end)]
      | @tsv' "$dir/sweep.json" >"$dir/sweep.tsv"
  series_blocks 2 4 3 <"$dir/sweep.tsv" >"$dir/sweep.dat"
  names=$(cut -f1 "$dir/sweep.tsv" | uniq | paste -sd' ')
  fit_first=$(jq -r 'if .results[0].parameters.scaling == "weak" then 0 else 1 end' "$dir/sweep.json")
  gnuplot -e "$(gp_strings datafile "$dir/sweep.dat" outbase "$dir/$name-sweep" fitfile "$dir/amdahl-fit.txt" \
    series_names "$names" cores "$(nproc)" fit_first "$fit_first" \
    chart_title "$name: speedup against workers ($SIZE size, $(nproc) cores)")" \
    "$ROOT/plots/amdahl.gp"
  distrust_fast_fit "$dir"
}

# Writes bars.dat from hyperfine's export and draws it.
plot_variants() {
  local dir=$1 name=$2
  jq -r '.results[] | [.command, .median, .min, .max,
           (if (.command | test("^py[0-9._]*-")) then 2 else 1 end)] | @tsv' \
    "$dir/hyperfine.json" >"$dir/bars.dat"
  gnuplot -e "$(gp_strings datafile "$dir/bars.dat" outbase "$dir/$name" chart_title "$name ($SIZE size, $(nproc) cores)")" \
    "$ROOT/plots/bars.gp"
}

# How evenly the workers shared the work, where the checked runs
# (verify-VARIANT.json) report it (report_spread: data.NAME beside metrics
# NAME_cv): spread.tsv (variant name unit worker value) and a chart.
plot_spread() {
  local dir=$1 name=$2 files=() file names label
  for file in "$dir"/verify-*.json; do [[ -e $file ]] && files+=("$file"); done
  ((${#files[@]} > 0)) || return 0
  # The first data.NAME that has its NAME_cv beside it: the variant's spread.
  # shellcheck disable=SC2016 # jq, not shell
  local spread='. as $r | [(.data // {}) | keys[] | select($r.metrics[. + "_cv"] != null)][0] as $k
      | select($k != null)'
  jq -r "$spread"' | .data[$k] | sort | to_entries[]
      | [$r.variant, $k, $r.metrics[$k + "_max"].unit, .key + 1, .value] | @tsv' \
    "${files[@]}" >"$dir/spread.tsv"
  [[ -s $dir/spread.tsv ]] || { rm -f "$dir/spread.tsv"; return 0; }
  jq -r "$spread"' | [$r.variant, $k, $r.metrics[$k + "_min"].value, $r.metrics[$k + "_max"].value,
      $r.metrics[$k + "_max"].unit, (.data[$k] | length), $r.metrics[$k + "_cv"].value] | @tsv' \
    "${files[@]}" >"$dir/spread-summary.tsv"
  series_blocks 4 5 <"$dir/spread.tsv" >"$dir/spread.dat"
  names=$(cut -f1 "$dir/spread.tsv" | uniq | paste -sd' ')
  label=$(awk -F'\t' 'NR == 1 { print $2 ($3 != "" ? " (" $3 ")" : "") }' "$dir/spread.tsv")
  gnuplot -e "$(gp_strings datafile "$dir/spread.dat" outbase "$dir/$name-spread" series_names "$names" \
    y_label "$label" chart_title "$name: how evenly the workers shared the work ($SIZE size, $(nproc) cores)")" \
    "$ROOT/plots/spread.gp"
}

# An experiment that declares a size sweep (--size-sweep prints NAME=V1,V2,...)
# is also timed at each value of --NAME, every variant, to show where the
# parallel variants start to pay; where it ships a two-host harness
# (benchmarks/NAME/netns_cluster.sh) and this machine can make the hosts, its
# mpi-* variants again across two hosts (2hosts-mpi-*).  Not at quick size:
# the large values are the point.
sweep_sizes() {
  local dir=$1 name=$2 spec param values harness=$ROOT/benchmarks/$2/netns_cluster.sh
  spec=$("$BIN_DIR/$name" --size-sweep) || return 1
  [[ -n $spec ]] || return 0
  if [[ $SIZE == quick ]]; then
    echo "  size sweep: not at quick size"
    return 0
  fi
  param=${spec%%=*} values=${spec#*=}
  local variant vargs bin status=0 style=full commands=()
  [[ -t 1 ]] || style=basic
  bin=$(pin_prefix)$(printf '%q' "$BIN_DIR/$name")
  while IFS=$'\t' read -r variant vargs; do
    commands+=("$variant" "$bin $vargs --$param={$param}")
  done < <("$BIN_DIR/$name" --list)
  if [[ -x $harness ]] && "$harness" check >/dev/null 2>&1 && "$harness" up "$dir/two-hosts"; then
    CLUSTER=("$harness" "$dir/two-hosts")
    while IFS=$'\t' read -r variant vargs; do
      [[ $variant == mpi-* ]] || continue
      commands+=("2hosts-$variant" "$(printf '%q exec %q' "${CLUSTER[@]}") -- $bin $vargs --$param={$param} --hostfile={hostfile}")
    done < <("$BIN_DIR/$name" --list)
  fi
  echo "  size sweep: $name --$param=$values${CLUSTER[0]:+, on one host and on two}"
  # One hyperfine per variant: with a parameter list, hyperfine names each
  # (command, value) pair, not each command.
  local i
  for ((i = 0; i < ${#commands[@]}; i += 2)); do
    run_stoppable hyperfine -N --warmup 1 --runs 3 --style "$style" --command-name "${commands[i]}" \
      --parameter-list "$param" "$values" --export-json "$(printf '%s/size-sweep-%02d.json' "$dir" $((i / 2)))" \
      "${commands[i + 1]}" >/dev/null || { status=$? && break; }
  done
  take_down_cluster
  ((status == 0)) || return "$status"
  jq -s '{results: [.[].results[]]}' "$dir"/size-sweep-*.json >"$dir/size-sweep.json"
  rm -f "$dir"/size-sweep-*.json
  plot_size_sweep "$dir" "$name" "$param"
}

# Removes the two hosts of a size sweep, if it made them.
take_down_cluster() {
  ((${#CLUSTER[@]} > 0)) || return 0
  "${CLUSTER[0]}" down "${CLUSTER[1]}" || true
  CLUSTER=()
}

# size-sweep.dat (a block per variant: size median speedup-over-seq at that
# size), size-crossover.dat and .txt (where each variant's speedup crosses 1,
# interpolated on the log of the size), and the chart.
plot_size_sweep() {
  local dir=$1 name=$2 param=$3 blocks crossings
  jq -r --arg p "$param" '
      [.results[] | {v: .command, x: (.parameters[$p] | tonumber), t: .median}] as $r
      | ($r | map(select(.v == "seq")) | map({key: (.x | tostring), value: .t}) | from_entries) as $seq
      | ([$r[].v] | reduce .[] as $v ([]; if index([$v]) then . else . + [$v] end))[] as $v
      | "\"\($v)\"", ($r[] | select(.v == $v) | "\(.x) \(.t) \($seq[.x | tostring] / .t)"), "", ""' \
    "$dir/size-sweep.json" >"$dir/size-sweep.dat"
  jq -r --arg p "$param" '
      [.results[] | {v: .command, x: (.parameters[$p] | tonumber), t: .median}] as $r
      | ($r | map(select(.v == "seq")) | map({key: (.x | tostring), value: .t}) | from_entries) as $seq
      | ($r | map(select(.v != "seq") | .v) | reduce .[] as $v ([]; if index([$v]) then . else . + [$v] end))[] as $v
      | [$r[] | select(.v == $v) | {x, s: ($seq[.x | tostring] / .t)}] | sort_by(.x) as $pts
      | [range(1; $pts | length) | select($pts[. - 1].s < 1 and $pts[.].s >= 1)] as $ups
      | def x2: . * 100 | round / 100;
        if ($pts[0].s >= 1) then "\($v): pays from the smallest --\($p) (\($pts[0].s | x2)x at \($pts[0].x))"
        elif ($ups | length) == 0 then "\($v): does not pay up to --\($p)=\($pts[-1].x) (\($pts[-1].s | x2)x)"
        else $pts[$ups[0] - 1] as $a | $pts[$ups[0]] as $b
          | (($a.x | log) + (1 - $a.s) / ($b.s - $a.s) * (($b.x | log) - ($a.x | log)) | exp) as $c
          | "\($v): starts to pay at --\($p) near \($c | round) (\($a.s | x2)x at \($a.x), \($b.s | x2)x at \($b.x))\t\($c)"
        end' "$dir/size-sweep.json" >"$dir/size-crossover.tsv"
  awk -F'\t' 'NF == 2 { split($1, w, ":"); printf "%s \"%s\"\n", $2, w[1] }' \
    "$dir/size-crossover.tsv" >"$dir/size-crossover.dat"
  cut -f1 "$dir/size-crossover.tsv" >"$dir/size-crossover.txt"
  rm -f "$dir/size-crossover.tsv"
  sed 's/^/  /' "$dir/size-crossover.txt"
  blocks=$(grep -c '^"' "$dir/size-sweep.dat")
  crossings=$(wc -l <"$dir/size-crossover.dat")
  gnuplot -e "$(gp_strings datafile "$dir/size-sweep.dat" crossfile "$dir/size-crossover.dat" \
    outbase "$dir/$name-size-sweep" size_label "--$param" \
    chart_title "$name: where the parallel variants start to pay ($(nproc) cores)") crossings=$crossings; blocks=$blocks" \
    "$ROOT/plots/size_sweep.gp"
}

run_experiment() {
  local name=$1 index=$2 total=$3 dir=$RUN_DIR/$1
  echo "[$index/$total] $name"
  mkdir -p "$dir"
  variant_commands "$name" >"$dir/commands.tsv"
  verify_variants "$dir" && time_variants "$dir" && plot_variants "$dir" "$name" &&
    plot_spread "$dir" "$name" && sweep_workers "$dir" "$name" && sweep_sizes "$dir" "$name"
}

# The C compiler, its version and the flags that built the programs in
# BIN_DIR: build-info.json, which CMake writes beside bin/; null when the
# programs come from elsewhere without it.
built_with() {
  local info
  info=$(dirname "$BIN_DIR")/build-info.json
  if jq -e 'type == "object"' "$info" >/dev/null 2>&1; then jq -c . "$info"; else echo null; fi
}

# Prints the contents of file $1 as a JSON string, or null when it cannot be read.
file_json() {
  if [[ -r $1 ]]; then jq -R -s 'rtrimstr("\n")' "$1"; else echo null; fi
}

# meta.json's "state": what of the machine's settings moves timings, where
# the kernel tells it: address-space randomisation (0 off, 2 full), CPU
# boost (true, false or null), the CPUs online and isolated (isolcpus), the
# CPUs this driver may run on, and those --cpus pinned every timed process to
# (null: none).  The governor, load and stolen time are the preflight's and
# each experiment's ("load").
machine_state_json() {
  local boost=null affinity
  if [[ -r /sys/devices/system/cpu/cpufreq/boost ]]; then
    boost=$(jq -n --argjson b "$(cat /sys/devices/system/cpu/cpufreq/boost)" '$b == 1')
  elif [[ -r /sys/devices/system/cpu/intel_pstate/no_turbo ]]; then
    boost=$(jq -n --argjson t "$(cat /sys/devices/system/cpu/intel_pstate/no_turbo)" '$t == 0')
  fi
  affinity=$(taskset -cp $$ 2>/dev/null | sed 's/.*: //') || affinity=
  jq -n --argjson aslr "$(cat /proc/sys/kernel/randomize_va_space 2>/dev/null || echo null)" \
    --argjson boost "$boost" --argjson online "$(file_json /sys/devices/system/cpu/online)" \
    --argjson isolated "$(file_json /sys/devices/system/cpu/isolated)" --arg affinity "$affinity" \
    --arg pinned "$CPUS" \
    '{aslr: $aslr, boost: $boost, cpus_online: $online, cpus_isolated: $isolated,
      affinity: (if $affinity == "" then null else $affinity end),
      pinned_cpus: (if $pinned == "" then null else $pinned end)}'
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
    --argjson compiler "$(built_with)" --arg preset "$PRESET" \
    --arg commit "$commit" --argjson dirty "$dirty" --arg size "$SIZE" --argjson runs "$RUNS" \
    --arg hyperfine "$(hyperfine --version)" --arg gnuplot "$(gnuplot --version)" \
    --argjson pythons "$(pythons_json)" --argjson state "$(machine_state_json)" \
    '{date: $date, host: $host, cpu: $cpu, cores: $cores, kernel: $kernel,
      compiler: $compiler, build: $preset, git_commit: $commit, git_dirty: $dirty,
      size: $size, runs: $runs, hyperfine: $hyperfine, gnuplot: $gnuplot, pythons: $pythons,
      state: $state}' \
    >"$RUN_DIR/meta.json"
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
  jq -c --arg run "$(basename "${RUN_DIR%.partial}")" '.meta as $m | .experiments | to_entries[] |
      .key as $e | .value | to_entries[] |
      {run: $run, date: $m.date, git_commit: $m.git_commit, host: $m.host, cores: $m.cores,
       size: $m.size, experiment: $e, variant: .key}
      + (.value | {baseline, median_s, speedup, speedup_low, speedup_high})' "$RUN_DIR/summary.json"
}

# Prints file $1, if there is one, ending its last line where a write cut it
# short: records appended after it stay whole, and jq counts it as a line.
with_last_newline() {
  [[ -s $1 ]] || return 0
  cat "$1"
  [[ -z $(tail -c 1 "$1") ]] || echo
}

# Prints the records of results/history.jsonl, one JSON object a line.  A
# line that is none (a write cut short, an edit by hand) is skipped with one
# warning naming the first such line: the rest of the history is used.
read_history() {
  local history=$RESULTS_DIR/history.jsonl bad
  [[ -s $history ]] || return 0
  with_last_newline "$history" | jq -Rc 'select(test("\\S")) | try (fromjson | objects) catch empty'
  bad=$(with_last_newline "$history" |
    jq -Rr 'select(test("\\S")) | select((try fromjson catch null) | type != "object") | input_line_number')
  [[ -z $bad ]] || echo "run_all.sh: warning: $history: line ${bad%%$'\n'*} is not a JSON record" \
    "($(grep -c . <<<"$bad") such lines in all); skipped" >&2
}

# The summary whose speedups the trend charts draw as lines: --compare's
# (checked at start), else results/baseline.json if it is a usable summary
# (a warning if it is not), else none.
trend_baseline() {
  local baseline=$RESULTS_DIR/baseline.json problem
  if [[ -n $COMPARE ]]; then
    echo "$COMPARE"
    return 0
  fi
  if [[ ! -e $baseline ]]; then
    echo /dev/null
    return 0
  fi
  problem=$(summary_problem "$baseline")
  if [[ -n $problem ]]; then
    echo "run_all.sh: warning: $baseline is not a summary.json: $problem; the trend charts go without it" >&2
    baseline=/dev/null
  fi
  echo "$baseline"
}

# Draws, for each experiment of this run, the speedups of its parallel variants
# over the runs in history made on this host at this size, this run last.
plot_trends() {
  local name data blocks baseline
  baseline=$(trend_baseline)
  { read_history; history_lines; } >"$RUN_DIR/trend.jsonl"
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
    gnuplot -e "$(gp_strings datafile "$data" outbase "$RUN_DIR/$name/$name-trend" \
      chart_title "$name: speedup over runs ($SIZE size, $(hostname))") blocks=$blocks" \
      "$ROOT/plots/trend.gp"
  done
  rm -f "$RUN_DIR/trend.jsonl"
}

# Everything a complete run changes outside its folder is first written
# under a .new name (STAGED lists them); only renames follow.  A disk that
# fills up before the renames leaves the earlier results as they were.
STAGED=()
stage_copy() {
  STAGED+=("$2.new") # first: a copy cut short by a full disk is removed too
  cp "$1" "$2.new" 2>/dev/null || die_unwritable "$(dirname "$2")"
}

discard_staged() {
  ((${#STAGED[@]} == 0)) || rm -f "${STAGED[@]}"
  STAGED=()
}

# A run in which an experiment failed keeps its results under a -failed name
# and never becomes results/latest.
keep_failed_run() {
  set_run_aside failed
  echo "failed: ${FAILED[*]} (results kept in $RUN_DIR; results/latest unchanged)" >&2
}

# Moves the complete run out of its .partial name and makes it
# results/latest; its plots are copied to plots/out and its speedups added
# to the history.
finish_run() {
  local final=${RUN_DIR%.partial} plot
  # The history as it was, a bad line too (nothing a user had is lost), a
  # last line cut short ended, then this run's records.
  STAGED+=("$RESULTS_DIR/history.jsonl.new")
  { with_last_newline "$RESULTS_DIR/history.jsonl"; history_lines; } >"$RESULTS_DIR/history.jsonl.new"
  mkdir -p "$PLOTS_DIR"
  for plot in "$RUN_DIR"/*/*.svg "$RUN_DIR"/*/*.png; do
    if [[ -e $plot ]]; then stage_copy "$plot" "$PLOTS_DIR/$(basename "$plot")"; fi
  done
  [[ $SAVE_BASELINE == false ]] || stage_copy "$RUN_DIR/summary.json" "$RESULTS_DIR/baseline.json"
  ln -sfn "runs/$(basename "$final")" "$RESULTS_DIR/latest.new"
  commit_run "$final"
  [[ $SAVE_BASELINE == false ]] || echo "baseline: $RESULTS_DIR/baseline.json"
  echo "results: $RESULTS_DIR/latest -> $RUN_DIR; plots: $PLOTS_DIR"
}

# The commit: renames only, in an order that leaves the results consistent
# wherever it stops (a crash, SIGKILL): the run folder gets its final name,
# the history records it, plots and baseline are replaced, and last
# results/latest points at it.  A signal meanwhile waits for the commit to
# end: the run is then complete and current, and the script ends with the
# signal's status.
commit_run() {
  local staged signal=
  trap 'signal=${signal:-129}' HUP
  trap 'signal=${signal:-130}' INT
  trap 'signal=${signal:-143}' TERM
  rm -f "$RUN_DIR/driver.pid" # it marks a run in progress
  mv -T "$RUN_DIR" "$1"
  RUN_DIR=$1
  for staged in "${STAGED[@]}"; do mv "$staged" "${staged%.new}"; done
  STAGED=()
  mv -T "$RESULTS_DIR/latest.new" "$RESULTS_DIR/latest"
  # Nothing left to set aside: a signal from now on just ends the script.
  trap - HUP INT TERM
  if [[ -n $signal ]]; then
    echo "run_all.sh: interrupted while the run was committed; it is complete: results/latest -> $RUN_DIR" >&2 || true
    exit "$signal"
  fi
}

# Holds this run against --compare's baseline: the verdicts go to compare.txt
# and, with their p-values and effects, to summary.json's "compare"; a
# regression makes the script's exit status 1.
compare_with_baseline() {
  [[ -n $COMPARE ]] || return 0
  local status=0
  "$TOOLS_DIR/conclab-results" compare "$COMPARE" "$RUN_DIR/summary.json" \
    --threshold="$THRESHOLD" --json="$RUN_DIR/compare.json" >"$RUN_DIR/compare.txt" || status=$?
  if [[ -f $RUN_DIR/compare.json ]]; then
    jq --slurpfile verdicts "$RUN_DIR/compare.json" '. + {compare: $verdicts[0]}' "$RUN_DIR/summary.json" \
      >"$RUN_DIR/summary.json.new"
    mv "$RUN_DIR/summary.json.new" "$RUN_DIR/summary.json"
    rm -f "$RUN_DIR/compare.json"
  fi
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
# CPython (py-VARIANT; a column per interpreter of --python, py3.8-VARIANT...),
# C (VARIANT) and C under the emulated GIL (VARIANT-gil), and each column's
# speedup over the source's baseline variant.
write_book_table() {
  local name book pythons
  pythons=$(book_python_columns)
  for name in "${EXPERIMENTS[@]}"; do
    book=$ROOT/benchmarks/$name/book.json
    [[ -f $book ]] || continue
    jq -r --arg e "$name" --slurpfile book "$book" --argjson pythons "$pythons" '
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
        | [[$variants[] | $b.figures_s[.]], ($pythons[] | column(.prefix; "")), column(""; ""), $gil]
            as $cols
        | 0 as $base
        | "### \($e)\n\nSource: \($b.source).\n",
          "| variant | source | \([$pythons[].title] | join(" | ")) | C here | C with --gil here |",
          "|---|---|\([$pythons[] | "---|"] | join(""))---|---|",
          ($variants | to_entries[] | .key as $i
           | "| \(.value) | \([$cols[] | .[$i] | seconds] | join(" | ")) |"),
          ($variants | to_entries[] | select(.key != $base) | .key as $i
           | "| speedup \($b.baseline)/\(.value) | \([$cols[] | ratio(.[$base]; .[$i])] | join(" | ")) |"),
          ""' "$RUN_DIR/summary.json"
  done >"$RUN_DIR/book.md"
  [[ -s $RUN_DIR/book.md ]] || { rm -f "$RUN_DIR/book.md" && return 0; }
  label_quick_book_table
  printf '\nThe source beside this machine\n\n'
  cat "$RUN_DIR/book.md"
}

# book.md's CPython columns as JSON: one per interpreter, titled with its
# version when there are several; "CPython here" (py-) with one or none.
book_python_columns() {
  if ((${#PY_PREFIXES[@]} < 2)); then
    echo '[{"prefix": "py-", "title": "CPython here"}]'
    return 0
  fi
  # Two of one version (two paths to one interpreter) are told apart by prefix.
  pythons_json | jq -c 'map({prefix, title: "\(.implementation) \(.version) here"})
      | reduce .[] as $p ([]; . + [if any(.[]; .title == $p.title)
                                    then $p + {title: "\($p.title) (\($p.prefix)*)"} else $p end])'
}

# fidelity.md: the emulated GIL beside CPython, from this run.  For each
# experiment with --gil variants, each variant's ratio over the baseline in C
# under --gil and in CPython (each interpreter of --python), and, for an
# experiment that reports latencies or packets per second per number of
# computing neighbours (metrics NAME_nK), the C --gil figures beside
# CPython's; differences in percent.  Written when the run has both.
write_fidelity_table() {
  local pythons ratios neighbours
  pythons=$(pythons_json)
  [[ $pythons != "[]" && -f $RUN_DIR/summary.json ]] || return 0
  ratios=$(fidelity_ratios "$pythons")
  neighbours=$(fidelity_neighbours "$pythons")
  [[ -n $ratios || -n $neighbours ]] || return 0
  {
    echo "# The emulated GIL beside CPython"
    echo
    jq -r '"Machine: \(.cpu), \(.cores) cores; \(.preflight.summary // "load not recorded"). " +
        "Size \(.size), \(.runs) runs per variant. CPython: " +
        ([.pythons[] | "\(.version) (\(.prefix)*)"] | join(", ")) + "."' "$RUN_DIR/meta.json"
    if [[ -n $ratios ]]; then
      printf '\n## Speedups over the baseline\n\n'
      echo "Medians of this run (hyperfine: whole processes, the interpreter's start included);"
      echo "difference: C --gil against CPython, in percent of CPython's."
      echo
      echo "$ratios"
    fi
    if [[ -n $neighbours ]]; then
      printf '\n## Beside computing threads\n\n'
      echo "One verification run each; difference: C --gil against CPython, in percent of CPython's."
      echo
      echo "$neighbours"
    fi
  } >"$RUN_DIR/fidelity.md"
}

# The ratio rows of fidelity.md: VARIANT-gil and py-VARIANT over their
# baselines (the baseline under --gil where there is one), from hyperfine's
# medians and from the in-process times of the verification runs (no
# interpreter start-up in those).  Experiments that report per-neighbour
# metrics run for a fixed time: no ratio for them.
fidelity_ratios() {
  local per_neighbour
  per_neighbour=$(for dir in "$RUN_DIR"/*/; do
    if compgen -G "$dir/verify-*.json" >/dev/null &&
      jq -s -e 'any(.[]; .metrics // {} | keys | any(test("_n[0-9]+$")))' "$dir"/verify-*.json >/dev/null; then
      basename "$dir"
    fi
  done | jq -R -s -c 'split("\n") | map(select(length > 0))')
  jq -r --argjson pythons "$1" --argjson skip "$per_neighbour" --argjson inproc "$(in_process_times)" '
      def times($r): if $r == null then "–" else "\($r * 100 | round / 100)×" end;
      def percent($c; $p): if $c == null or $p == null or $p == 0 then "–" else "\(($c / $p - 1) * 100 | round) %" end;
      def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
      [.experiments | to_entries[] | select(.key as $e | $skip | index($e) | not)
       | .key as $e | .value as $run | ($inproc[$e] // {}) as $in
       | ($run | to_entries | map(select(.key | test("^py[0-9._]*-") | not)) | .[0].value.baseline) as $base
       | select($base != null)
       | (if $run[$base + "-gil"] then $base + "-gil" else $base end) as $cbase
       | $run | keys[] | select(endswith("-gil")) | sub("-gil$"; "") as $x | select($x != $base)
       | ratio($run[$cbase].median_s; $run[$x + "-gil"].median_s) as $c
       | ratio($in[$cbase]; $in[$x + "-gil"]) as $cin
       | $pythons[] | .prefix as $p | select($run[$p + $x] != null and $run[$p + $base] != null)
       | ratio($run[$p + $base].median_s; $run[$p + $x].median_s) as $py
       | ratio($in[$p + $base]; $in[$p + $x]) as $pyin
       | "| \($e) | \($base)/\($x) | \(.version) | \(times($c)) | \(times($py)) | \(percent($c; $py)) | " +
         "\(times($cin)) | \(times($pyin)) | \(percent($cin; $pyin)) |"] as $rows
      | select($rows | length > 0)
      | "| experiment | speedup | CPython | C --gil | CPython | difference | C --gil in-process | CPython in-process | difference |",
        "|---|---|---|---|---|---|---|---|---|",
        $rows[]' "$RUN_DIR/summary.json"
}

# Each experiment's variants' in-process seconds from the verification runs,
# as JSON {experiment: {variant: seconds}}: C's elapsed_s, and the first
# "N.NNN s" of a Python original's first line.
in_process_times() {
  local file name variant seconds
  for file in "$RUN_DIR"/*/verify-*.json "$RUN_DIR"/*/verify-*.txt; do
    [[ -e $file ]] || continue
    name=$(basename "$(dirname "$file")")
    variant=${file##*/verify-}
    variant=${variant%.*}
    if [[ $file == *.json ]]; then
      seconds=$(jq '.elapsed_s // empty' "$file" 2>/dev/null) || seconds=
    else
      seconds=$(head -n 1 "$file" | grep -oE '[0-9]+[.][0-9]+ s' | head -n 1 | cut -d' ' -f1) || seconds=
    fi
    [[ -z $seconds ]] || printf '%s\t%s\t%s\n' "$name" "$variant" "$seconds"
  done | jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t"))
      | reduce .[] as $r ({}; .[$r[0]][$r[1]] = ($r[2] | tonumber))'
}

# The "  name: number" lines of a Python original's text output, as JSON.
text_metrics() {
  jq -R -n '[inputs | capture("^  (?<k>[a-z0-9_]+): (?<v>-?[0-9.]+(e[-+]?[0-9]+)?)$")
      | {(.k): (.v | tonumber)}] | add // {}' "$1"
}

# The per-neighbour rows of fidelity.md: for each C VARIANT-gil whose
# verification reports NAME_nK metrics, the same metrics of py-VARIANT's
# verification (each interpreter), neighbour count by neighbour count.
fidelity_neighbours() {
  local pythons=$1 file variant dir prefix py_metrics
  for file in "$RUN_DIR"/*/verify-*-gil.json; do
    [[ -e $file ]] || continue
    jq -e '.metrics // {} | keys | any(test("_n[0-9]+$"))' "$file" >/dev/null || continue
    dir=$(dirname "$file")
    variant=${file##*/verify-}
    variant=${variant%-gil.json}
    py_metrics=$(while IFS= read -r prefix; do
      if [[ -f $dir/verify-$prefix$variant.txt ]]; then
        text_metrics "$dir/verify-$prefix$variant.txt"
      else
        echo null
      fi
    done < <(jq -r '.[].prefix' <<<"$pythons") | jq -s -c .)
    jq -r --arg e "$(basename "$dir")" --arg v "$variant" --argjson pythons "$pythons" \
      --argjson py "$py_metrics" '
        def num: if . == null then "–" elif . >= 100 then "\(round)" else "\(. * 100 | round / 100)" end;
        def percent($c; $p): if $c == null or $p == null or $p == 0 then "–"
                             else "\(($c / $p - 1) * 100 | round) %" end;
        .metrics | with_entries(select(.key | test("_n[0-9]+$")) | .value = .value.value) as $c
        | select([$py[] | select(. != null)] | length > 0)
        | ($c | keys | map(capture("^(?<m>.+)_n(?<n>[0-9]+)$")) | map(.m) | unique
           | map(select(test("p50|p99|packets")))) as $measures
        | ($c | keys | map(capture("_n(?<n>[0-9]+)$").n | tonumber) | unique) as $counts
        | "### \($e) \($v)-gil beside CPython \($v)\n",
          "| neighbours | " + ([$measures[] as $m | "\($m): C --gil | " +
             ([$pythons[] | "CPython \(.version) | difference"] | join(" | "))] | join(" | ")) + " |",
          "|---|" + ([$measures[] | "---|" + ([$pythons[] | "---|---|"] | join(""))] | join("")),
          ($counts[] as $n
           | "| \($n) | " + ([$measures[] as $m | ($c["\($m)_n\($n)"]) as $cv
               | "\($cv | num) | " + ([$py[] | (.["\($m)_n\($n)"] // null) as $pv
                   | "\($pv | num) | \(percent($cv; $pv))"] | join(" | "))] | join(" | ")) + " |"),
          ""' "$file"
  done
}

# REPORT.md: the page to project in class, with every chart of the run.
write_report() {
  local name
  {
    echo "# conclab run $(basename "${RUN_DIR%.partial}")"
    echo
    jq -r '"Machine: \(.cpu), \(.cores) cores, \(.kernel). " +
        "Compiler: \(.compiler.banner // "unknown"), flags \(.compiler.flags // "unknown"), \(.build) build. " +
        "Commit \(.git_commit[0:12])\(if .git_dirty then " with uncommitted changes" else "" end). " +
        "Size \(.size), \(.runs) runs per variant, \(.date)."' "$RUN_DIR/meta.json"
    echo
    echo "Speedup = median of the sequential variant / median of the variant, both from this run;"
    jq -r '"intervals: \(.ci_method)."' "$RUN_DIR/summary.json"
    echo
    lessons_section
    if [[ -f $RUN_DIR/book.md ]]; then
      printf '\n## The source beside this machine\n\n'
      cat "$RUN_DIR/book.md"
    fi
    if [[ -f $RUN_DIR/steps.txt ]]; then
      printf '\n## Steps in the history\n\n```\n'
      cat "$RUN_DIR/steps.txt"
      echo '```'
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
      [[ ! -f $RUN_DIR/$name/$name-speedup.svg ]] ||
        printf '![%s: speedup over the baseline](%s/%s-speedup.svg)\n\n' "$name" "$name" "$name"
      speedup_table "$name"
      if [[ -f $RUN_DIR/$name/$name-sweep.svg ]]; then
        printf '\n![%s against workers](%s/%s-sweep.svg)\n\n' "$name" "$name" "$name"
        printf 'Serial fraction fitted to the sweep (Amdahl): %s\n\n' "$(cat "$RUN_DIR/$name/amdahl-fit.txt")"
        sweep_table "$RUN_DIR/$name/sweep.tsv"
      fi
      if [[ -f $RUN_DIR/$name/$name-spread.svg ]]; then
        printf '\n![%s: how evenly the workers shared the work](%s/%s-spread.svg)\n\n' "$name" "$name" "$name"
        spread_lines "$RUN_DIR/$name/spread-summary.tsv"
      fi
      if [[ -f $RUN_DIR/$name/$name-size-sweep.svg ]]; then
        printf '\n![%s against the size of the work](%s/%s-size-sweep.svg)\n\n' "$name" "$name" "$name"
        sed 's/^/- /' "$RUN_DIR/$name/size-crossover.txt"
      fi
      if [[ -f $RUN_DIR/$name/$name-trend.svg ]]; then
        printf '\n![%s over runs](%s/%s-trend.svg)\n' "$name" "$name" "$name"
      fi
    done
  } >"$RUN_DIR/REPORT.md"
}

# Runs a command in a process group of its own and waits for it, so that an
# interruption can stop it together with everything it started.  The
# watchdog knows the group too; the command gets neither the lock nor the
# watchdog's pipe.
run_stoppable() {
  local status=0
  setsid "$@" {LOCK_FD}>&- {WATCHDOG_FD}>&- &
  CHILD_GROUP=$!
  tell_watchdog "$CHILD_GROUP"
  wait "$CHILD_GROUP" || status=$?
  tell_watchdog ""
  CHILD_GROUP=
  return "$status"
}

# The watchdog, in a bash of its own: reads the process group that
# run_stoppable waits for (a line each time it changes, empty for none)
# until the pipe from the driver closes, that is until the driver ends,
# however it ends.  A group still running then means the driver was killed
# with SIGKILL, which no trap sees: it ends that group as on_interrupt
# would have, with SIGTERM, then SIGKILL after 5 s.
guard_child_group() {
  local line group='' tries
  trap '' INT TERM HUP
  while IFS= read -r line; do group=$line; done
  [[ -n $group ]] && kill -TERM -- "-$group" 2>/dev/null || return 0
  for ((tries = 0; tries < 50; tries++)); do
    kill -0 -- "-$group" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$group" 2>/dev/null || true
}

# Starts the watchdog, fed through a pipe that only this script holds open.
# In a session of its own, so that a kill of this script's process group
# spares it; no wakeups while it waits, so it costs the timings nothing.
start_watchdog() {
  exec {WATCHDOG_FD}> >(exec setsid bash -c "$(declare -f guard_child_group); guard_child_group" \
    >/dev/null 2>&1 {LOCK_FD}>&-)
}

tell_watchdog() {
  # In a subshell: were the watchdog gone, SIGPIPE would end that, not this script.
  (echo "$1" >&"$WATCHDOG_FD") 2>/dev/null || true
}

# Ends a run that will not become results/latest: what was staged goes,
# and its folder, if still .partial, is renamed NAME-$1 (-failed,
# -interrupted) and becomes RUN_DIR.  Nothing to do once it is committed.
set_run_aside() {
  [[ $BASHPID == "$$" && -n $RUN_DIR ]] || return 0
  take_down_cluster
  discard_staged
  rm -f "$RESULTS_DIR/latest.new"
  if [[ $RUN_DIR == *.partial ]] && mv -T "$RUN_DIR" "${RUN_DIR%.partial}-$1" 2>/dev/null; then
    RUN_DIR=${RUN_DIR%.partial}-$1
  fi
}

# True while a few kilobytes can still be written into the run folder.
results_writable() {
  local probe=$RUN_DIR/.write-probe ok=true
  head -c 8192 /dev/zero 2>/dev/null >"$probe" || ok=false
  rm -f "$probe"
  [[ $ok == true ]]
}

# The disk filled up or the folder ($1, else the results folder) became
# unwritable in the middle of a run: keep what was written under a -failed
# name; results/latest stays on the last complete run.
die_unwritable() {
  local dir=${1:-$RESULTS_DIR} free
  trap - ERR INT TERM HUP
  set_run_aside failed
  free=$(df -h --output=avail "$dir" 2>/dev/null | tail -n 1 | tr -d ' ') || free=unknown
  die "cannot write results under $dir any more ($free free): check its free space and permissions; partial results in $RUN_DIR, results/latest unchanged"
}

# set -e stopped the run on a failed command (ERR, inherited by functions
# through set -E): name the cause when it was the disk, and never leave the
# run as .partial.  A subshell leaves all this to the main shell.
on_error() {
  local status=$?
  [[ $BASHPID == "$$" ]] || exit "$status"
  results_writable || die_unwritable
  trap - ERR INT TERM HUP
  set_run_aside failed
  die "the run stopped on a failed command (status $status); partial results in $RUN_DIR, results/latest unchanged"
}

# Ctrl-C, SIGTERM or SIGHUP (the terminal closed): stop hyperfine and the
# programs it runs, keep the run folder under an -interrupted name;
# results/latest and plots stay as they were.  Exits with $1, 128 + the
# signal's number.
on_interrupt() {
  trap '' INT TERM HUP
  trap - ERR
  if [[ -n $CHILD_GROUP ]]; then
    kill -TERM -- "-$CHILD_GROUP" 2>/dev/null || true
    wait "$CHILD_GROUP" 2>/dev/null || true
    tell_watchdog ""
  fi
  set_run_aside interrupted
  # After a hang-up stderr may be gone: the exit status still tells.
  echo "run_all.sh: interrupted; partial results kept in $RUN_DIR, results/latest unchanged" >&2 || true
  exit "$1"
}

trap_signals() {
  trap 'on_interrupt 129' HUP
  trap 'on_interrupt 130' INT
  trap 'on_interrupt 143' TERM
}

# ---- the results folder -------------------------------------------------------

# The summary is for whoever reads it: a closed stdout (>&-) or a reader
# that went away (| head -n 1) must not cost the run.  Into a pipe, output
# goes through a relay that, once its reader is gone, drains the rest.
protect_stdout() {
  if ! (exec 3>&1) 2>/dev/null; then # stdout closed
    exec >/dev/null
  elif [[ -p /dev/stdout || -S /dev/stdout ]]; then
    exec > >(
      trap '' INT TERM HUP
      cat 2>/dev/null || true
      exec cat >/dev/null
    )
  fi
}

# One driver at a time per results folder (flock on results/.lock, held
# until this script ends): a second one says whom it waits for, and waits.
# The commands timed do not get the lock, so a killed driver frees it.
lock_results() {
  local lock=$RESULTS_DIR/.lock holder
  if ! mkdir -p "$RESULTS_DIR" 2>/dev/null || ! { exec {LOCK_FD}>>"$lock"; } 2>/dev/null; then
    die "cannot write results under $RESULTS_DIR: check its permissions and free space"
  fi
  if ! flock -n "$LOCK_FD"; then
    holder=$(cat "$lock" 2>/dev/null) || true
    echo "run_all.sh: waiting for the run in progress under $RESULTS_DIR (run_all.sh pid ${holder:-unknown}) to end ..." >&2
    flock "$LOCK_FD"
  fi
  { echo "$$" >"$lock"; } 2>/dev/null || true
}

# A run left .partial by a driver that is gone (SIGKILL, a crash, a power
# cut) is kept under an -interrupted name.  Under the lock no other run is
# in progress; the pid recorded in the folder is checked all the same.
retire_stale_runs() {
  local partial pid
  for partial in "$RESULTS_DIR"/runs/*.partial; do
    [[ -d $partial ]] || continue
    pid=$(cat "$partial/driver.pid" 2>/dev/null) || pid=
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
    if mv -T "$partial" "${partial%.partial}-interrupted" 2>/dev/null; then
      echo "run_all.sh: $(basename "$partial"): its driver${pid:+ (pid $pid)} is gone; kept as" \
        "$(basename "${partial%.partial}")-interrupted" >&2
    fi
  done
}

# Plots are copied to the plots folder only at the end of a run: find out
# now, before anything is timed, that they could not be.
check_plots_writable() {
  local probe=$PLOTS_DIR/.write-probe-$$
  if mkdir -p "$PLOTS_DIR" 2>/dev/null && { : >"$probe"; } 2>/dev/null; then
    rm -f "$probe"
    return 0
  fi
  die "cannot write plots under $PLOTS_DIR: check its permissions (a read-only file system?)"
}

# Before anything is built or timed: this driver alone on the results
# folder, stale runs set aside, the plots folder writable.
claim_results_folder() {
  lock_results
  retire_stale_runs
  check_plots_writable
}

# Creates this run's folder, results/runs/<time>-<host>[-N].partial, with
# mkdir, never -p on it: an existing folder is never shared, and no id is
# taken twice, whatever it ended as.  Records this driver's pid in it.
create_run_dir() {
  local runs=$RESULTS_DIR/runs base id n=1
  base=$(date -u +%Y%m%dT%H%M%SZ)-$(hostname)
  id=$base
  mkdir -p "$runs" 2>/dev/null || die "cannot write results under $RESULTS_DIR: check its permissions and free space"
  while :; do
    if [[ ! -e $runs/$id && ! -e $runs/$id-failed && ! -e $runs/$id-interrupted ]]; then
      mkdir "$runs/$id.partial" 2>/dev/null && break
      [[ -e $runs/$id.partial ]] || die "cannot write results under $RESULTS_DIR: check its permissions and free space"
    fi
    n=$((n + 1))
    id=$base-$n
  done
  RUN_DIR=$runs/$id.partial
  { echo "$$" >"$RUN_DIR/driver.pid"; } 2>/dev/null ||
    die "cannot write results under $RESULTS_DIR: check its permissions and free space"
}

# ---- the machine's state, and the lessons ---------------------------------------

# Prints "BUSY TOTAL STEAL CPUS" from /proc/stat: clock ticks summed over all
# CPUs spent busy (stolen time included), in all, and stolen by the
# hypervisor; and the number of CPUs they are summed over.
cpu_ticks() {
  awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6; steal = $9 }
       $1 ~ /^cpu[0-9]/ { cpus++ }
       END { print busy, total, steal, cpus }' /proc/stat
}

# Prints the clock ticks of CPU that this script and every child it has
# waited for have used: utime, stime, cutime and cstime of /proc/$$/stat (the
# fields after the command name, which may hold spaces).
own_ticks() {
  sed 's/.*) //' "/proc/$$/stat" | awk '{ print $12 + $13 + $14 + $15 }'
}

# Prints "TICKS LOAD": cpu_ticks, own_ticks and the 1-minute load average.
machine_counters() {
  echo "$(cpu_ticks) $(own_ticks) $(cut -d ' ' -f 1 /proc/loadavg)"
}

# Prints, as JSON, what two machine_counters lines ($1 before, $2 after) say
# about the time between them: the cores that programs other than this
# script and its children kept busy, and the share of time stolen.
others_between() {
  awk -v before="$1" -v after="$2" 'BEGIN {
      split(before, b); split(after, a)
      wall = (a[2] - b[2]) / (a[4] > 0 ? a[4] : 1)
      others = wall > 0 ? ((a[1] - b[1]) - (a[5] - b[5])) / wall : 0
      steal = a[2] > b[2] ? 100 * (a[3] - b[3]) / (a[2] - b[2]) : 0
      printf "{\"others_busy_cores\": %.2f, \"steal_percent\": %.1f}\n", (others > 0 ? others : 0), steal
    }'
}

# Prints, as a JSON array, the programs that used the most CPU over one
# second (top's second frame), top itself left out: the three busiest above
# 5 % of a core.
top_processes() {
  LC_ALL=C top -b -n 2 -d 1 -w 512 -o %CPU 2>/dev/null |
    awk '/^ *PID /{ frame++; next }
         frame == 2 && NF >= 12 && $12 != "top" && $9 + 0 >= 5 {
           command = $12; for (i = 13; i <= NF; i++) command = command " " $i
           print $1 "\t" $9 "\t" command }' | head -n 3 |
    jq -R -s -c 'split("\n") | map(select(length > 0) | split("\t")
      | {pid: (.[0] | tonumber), cpu_percent: (.[1] | tonumber), command: .[2]})'
}

# Before timing, over one second in which this script does nothing: the load
# average, the cores online, the CPU frequency governor where the kernel
# tells it, the cores other programs use and the time stolen meanwhile, and
# the busiest programs.  Adds it to meta.json as "preflight" and prints one
# line, a warning when lessons may not show: fewer than 2 cores, or other
# programs using half a core or more (or a tenth of the time stolen).
record_preflight() {
  local before after top governor=null preflight
  before=$(machine_counters)
  top=$(top_processes) || top='[]'
  after=$(machine_counters)
  if [[ -r /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor ]]; then
    governor=$(jq -R . /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor)
  fi
  preflight=$(jq -n --argjson window "$(others_between "$before" "$after")" --argjson top "$top" \
    --argjson cores "$(nproc)" --argjson governor "$governor" \
    --argjson load "$(awk '{ printf "[%s, %s, %s]", $1, $2, $3 }' /proc/loadavg)" '
      $window + {load_average: $load, cores_online: $cores, governor: $governor,
                 window_s: 1, top: $top}
      | .busy = (.others_busy_cores >= 0.5 or .steal_percent >= 10)
      | .too_few_cores = (.cores_online < 2)
      | .summary = "load average \(.load_average[0]) on \(.cores_online) cores, other programs " +
          "using \(.others_busy_cores) cores, \(.steal_percent) % stolen, governor \(.governor // "unknown")" +
          (if .top == [] then "" else " (busiest: " +
            (.top | map("\(.command) \(.cpu_percent) %") | join(", ")) + ")" end) +
          # Programs that start and end within the second never show in top.
          (if .busy and ([.top[].cpu_percent] | add // 0) < 50 * .others_busy_cores
           then "; most of it in programs too short-lived for top to name" else "" end)')
  jq --argjson preflight "$preflight" '. + {preflight: $preflight}' "$RUN_DIR/meta.json" >"$RUN_DIR/meta.json.new"
  mv "$RUN_DIR/meta.json.new" "$RUN_DIR/meta.json"
  jq -r 'if .too_few_cores then "warning: only \(.cores_online) core online: lessons may not show (\(.summary))"
         elif .busy then "warning: the machine is busy: lessons may not show; \(.summary)"
         else "preflight: quiet: \(.summary)" end' <<<"$preflight"
}

# The machine's counters before an experiment, for record_load.
LOAD_MARK=
mark_load() {
  LOAD_MARK=$(machine_counters)
}

# <experiment>/load.json: the load average before and after experiment $1,
# how long it took, and the cores other programs kept busy meanwhile (all
# the CPU time used, less this script's and its children's).
record_load() {
  local dir=$RUN_DIR/$1 after
  [[ -d $dir && -n $LOAD_MARK ]] || return 0
  after=$(machine_counters)
  jq -n --argjson between "$(others_between "$LOAD_MARK" "$after")" \
    --argjson before "${LOAD_MARK##* }" --argjson after "${after##* }" \
    --argjson seconds "$(awk -v b="$LOAD_MARK" -v a="$after" 'BEGIN {
        split(b, x); split(a, y); printf "%.1f", (y[2] - x[2]) / (y[4] > 0 ? y[4] : 1) / 100 }')" \
    '{load_before: $before, load_after: $after, seconds: $seconds} + $between' >"$dir/load.json"
  # Also in meta.json ("load"), so that a comparison sees each experiment's state.
  jq --arg name "$1" --slurpfile load "$dir/load.json" '.load[$name] = $load[0]' "$RUN_DIR/meta.json" \
    >"$RUN_DIR/meta.json.new"
  mv "$RUN_DIR/meta.json.new" "$RUN_DIR/meta.json"
}

# Prints the verdicts on experiment $1's lessons.  Its lessons.json is copied
# into the run, which so records what was asked of it.  (Tests declare their
# own lessons in CONCLAB_LESSONS_DIR/NAME/lessons.json.)
judge_lessons() {
  local name=$1 dir=$RUN_DIR/$1 lessons=${CONCLAB_LESSONS_DIR:-$ROOT/benchmarks}/$1/lessons.json
  [[ -f $lessons && -f $dir/hyperfine.json ]] || return 0
  cp "$lessons" "$dir/lessons.json"
  "$TOOLS_DIR/conclab-results" lessons "$RUN_DIR" "$name" || (($? == 1))
}

# After an experiment: its load.json and the verdicts on its lessons.
after_experiment() {
  record_load "$1"
  judge_lessons "$1"
}

# lessons.txt: every verdict of the run and the tally, whose last line is
# printed.  A lesson not shown is a warning; with --strict-lessons it makes
# the exit status 1 (the run is kept as usual).
tally_lessons() {
  local status=0
  "$TOOLS_DIR/conclab-results" lessons "$RUN_DIR" >"$RUN_DIR/lessons.txt" || status=$?
  ((status != 2)) || die "conclab-results could not judge the lessons"
  tail -n 1 "$RUN_DIR/lessons.txt"
  ((status == 1)) || return 0
  echo "run_all.sh: warning: not every lesson was shown (see lessons.txt in the run folder)" >&2
  [[ $STRICT_LESSONS == false ]] || LESSONS_MISSED=true
}

# REPORT.md's first section: the machine's state before timing and one row
# per lesson with its verdict and what it means.
lessons_section() {
  jq -r '
      def verdict: if .shown == true then "shown" elif .shown == false then "**NOT shown**: \(.why)"
                   else .why end;
      select((.lessons // {}) | length > 0)
      | "## Lessons\n",
        (.meta.preflight.summary // empty | "Before timing: \(.).\n"),
        "| experiment | lesson | verdict | what it means |", "|---|---|---|---|",
        (.lessons | to_entries[] | .key as $e | .value[]
         | "| \($e) | \(.text) | \(verdict) | \(.means) |"),
        ""' "$RUN_DIR/summary.json"
}

# At quick size the programs do far less work than the source did: book.md
# says so at its top.
label_quick_book_table() {
  [[ $SIZE == quick && -s $RUN_DIR/book.md ]] || return 0
  { printf '*quick size: not comparable with the source* (run at book size for that)\n\n'
    cat "$RUN_DIR/book.md"; } >"$RUN_DIR/book.md.new"
  mv "$RUN_DIR/book.md.new" "$RUN_DIR/book.md"
}

# A serial fraction fitted to points of a few milliseconds fits start-up
# noise: under 20 ms for the fastest point, amdahl-fit.txt says so instead.
distrust_fast_fit() {
  local dir=$1 fastest
  [[ -f $dir/sweep.json && -f $dir/amdahl-fit.txt ]] || return 0
  fastest=$(jq '[.results[].median] | min' "$dir/sweep.json")
  if jq -e --argjson t "$fastest" -n '$t < 0.020' >/dev/null; then
    printf 'not fitted: the fastest point took %s ms, under 20 ms, where start-up swamps the work\n' \
      "$(jq -n --argjson t "$fastest" '$t * 1000 | round')" >"$dir/amdahl-fit.txt"
  fi
}

# Writes speedup.dat for experiment $1 of this run and draws its speedup chart
# (plots/speedup.gp): each variant's speedup with its interval (summary.json);
# the lesson's interval and ideal where a speedup lesson (lessons.json) names
# the variant over its baseline, else the ideal its program reported
# (verify-VARIANT.json); and the source's speedup where book.json has both
# figures.
plot_speedup() {
  local name=$1 dir=$RUN_DIR/$1 book=$ROOT/benchmarks/$1/book.json lessons=$RUN_DIR/$1/lessons.json
  local ideals file verify=()
  [[ -f $book ]] || book=/dev/null
  [[ -f $lessons ]] || lessons=$ROOT/benchmarks/$name/lessons.json
  [[ -f $lessons ]] || lessons=/dev/null
  for file in "$dir"/verify-*.json; do [[ -e $file ]] && verify+=("$file"); done
  ideals=$(jq -n 'reduce inputs as $v ({};
      . + {(input_filename | sub(".*/verify-"; "") | sub("\\.json$"; "")):
           ($v.metrics.ideal_speedup.value // null)})' "${verify[@]}" </dev/null) || ideals={}
  jq -r --arg e "$name" --slurpfile book "$book" --slurpfile lessons "$lessons" \
    --argjson ideals "$ideals" '
      # The source times CPython: its figure for variant V of either language
      # (py-V, V, V-gil) is figures_s[V].
      def plain: sub("^py[0-9._]*-"; "") | sub("-gil$"; "");
      def number: if type == "number" then . else "NaN" end;
      ($book[0].figures_s // {}) as $fig
      | [$lessons[0].lessons // [] | .[] | select(.speedup.variant? and .speedup.over?)] as $taught
      | (.experiments[$e] // {} | to_entries) as $all
      | ($all | map(select(.key | test("^py[0-9._]*-") | not))) as $c
      | ($all | map(select(.key | test("^py[0-9._]*-")))) as $py
      | ($c | to_entries | map(.value + {x: .key, group: 1}))
        + ($py | to_entries | map(.value + {x: (.key + ($c | length) + 1), group: 2}))
      | .[] | .value as $s | .key as $v
      | (first($taught[] | select(.speedup.variant == $v and .speedup.over == $s.baseline)) // {})
        as $lesson
      | [.x, ($v + (if $v == $s.baseline then " (baseline)" else "" end)),
         $s.speedup, $s.speedup_low, $s.speedup_high, .group,
         ($lesson.ideal // $ideals[$v] | number),
         ($fig[$s.baseline | plain] as $b | $fig[$v | plain] as $f
          | if ($s.baseline | plain) != ($v | plain) and $b != null and $f != null and $f > 0
            then $b / $f else "NaN" end),
         ($lesson.min | number), ($lesson.max | number)]
      | @tsv' "$RUN_DIR/summary.json" >"$dir/speedup.dat"
  # Only baselines (one variant a language, as lifecycle's walk): no ratio to draw.
  awk -F'\t' '$2 !~ / [(]baseline[)]$/ { found = 1 } END { exit !found }' "$dir/speedup.dat" ||
    return 0
  gnuplot -e "$(gp_strings datafile "$dir/speedup.dat" outbase "$dir/$name-speedup" \
    chart_title "$name: speedup over the baseline ($SIZE size, $(nproc) cores)")" \
    "$ROOT/plots/speedup.gp"
}

# A speedup chart for each experiment that has speedups in summary.json.
plot_speedups() {
  local name
  for name in "${EXPERIMENTS[@]}"; do
    [[ -d $RUN_DIR/$name ]] || continue
    plot_speedup "$name"
  done
}

# index.html: the run as one self-contained web page (conclab-results html):
# the lesson verdicts, the machine, the source's table, the comparison and
# every chart, inlined.  Written into the run folder, so results/latest/
# index.html is the latest complete run's.
write_html_report() {
  "$TOOLS_DIR/conclab-results" html "$RUN_DIR" "${EXPERIMENTS[@]}"
}

run_benchmarks() {
  local name index=0
  find_experiments
  start_watchdog
  create_run_dir
  trap_signals
  set -E
  trap on_error ERR
  resolve_pythons
  write_meta
  record_preflight
  for name in "${EXPERIMENTS[@]}"; do
    index=$((index + 1))
    mark_load
    run_experiment "$name" "$index" "${#EXPERIMENTS[@]}" || FAILED+=("$name")
    after_experiment "$name"
  done
  summarize_run
  tally_lessons
  compare_with_baseline
  find_history_steps
  plot_trends
  plot_speedups
  write_book_table
  write_fidelity_table
  write_report
  write_html_report
  if ((${#FAILED[@]} > 0)); then keep_failed_run; else finish_run; fi
  trap - ERR INT TERM HUP
  ((${#FAILED[@]} == 0)) || exit 1
  [[ $REGRESSED == false ]] || die "a speedup regressed against $COMPARE"
  [[ $LESSONS_MISSED == false ]] || die "not every lesson was shown (--strict-lessons)"
}

# steps.txt: the steps in the history with this run added, for REPORT.md
# and index.html; written only when there is a step.
find_history_steps() {
  local all=$RUN_DIR/history-and-run.jsonl
  { with_last_newline "$RESULTS_DIR/history.jsonl"; history_lines; } >"$all"
  "$TOOLS_DIR/conclab-results" history "$all" --threshold="$THRESHOLD" >"$RUN_DIR/steps.txt"
  rm -f "$all"
  grep -q ' step after ' "$RUN_DIR/steps.txt" || rm -f "$RUN_DIR/steps.txt"
}

# --history: the steps in the history, found by conclab-results history.
print_history_steps() {
  local history=$RESULTS_DIR/history.jsonl
  if [[ ! -s $history ]]; then
    echo "no history yet: $history is made by complete runs"
    return 0
  fi
  "$TOOLS_DIR/conclab-results" history "$history" --threshold="$THRESHOLD"
}

# ---- two builds against each other: --ab --------------------------------------

# The commit --ab names, checked before anything is built or timed: a
# revision git does not know is a usage error (exit 2).
resolve_ab_revision() {
  [[ -n $AB_REV ]] || return 0
  git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 ||
    die_usage "--ab: $ROOT is not a git repository"
  AB_COMMIT=$(git -C "$ROOT" rev-parse --verify --quiet --end-of-options "$AB_REV^{commit}") ||
    die_usage "--ab: '$AB_REV' is not a revision of this repository"
}

# Builds AB_COMMIT in its own worktree, build/ab/<commit>/src, with its own
# release preset (build/ab/<commit>/src/build/release): both stay for the
# next --ab of the same commit, which only checks that the build is up to
# date.  The user's tree, index and branch are never touched.
build_ab_revision() {
  local dir=$ROOT/build/ab/$AB_COMMIT short=${AB_COMMIT:0:12} head
  head=$(git -C "$dir/src" rev-parse HEAD 2>/dev/null) || head=
  if [[ $head == "$AB_COMMIT" ]]; then
    echo "A: $AB_REV ($short), reusing build/ab/$AB_COMMIT"
  else
    echo "A: $AB_REV ($short), a worktree in build/ab/$AB_COMMIT"
    rm -rf "$dir/src"
    mkdir -p "$dir"
    git -C "$ROOT" worktree prune
    git -C "$ROOT" worktree add --detach "$dir/src" "$AB_COMMIT" >"$dir/worktree.log" 2>&1 ||
      die "--ab: could not make a worktree of $short (see $dir/worktree.log)"
  fi
  if ! (cd "$dir/src" && cmake --preset "$PRESET" && cmake --build --preset "$PRESET" -j "$(nproc)") \
    >"$dir/build.log" 2>&1; then
    die "--ab: building $AB_REV ($short) failed (see $dir/build.log)"
  fi
  AB_BIN_DIR=$dir/src/build/$PRESET/bin
}

# Creates this comparison's folder, results/ab/<time>-<host>-<commit>[-N]:
# never results/runs, never results/latest.
create_ab_dir() {
  local base id n=1
  base=$RESULTS_DIR/ab/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname)-${AB_COMMIT:0:12}
  mkdir -p "$RESULTS_DIR/ab" 2>/dev/null || die "cannot write results under $RESULTS_DIR: check its permissions and free space"
  id=$base
  until mkdir "$id" 2>/dev/null; do
    [[ -d $RESULTS_DIR/ab ]] || die "cannot write results under $RESULTS_DIR/ab"
    n=$((n + 1))
    id=$base-$n
  done
  RUN_DIR=$id
}

# Prints the arguments of variant $2 in --list of program $1, or fails.
list_args() {
  local variant args
  while IFS=$'\t' read -r variant args; do
    if [[ $variant == "$2" ]]; then
      printf '%s\n' "$args"
      return 0
    fi
  done < <("$1" --list)
  return 1
}

# Times variant $2 of experiment $1 in both builds, interleaved: a warm-up
# of each, then RUNS rounds, A before B in odd rounds and B before A in even
# ones, so that neither always runs second.  Each round is one hyperfine
# call timing each build once; prints one JSON line per time.
time_ab_variant() {
  local name=$1 variant=$2 a_args b_args a b round order tmp
  a_args=$(list_args "$AB_BIN_DIR/$name" "$variant")
  b_args=$(list_args "$BIN_DIR/$name" "$variant")
  a="$(pin_prefix)$(printf '%q' "$AB_BIN_DIR/$name") $a_args --size=$SIZE"
  b="$(pin_prefix)$(printf '%q' "$BIN_DIR/$name") $b_args --size=$SIZE"
  tmp=$RUN_DIR/$name/round.json
  for ((round = 0; round <= RUNS; round++)); do
    order=(--command-name a "$a" --command-name b "$b")
    ((round % 2 == 1)) || order=(--command-name b "$b" --command-name a "$a")
    run_stoppable hyperfine -N --runs 1 --style none --export-json "$tmp" "${order[@]}" >/dev/null ||
      return 1
    # Round 0 is the warm-up: caches, the page cache, the CPU's clock.
    ((round > 0)) || continue
    jq -c --arg e "$name" --arg v "$variant" \
      '.results[] | {experiment: $e, variant: $v, side: .command, time: .times[0]}' "$tmp"
  done
  rm -f "$tmp"
}

# Times every C variant that both builds of experiment $1 list; a variant in
# one only is named and left out.  Appends the times to times.jsonl.
time_ab_experiment() {
  local name=$1 variant a_list b_list
  mkdir -p "$RUN_DIR/$name"
  if [[ ! -x $AB_BIN_DIR/$name ]]; then
    echo "  not in A ($AB_REV): not timed"
    return 0
  fi
  a_list=$("$AB_BIN_DIR/$name" --list | cut -f1) || return 1
  b_list=$("$BIN_DIR/$name" --list | cut -f1) || return 1
  while IFS= read -r variant; do
    if ! grep -Fxq -- "$variant" <<<"$a_list"; then
      echo "  $variant: only in B (this tree): not timed"
      continue
    fi
    echo "  $variant"
    time_ab_variant "$name" "$variant" >>"$RUN_DIR/times.jsonl" || return 1
  done <<<"$b_list"
  while IFS= read -r variant; do
    grep -Fxq -- "$variant" <<<"$b_list" || echo "  $variant: only in A ($AB_REV): not timed"
  done <<<"$a_list"
}

# ab.json from times.jsonl: {"experiments": {E: {V: {"a": [...], "b": [...]}}}}.
write_ab_json() {
  touch "$RUN_DIR/times.jsonl"
  jq -s 'reduce .[] as $t ({experiments: {}};
      .experiments[$t.experiment][$t.variant][$t.side] += [$t.time])' "$RUN_DIR/times.jsonl" >"$RUN_DIR/ab.json"
  rm -f "$RUN_DIR/times.jsonl"
}

# meta.json of a comparison: the machine as for a run, and which builds.
write_ab_meta() {
  local dirty=false
  write_meta
  [[ -z $(git -C "$ROOT" status --porcelain --untracked-files=no) ]] || dirty=true
  jq --arg rev "$AB_REV" --arg a "$AB_COMMIT" --arg b "$(git -C "$ROOT" rev-parse HEAD)" --argjson dirty "$dirty" \
    '. + {ab: {a: {revision: $rev, commit: $a}, b: {commit: $b, uncommitted_changes: $dirty},
               order: "a warm-up round, then per round A,B (odd) or B,A (even), one run each"}}' \
    "$RUN_DIR/meta.json" >"$RUN_DIR/meta.json.new"
  mv "$RUN_DIR/meta.json.new" "$RUN_DIR/meta.json"
}

# --ab: A is AB_REV built apart, B this tree; each experiment's C variants
# timed interleaved, then judged (conclab-results ab).  The Python originals
# are not timed: they run the same interpreter in both builds.
run_ab() {
  local name index=0 status=0
  find_experiments # an unknown name is a usage error before the build
  build_ab_revision
  start_watchdog
  create_ab_dir
  trap_signals
  write_ab_meta
  record_preflight
  echo "B: this tree ($(git -C "$ROOT" rev-parse --short=12 HEAD)$(jq -r 'if .ab.b.uncommitted_changes then " with uncommitted changes" else "" end' "$RUN_DIR/meta.json")); $RUNS rounds, $SIZE size"
  for name in "${EXPERIMENTS[@]}"; do
    index=$((index + 1))
    echo "[$index/${#EXPERIMENTS[@]}] $name"
    mark_load
    time_ab_experiment "$name" || FAILED+=("$name")
    record_load "$name"
  done
  write_ab_json
  echo
  "$TOOLS_DIR/conclab-results" ab "$RUN_DIR" --threshold="$THRESHOLD" >"$RUN_DIR/compare.txt" || status=$?
  cat "$RUN_DIR/compare.txt"
  echo "results: $RUN_DIR"
  trap - INT TERM HUP
  ((status != 2)) || die "conclab-results could not judge $RUN_DIR/ab.json"
  ((${#FAILED[@]} == 0)) || die "failed: ${FAILED[*]}"
  ((status == 0)) || die "a variant of this tree is slower than $AB_REV (see above)"
}

main() {
  parse_args "$@"
  protect_stdout
  if [[ -n $BIN_DIR ]]; then
    # Prebuilt binaries (the driver's own test): nothing to install or build.
    [[ -d $BIN_DIR ]] || die "CONCLAB_BIN_DIR=$BIN_DIR is not a directory"
  else
    install_missing
  fi
  check_compare_file
  resolve_ab_revision
  [[ $TEST == true || $HISTORY == true ]] || claim_results_folder
  if [[ -z $BIN_DIR ]]; then build; fi
  TOOLS_DIR=${CONCLAB_TOOLS_DIR:-$(dirname "$BIN_DIR")/tools}
  if [[ $HISTORY == true ]]; then
    print_history_steps
    return 0
  fi
  if [[ $TEST == true ]]; then
    run_tests
  elif [[ -n $AB_REV ]]; then
    run_ab
  else
    run_benchmarks
  fi
}

main "$@"
