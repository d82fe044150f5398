#!/usr/bin/env bash
# Every experiment declares its lessons: benchmarks/NAME/lessons.json exists
# for each program in BIN_DIR, is well formed (conclab-results lessons
# --check), and names only variants that the program's --list times.
#   check_lessons_declared.sh BENCHMARKS_DIR BIN_DIR CONCLAB_RESULTS
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# check_experiment BIN: its lessons.json against its --list.
check_experiment() {
  local bin=$1 name lessons listed variant
  name=$(basename "$bin")
  lessons=$BENCHMARKS/$name/lessons.json
  [[ -f $lessons ]] || fail "$name declares no lessons: $lessons is missing"
  "$TOOL" lessons --check "$lessons" || fail "$lessons is not well formed (see above)"
  listed=$("$bin" --list | cut -f 1)
  while IFS= read -r variant; do
    grep -qxF -- "$variant" <<<"$listed" ||
      fail "$lessons names variant '$variant', which $name --list does not time"
  done < <(jq -r '.lessons[] | (.speedup // {} | .variant, .over), (.metric // {} | .variant),
                  (.over // {} | .variant) | select(. != null)' "$lessons")
  echo "ok   $name: $(jq '.lessons | length' "$lessons") lesson(s), every variant timed"
}

main() {
  BENCHMARKS=$1
  local bin_dir=$2 bin found=0
  TOOL=$3
  for bin in "$bin_dir"/*; do
    [[ -f $bin && -x $bin ]] || continue
    check_experiment "$bin"
    found=$((found + 1))
  done
  ((found > 0)) || fail "no experiment in $bin_dir"
}

main "$@"
