#!/usr/bin/env bash
# The lab sheets' commands cannot rot: every ```sh block of a page under
# docs/labs is run as it is written, and the sheets keep their shape.
#
#   check_docs.sh blocks ROOT BIN_DIR PAGE   run every ```sh block of PAGE
#   check_docs.sh ko ROOT                    ko/NAME.md has NAME.md's ```sh blocks
#   check_docs.sh shape ROOT                 each experiment's sheets have the lab shape
#                                            (an experiment: a docs/labs/NAME-notes.md; every
#                                            conclab_experiment(NAME) must have one)
#   check_docs.sh links ROOT                 every link to a page or image under docs/labs
#                                            that is not generated later resolves
#   check_docs.sh packages ROOT              the labs' READMEs name, in their apt-get
#                                            line, every package run_all.sh installs
#
# ROOT is the repository (a fixture's, in the checker's own test); pages are
# ROOT/docs/labs/**/*.md.  Blocks:
#   - each ```sh block runs as its own `bash -eo pipefail` script, from ROOT,
#     with BIN_DIR first on PATH, results and plots in a scratch folder,
#     CONCLAB_BIN_DIR=BIN_DIR, no $USER (CI has none), stdin from /dev/null,
#     at most CONCLAB_DOCS_BLOCK_TIMEOUT seconds (default 120);
#   - a `./run_all.sh` command gets `--quick --runs 2` appended to its arguments;
#   - it must exit 0, leave no process behind (2 s after), and every `<!-- expect: ERE -->`
#     line between the block and the next fence must match a line of its
#     stdout+stderr (grep -E);
#   - ```bash, ```shell and ```console fences are refused: a command is either
#     run (```sh) or shown for another machine (```text).
set -euo pipefail

readonly EXPERIMENT_HEADINGS=("## Predict" "## Run" "## Observe" "## Explain" "## Extend")
readonly KO_HEADINGS=("## 예측" "## 실행" "## 관찰" "## 설명" "## 더 해 보기")
readonly MAX_WORDS=650
readonly MAX_RUN_BLOCKS=3
readonly QUICK_ARGS="--quick --runs 2"

usage() {
  echo "usage: check_docs.sh blocks ROOT BIN_DIR PAGE | ko ROOT | shape ROOT | links ROOT | packages ROOT" >&2
  exit 2
}

# ---- reading pages ------------------------------------------------------------

# Splits page $1 into DIR ($2): N.sh (block N's text, its fence's indentation
# removed), N.line (the line of its opening fence), N.expect (its EREs, one a
# line).  Prints the number of ```sh blocks; fails, naming the line, on a
# refused fence, an unclosed one, or an expectation that follows no ```sh block.
split_blocks() {
  local page=$1 dir=$2
  awk -v dir="$dir" -v page="$page" '
    function fail(message) { printf "%s:%d: %s\n", page, NR, message > "/dev/stderr"; bad = 1; exit 1 }
    /^[ \t]*```/ {
      if (!inside) {
        lang = $0; sub(/^[ \t]*```[ \t]*/, "", lang); sub(/[ \t].*$/, "", lang)
        if (lang ~ /^(bash|shell|console|zsh|shell-session|sh-session)$/)
          fail("```" lang " block: use ```sh (the docs test runs it) or ```text (shown, not run)")
        inside = 1; owner = 0
        if (lang == "sh") {
          n++; sh = 1; indent = $0; sub(/```.*$/, "", indent)
          print NR > (dir "/" n ".line"); printf "" > (dir "/" n ".sh"); printf "" > (dir "/" n ".expect")
        } else sh = 0
        next
      }
      if ($0 ~ /^[ \t]*```[ \t]*$/) { inside = 0; owner = sh ? n : 0; next }
    }
    inside && sh {
      line = $0
      if (indent != "" && index(line, indent) == 1) line = substr(line, length(indent) + 1)
      print line >> (dir "/" n ".sh"); next
    }
    !inside && /^[ \t]*<!-- expect: .* -->[ \t]*$/ {
      if (!owner) fail("an expect line that follows no ```sh block")
      re = $0; sub(/^[ \t]*<!-- expect: /, "", re); sub(/ -->[ \t]*$/, "", re)
      print re >> (dir "/" owner ".expect")
    }
    END {
      if (bad) exit 1
      if (inside) { printf "%s: a ``` block is never closed\n", page > "/dev/stderr"; exit 1 }
      print n + 0
    }' "$page"
}

# Prints the ```sh blocks of page $1 with their fences, in order.
sh_blocks() {
  awk '/^[ \t]*```/ {
         if (!inside) { inside = 1; lang = $0; sub(/^[ \t]*```[ \t]*/, "", lang); sh = (lang ~ /^sh[ \t]*$/) }
         else if ($0 ~ /^[ \t]*```[ \t]*$/) { if (sh) print; inside = 0; sh = 0; next }
       }
       inside && sh' "$1"
}

