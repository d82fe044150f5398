#!/usr/bin/env bash
# The Python originals under several interpreters, one CASE per call:
#   syntax_3_6      no original uses syntax newer than Python 3.6 (python3's
#                   ast with feature_version=(3, 6); needs python3 >= 3.8)
#   every_version   every variant of every original at quick size, under each
#                   interpreter found (see below) other than python3's version
#   second_path     run_all.sh --python with python3 and a second path to the
#                   same interpreter (a link in a scratch folder) and one that
#                   is missing: two groups, one warning line, book.md's columns,
#                   meta.json's versions, a baseline per group
#   versions        run_all.sh --python with two interpreters of two versions:
#                   each a group named by its version
#
#   check_python_list.sh CASE RUN_ALL BIN_DIR
# Interpreters are those of CONCLAB_PYTHONS (comma-separated names or paths)
# or else python3.6 ... python3.13 on PATH, those that run; every_version and
# versions are skipped (77) when fewer than two versions are found.
set -euo pipefail

readonly SKIPPED=77

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

ok() {
  echo "ok   $*"
}

# "VERSION<TAB>EXECUTABLE" of interpreter $1, or nothing when it does not run.
probe() {
  timeout 20 "$1" -c 'import platform, sys
sys.stdout.write(platform.python_version() + "\t" + sys.executable)' 2>/dev/null || true
}

# Prints "VERSION<TAB>EXECUTABLE" once per version among the interpreters to try.
interpreters() {
  local candidates=() name found
  if [[ -n ${CONCLAB_PYTHONS:-} ]]; then
    IFS=, read -r -a candidates <<<"$CONCLAB_PYTHONS"
  else
    candidates=(python3 python3.{6..13})
  fi
  for name in "${candidates[@]}"; do
    command -v -- "$name" >/dev/null 2>&1 || continue
    found=$(probe "$name")
    [[ -z $found ]] || echo "$found"
  done | sort -t $'\t' -k1,1 -u
}