# The pages under docs/labs, relative to it, one a line.
lab_pages() {
  (cd "$1/docs/labs" && find . -name '*.md' -type f | sed 's|^\./||' | LC_ALL=C sort)
}

# ---- blocks -------------------------------------------------------------------

# Block $1 as it is run: `./run_all.sh ARGS` becomes `./run_all.sh ARGS --quick
# --runs 2`, before any comment, pipe, redirection or list operator.
rewrite_run_all() {
  local line head args rest
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^(.*\./run_all\.sh)([^#|\;\&\<\>]*)(.*)$ ]]; then
      head=${BASH_REMATCH[1]} args=${BASH_REMATCH[2]} rest=${BASH_REMATCH[3]}
      args=${args%"${args##*[![:space:]]}"}
      line="$head$args $QUICK_ARGS${rest:+ $rest}"
    fi
    printf '%s\n' "$line"
  done <"$1"
}

# Pids of the processes whose environment holds marker $1 (other users'
# environments are not readable, and need not be).
marked_processes() {
  grep -lzxF "CONCLAB_DOCS_BLOCK=$1" /proc/[0-9]*/environ 2>/dev/null |
    sed -E 's|^/proc/([0-9]+)/environ$|\1|' | grep -vx -e "$$" -e "$BASHPID" || true
}

# Sets LEFTOVERS to the command lines ("PID ARGS; ...") of the processes
# marked $1 that are still there after a grace of 2 s (one that was ending
# when the block returned is not a leftover), and kills them.
find_leftovers() {
  local pids tries
  LEFTOVERS=
  for ((tries = 0; tries < 20; tries++)); do
    pids=$(marked_processes "$1" | paste -sd, -)
    [[ -n $pids ]] || return 0
    sleep 0.1
  done
  LEFTOVERS=$(ps -o pid=,args= -p "$pids" 2>/dev/null | sed 's/^ *//' | paste -sd';' -)
  LEFTOVERS=${LEFTOVERS:-pids $pids}
  # shellcheck disable=SC2046 # a list of pids
  kill -KILL $(tr , ' ' <<<"$pids") 2>/dev/null || true
}

# Prints the block, what it printed and the reason, and marks the page failed.
report_failure() {
  local page=$1 line=$2 script=$3 output=$4 reason=$5
  echo "FAIL $page:$line: $reason"
  echo "---- the block, as run:"
  sed 's/^/    /' "$script"
  echo "---- its output (stdout and stderr):"
  sed 's/^/    /' "$output"
  echo "----"
  PAGE_FAILED=true
}

# Runs block N of the page (split into $SPLIT) and checks it.
run_block() {
  local root=$1 bin_dir=$2 page=$3 n=$4 line status=0 started elapsed marker re missing=()
  line=$(cat "$SPLIT/$n.line")
  rewrite_run_all "$SPLIT/$n.sh" >"$SPLIT/$n.run"
  if grep -Eq '(^|[^[:alnum:]_])run_all\.sh[^#]*--test' "$SPLIT/$n.run"; then
    report_failure "$page" "$line" "$SPLIT/$n.run" /dev/null \
      "run_all.sh --test would run the test suite inside itself: show it in a \`\`\`text block"
    return 0
  fi
  marker=$$-$n-$RANDOM
  mkdir -p "$SCRATCH/block-$n"
  started=$EPOCHREALTIME
  (cd "$root" && env -u USER CONCLAB_DOCS_BLOCK="$marker" PATH="$bin_dir:$PATH" \
    CONCLAB_BIN_DIR="$bin_dir" CONCLAB_RESULTS_DIR="$SCRATCH/block-$n/results" \
    CONCLAB_PLOTS_DIR="$SCRATCH/block-$n/plots" TMPDIR="$SCRATCH/block-$n" \
    timeout -k 5 "${CONCLAB_DOCS_BLOCK_TIMEOUT:-120}" bash -eo pipefail "$SPLIT/$n.run") \
    </dev/null >"$SPLIT/$n.out" 2>&1 || status=$?
  elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  find_leftovers "$marker"
  if [[ -n $LEFTOVERS ]]; then
    report_failure "$page" "$line" "$SPLIT/$n.run" "$SPLIT/$n.out" \
      "left processes behind ($LEFTOVERS): end and wait for them inside the block"
    return 0
  fi
  if ((status == 124 || status == 137)); then
    report_failure "$page" "$line" "$SPLIT/$n.run" "$SPLIT/$n.out" \
      "timed out after ${CONCLAB_DOCS_BLOCK_TIMEOUT:-120} s"
    return 0
  fi
  if ((status != 0)); then
    report_failure "$page" "$line" "$SPLIT/$n.run" "$SPLIT/$n.out" "exit status $status"
    return 0
  fi
  while IFS= read -r re; do
    [[ -n $re ]] || continue
    if ! grep -Eq -- "$re" "$SPLIT/$n.out"; then missing+=("$re"); fi
  done <"$SPLIT/$n.expect"
  if ((${#missing[@]} > 0)); then
    report_failure "$page" "$line" "$SPLIT/$n.run" "$SPLIT/$n.out" \
      "$(printf 'expectation not met: <!-- expect: %s -->\n' "${missing[@]}")"
    return 0
  fi
  printf 'ok   %s:%s (%s s, %d expectations)\n' "$page" "$line" "$elapsed" "$(grep -c . "$SPLIT/$n.expect" || true)"
}

check_blocks() {
  local root=$1 bin_dir=$2 page=$3 count n
  [[ -d $bin_dir ]] || { echo "FAIL: no bin folder $bin_dir" && return 1; }
  bin_dir=$(cd "$bin_dir" && pwd)
  [[ $page == /* ]] || page=$root/$page
  [[ -f $page ]] || { echo "FAIL: no page $page (configure again)" && return 1; }
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT
  SPLIT=$SCRATCH/split
  mkdir -p "$SPLIT"
  count=$(split_blocks "$page" "$SPLIT") || { echo "FAIL: cannot read the blocks of $page" && return 1; }
  if ((count == 0)); then
    echo "ok   $page has no \`\`\`sh block (nothing to run)"
    return 0
  fi
  PAGE_FAILED=false
  for ((n = 1; n <= count; n++)); do
    run_block "$root" "$bin_dir" "${page#"$root"/}" "$n"
  done
  [[ $PAGE_FAILED == false ]] || return 1
  echo "ok   all $count blocks of ${page#"$root"/}"
}

# ---- Korean sheets --------------------------------------------------------------

check_ko() {
  local labs=$1/docs/labs page failed=false compared=0
  [[ -d $labs/ko ]] || { echo "ok   no Korean pages yet" && return 0; }
  while IFS= read -r page; do
    [[ $page == ko/* ]] || continue
    if [[ ! -f $labs/${page#ko/} ]]; then
      echo "FAIL docs/labs/$page: no English page docs/labs/${page#ko/}"
      failed=true
      continue
    fi
    if ! diff -u --label "docs/labs/${page#ko/} (sh blocks)" --label "docs/labs/$page (sh blocks)" \
      <(sh_blocks "$labs/${page#ko/}") <(sh_blocks "$labs/$page"); then
      echo "FAIL docs/labs/$page: its \`\`\`sh blocks differ from docs/labs/${page#ko/}'s (above)"
      failed=true
      continue
    fi
    compared=$((compared + 1))
  done < <(lab_pages "$1")
  [[ $failed == false ]] || return 1
  echo "ok   $compared Korean pages carry their English page's sh blocks, byte for byte, in order"
}

# ---- the sheet's shape ------------------------------------------------------------

# Checks sheet $1 (relative to docs/labs): its level-2 headings are exactly
# $3..., in order; its Run section ($4) holds 1..3 ```sh blocks; at most
# MAX_WORDS words; it links each of the pages in $2 (space-separated,
# relative to the sheet), which exist.
check_sheet() {
  local labs=$1 sheet=$2 links=$3 run_heading=$4 headings problems=() problem words runs target
  shift 4
  if [[ ! -f $labs/$sheet ]]; then
    echo "FAIL docs/labs/$sheet: missing"
    return 1
  fi
  headings=$(grep -E '^## ' "$labs/$sheet" | sed 's/[[:space:]]*$//' || true)
  [[ $headings == "$(printf '%s\n' "$@")" ]] ||
    problems+=("its ## headings are [${headings//$'\n'/, }], expected [$(printf '%s, ' "$@" | sed 's/, $//')]")
  runs=$(awk -v run="$run_heading" '/^## / { sub(/[ \t]+$/, ""); in_run = ($0 == run) }
                                   in_run && /^[ \t]*```sh[ \t]*$/ { n++ } END { print n + 0 }' "$labs/$sheet")
  ((runs >= 1 && runs <= MAX_RUN_BLOCKS)) || problems+=("$runs \`\`\`sh blocks under '$run_heading' (1 to $MAX_RUN_BLOCKS)")
  words=$(wc -w <"$labs/$sheet")
  ((words <= MAX_WORDS)) || problems+=("$words words (at most $MAX_WORDS)")
  for target in $links; do
    grep -Fq "]($target)" "$labs/$sheet" || problems+=("no link to $target")
    [[ -f $(dirname "$labs/$sheet")/$target ]] || problems+=("links $target, which does not exist")
  done
  if ((${#problems[@]} > 0)); then
    for problem in "${problems[@]}"; do echo "FAIL docs/labs/$sheet: $problem"; done
    return 1
  fi
  echo "ok   docs/labs/$sheet: ${words} words, $runs commands"
}

# The experiments benchmarks/CMakeLists.txt builds (conclab_experiment(NAME),
# or conclab_experiment(NAME ARG...)).
experiments() {
  sed -nE 's/^[[:space:]]*conclab_experiment\(([[:alnum:]_]+)[)[:space:]].*/\1/p' "$1/benchmarks/CMakeLists.txt" 2>/dev/null || true
}

check_shape() {
  local labs=$1/docs/labs notes name failed=false count=0
  for name in $(experiments "$1"); do
    [[ -f $labs/$name-notes.md ]] || { echo "FAIL docs/labs/$name-notes.md: missing (experiment $name has no notes page)" && failed=true; }
  done
  while IFS= read -r notes; do
    [[ $notes == *-notes.md && $notes != */* ]] || continue
    name=${notes%-notes.md}
    count=$((count + 1))
    check_sheet "$labs" "$name.md" "$name-notes.md answers/$name.md ko/$name.md" \
      "${EXPERIMENT_HEADINGS[1]}" "${EXPERIMENT_HEADINGS[@]}" || failed=true
    check_sheet "$labs" "ko/$name.md" "../$name-notes.md ../answers/$name.md ../$name.md" \
      "${KO_HEADINGS[1]}" "${KO_HEADINGS[@]}" || failed=true
  done < <(lab_pages "$1")
  [[ $failed == false ]] || return 1
  echo "ok   $count experiments' sheets, English and Korean, have the lab's shape"
}

# ---- links ------------------------------------------------------------------------

# Every relative link of a page under docs/labs to a .md page or to a file
# outside img/ (the charts are generated later) must resolve.
check_links() {
  local root=$1 labs=$1/docs/labs page target path failed=false count=0
  while IFS= read -r page; do
    while IFS= read -r target; do
      target=${target%%#*}
      [[ -n $target && $target != *://* && $target != mailto:* ]] || continue
      [[ $target == img/* || $target == ../img/* ]] && continue
      path=$(dirname "$labs/$page")/$target
      count=$((count + 1))
      [[ -e $path ]] || { echo "FAIL docs/labs/$page: links $target, which does not exist" && failed=true; }
    done < <(grep -oE '\]\([^) ]+\)' "$labs/$page" | sed -E 's/^\]\(//; s/\)$//' || true)
  done < <(lab_pages "$root")
  [[ $failed == false ]] || return 1
  echo "ok   $count relative links under docs/labs resolve"
}

# ---- packages ---------------------------------------------------------------------

# The Debian packages run_all.sh's missing_packages installs, one a line:
# its COMMAND:PACKAGE entries and its `echo PACKAGE` lines.
driver_packages() {
  sed -n '/^missing_packages() {/,/^}/p' "$1/run_all.sh" |
    grep -oE '[[:alnum:]+._-]+:[[:alnum:]+._-]+|echo [[:alnum:]+._-]+' | sed -E 's/^.*[: ]//' | LC_ALL=C sort -u
}

# A student who is not root asks for the packages by the READMEs' apt-get
# line: it must name every one that run_all.sh would install.
check_packages() {
  local root=$1 page line package failed=false packages
  packages=$(driver_packages "$root")
  [[ -n $packages ]] || { echo "FAIL run_all.sh: no packages found in missing_packages" && return 1; }
  for page in README.md ko/README.md; do
    line=$(grep -m 1 'apt-get install' "$root/docs/labs/$page" 2>/dev/null || true)
    if [[ -z $line ]]; then
      echo "FAIL docs/labs/$page: no apt-get install line"
      failed=true
      continue
    fi
    for package in $packages; do
      [[ " $line " == *" $package "* ]] || { echo "FAIL docs/labs/$page: its apt-get line lacks $package" && failed=true; }
    done
  done
  [[ $failed == false ]] || return 1
  echo "ok   the labs' READMEs name all $(wc -w <<<"$packages") packages run_all.sh installs"
}

main() {
  (($# >= 2)) || usage
  local action=$1 root
  root=$(cd "$2" && pwd)
  case $action in
    blocks)
      (($# == 4)) || usage
      check_blocks "$root" "$3" "$4"
      ;;
    ko) check_ko "$root" ;;
    shape) check_shape "$root" ;;
    links) check_links "$root" ;;
    packages) check_packages "$root" ;;
    *) usage ;;
  esac
}

main "$@"