# Two interpreters of different versions, or exit 77.
need_two_versions() {
  mapfile -t FOUND < <(interpreters)
  if ((${#FOUND[@]} < 2)); then
    echo "skipped: fewer than two Python versions found (set CONCLAB_PYTHONS or put python3.X on PATH)"
    exit "$SKIPPED"
  fi
}

originals() {
  find "$ROOT/benchmarks" -name '*.py' ! -name '*_test.py' | sort
}

case_syntax_3_6() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null || {
    echo "skipped: python3 >= 3.8 needed for ast.parse(feature_version=...)"
    exit "$SKIPPED"
  }
  local file count=0
  while IFS= read -r file; do
    python3 -c 'import ast, sys
ast.parse(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1], feature_version=(3, 6))' "$file" ||
      fail "$file: syntax newer than Python 3.6"
    count=$((count + 1))
  done < <(originals)
  ((count > 0)) || fail "no Python original found"
  ok "$count Python files parse as Python 3.6"
}

# Every variant of every original at quick size under EXECUTABLE.
run_all_variants() {
  local python=$1 version=$2 file variant args runs=0
  while IFS= read -r file; do
    [[ $(basename "$(dirname "$file")") == "$(basename "$file" .py)" ]] || continue # the shared CLI
    while IFS=$'\t' read -r variant args; do
      # shellcheck disable=SC2086 # ARGS is the --list line, words as the driver splits them
      timeout 120 "$python" "$file" $args --size=quick >/dev/null 2>"$SCRATCH/err" ||
        fail "Python $version: $(basename "$file") $variant: $(tail -n 2 "$SCRATCH/err")"
      runs=$((runs + 1))
    done < <("$python" "$file" --list) || fail "Python $version: $(basename "$file") --list failed"
  done < <(originals)
  ((runs > 0)) || fail "no variant found"
  ok "Python $version: $runs variants of the originals at quick size, every answer right"
}

case_every_version() {
  need_two_versions
  local line
  for line in "${FOUND[@]}"; do run_all_variants "${line#*$'\t'}" "${line%%$'\t'*}"; done
}

# run_all.sh --quick --runs 2 ARG... factorize into the scratch folder; its
# stderr in $SCRATCH/stderr.
run_driver() {
  CONCLAB_BIN_DIR=$BIN_DIR CONCLAB_RESULTS_DIR=$SCRATCH/results CONCLAB_PLOTS_DIR=$SCRATCH/plots \
    "$RUN_ALL" --quick --runs 2 "$@" factorize >"$SCRATCH/stdout" 2>"$SCRATCH/stderr" ||
    fail "run_all.sh $*: exit $?: $(tail -n 5 "$SCRATCH/stderr")"
  LATEST=$SCRATCH/results/latest
}

# Each prefix of $@ is a group of its own: every variant of factorize.py
# verified and timed, and over its own first variant.
check_groups() {
  local prefix variant first
  first=$(python3 "$ROOT/benchmarks/factorize/factorize.py" --list | awk -F'\t' 'NR == 1 { print $1 }')
  for prefix; do
    while IFS=$'\t' read -r variant _; do
      [[ -s $LATEST/factorize/verify-$prefix$variant.txt ]] || fail "$prefix$variant not verified"
      jq -e --arg v "$prefix$variant" --arg b "$prefix$first" \
        '.experiments.factorize[$v].baseline == $b' "$LATEST/summary.json" >/dev/null ||
        fail "$prefix$variant not timed over $prefix$first"
    done < <(python3 "$ROOT/benchmarks/factorize/factorize.py" --list)
  done
  [[ $1 == py- ]] || ! jq -e '.experiments.factorize | has("py-seq")' "$LATEST/summary.json" >/dev/null ||
    fail "py-* variants beside the named groups"
}

# book.md: a CPython column per interpreter, every row as wide as its header.
check_book_columns() {
  local columns=$1 rows
  rows=$(grep '^| ' "$LATEST/book.md")
  [[ $(head -n 1 <<<"$rows" | grep -o 'CPython [0-9.]* here' | wc -l) -eq $columns ]] ||
    fail "book.md: not $columns CPython columns: $(head -n 1 <<<"$rows")"
  awk -F'|' -v n=$((columns + 6)) 'NF != n { exit 1 }' <<<"$rows" || fail "book.md: a row of another width"
}

case_second_path() {
  local version executable alias=$SCRATCH/alias/python-again
  IFS=$'\t' read -r version executable < <(probe python3) || true # no newline at the end
  [[ -n $executable ]] || fail "python3 does not run"
  mkdir -p "$(dirname "$alias")"
  ln -s "$executable" "$alias"
  run_driver --python "python3,$alias,conclab-no-such-python"
  local minor=${version%.*}
  check_groups "py$minor-" "py${minor}_2-"
  jq -e --arg v "$version" --arg alias "$alias" '.pythons | length == 2 and all(.[]; .version == $v)
      and .[0].command == "python3" and .[1].command == $alias and .[1].prefix == "py\($v | split(".")[0:2] | join("."))_2-"' \
    "$LATEST/meta.json" >/dev/null || fail "meta.json's pythons: $(jq -c .pythons "$LATEST/meta.json")"
  [[ $(grep -c 'conclab-no-such-python' "$SCRATCH/stderr") -eq 1 ]] ||
    fail "not one warning line for the missing interpreter: $(cat "$SCRATCH/stderr")"
  check_book_columns 2
  ok "--python python3,<a second path>,<missing>: two groups py$minor-* and py${minor}_2-*, one warning, two columns"

  run_driver
  check_groups py-
  jq -e --arg v "$version" '.pythons == [.pythons[0]] and .pythons[0].version == $v and .pythons[0].prefix == "py-"' \
    "$LATEST/meta.json" >/dev/null || fail "the default: meta.json's pythons: $(jq -c .pythons "$LATEST/meta.json")"
  grep -q '| CPython here |' "$LATEST/book.md" || fail "the default: book.md's column is not 'CPython here'"
  ok "without --python: py-* as before, python3's version $version in meta.json"

  local bad status
  # Refused while the command line is read, before anything is installed or run.
  for bad in "--python= factorize" "--python=python3,,python3 factorize" "--python python3, factorize" \
    "factorize --python" "--no-python --python python3 factorize"; do
    status=0
    # shellcheck disable=SC2086 # one command line per word list
    "$RUN_ALL" --quick $bad >/dev/null 2>&1 || status=$?
    [[ $status -eq 2 ]] || fail "'$bad': exit $status, expected 2"
  done
  ok "empty lists, a missing list, --no-python with --python: exit 2"
}

case_versions() {
  need_two_versions
  local first=${FOUND[0]} second=${FOUND[1]}
  run_driver --python "${first#*$'\t'},${second#*$'\t'}"
  local v1=${first%%$'\t'*} v2=${second%%$'\t'*}
  check_groups "py${v1%.*}-" "py${v2%.*}-"
  jq -e --arg a "$v1" --arg b "$v2" '[.pythons[].version] == [$a, $b]' "$LATEST/meta.json" >/dev/null ||
    fail "meta.json's versions: $(jq -c .pythons "$LATEST/meta.json")"
  check_book_columns 2
  grep -q "CPython $v1 here | CPython $v2 here" "$LATEST/book.md" || fail "book.md's columns are not named by version"
  ok "--python with $v1 and $v2: groups py${v1%.*}-* and py${v2%.*}-*, versions in meta.json and book.md"
}

main() {
  (($# == 3)) || fail "usage: $0 CASE RUN_ALL BIN_DIR"
  local case=$1
  RUN_ALL=$2 BIN_DIR=$3
  ROOT=$(cd "$(dirname "$RUN_ALL")" && pwd)
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT
  case $case in
    syntax_3_6 | every_version | second_path | versions) "case_$case" ;;
    *) fail "unknown case '$case'" ;;
  esac
}

main "$@"
