#!/usr/bin/env bash
# The HTML report in a real browser: a tiny real run (`run_all.sh --quick
# --no-python --runs 2 factorize` into a scratch folder) writes
# results/latest/index.html; headless Chromium loads it with no console
# message and no request outside the file, its rendered DOM holds the lesson
# verdicts and every chart of the run, and a screenshot is kept in
# ARTIFACT_DIR (report-browser.png).  Skips (77) without Chromium.
#   check_report_browser.sh RUN_ALL BIN_DIR ARTIFACT_DIR
set -euo pipefail

RUN_ALL=$1
BIN_DIR=$2
ARTIFACT_DIR=$3
BROWSER=

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

find_browser() {
  local name
  for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null; then
      BROWSER=$name
      return 0
    fi
  done
  echo "SKIP: no chromium here (apt-get install chromium; ./run_all.sh --test installs it)"
  exit 77
}

# Runs headless Chromium on page $1 with a fresh profile, the remaining
# arguments added; what it logs (console messages among them) goes to
# $SCRATCH/browser.log.
browse() {
  local page=$1 profile
  shift
  profile=$(mktemp -d "$SCRATCH/profile.XXXX")
  timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" "file://$page" \
    2>"$SCRATCH/browser.log" || fail "chromium failed on $page (exit $?): $(tail -n 3 "$SCRATCH/browser.log")"
}

# Prints the console messages the page logged while it loaded.
console_messages() {
  browse "$1" --dump-dom >/dev/null
  grep -F ':CONSOLE' "$SCRATCH/browser.log" || true
}

# The console check itself must be able to fail: a page that logs an error
# and throws has both seen.
check_console_check() {
  local bad=$SCRATCH/bad.html messages
  printf '<!DOCTYPE html><title>bad</title><script>console.error("on purpose"); nosuch();</script>\n' >"$bad"
  messages=$(console_messages "$bad")
  if ! grep -q 'on purpose' <<<"$messages" || ! grep -q 'nosuch' <<<"$messages"; then
    fail "the console check does not see a page's errors; the browser logged: $(cat "$SCRATCH/browser.log")"
  fi
}

# The page as a file: nothing it would fetch (no script, no stylesheet, no
# image or font from elsewhere); the SVG namespaces are names, not requests.
check_self_contained() {
  local page=$1
  ! grep -Eqi '<script|<link|<img|<iframe|@import|src=|url\((https?:)?//' "$page" ||
    fail "the page refers to something outside itself: $(grep -Eoi '<script|<link|<img|<iframe|@import|src=[^ >]*|url\([^)]*\)' "$page" | head -n 3)"
}

# The rendered DOM: the lesson verdicts (one row each, when summary.json has
# any; factorize declares lessons, so it must), and a figure with an inline
# <svg> for every chart in the run folder.
check_dom() {
  local dom=$1 run=$2 lessons rows chart charts=0
  grep -q '<h1>conclab run ' "$dom" || fail "the browser did not render the page: $(head -c 300 "$dom")"
  grep -q 'id="lessons"' "$dom" || fail "no lessons section"
  lessons=$(jq '[.lessons // {} | .[] | .[]] | length' "$run/summary.json")
  [[ ! -f $(dirname "$RUN_ALL")/benchmarks/factorize/lessons.json ]] || ((lessons > 0)) ||
    fail "factorize declares lessons, but summary.json holds no verdict"
  rows=$(grep -o '<tr class="lesson">' "$dom" | wc -l)
  ((rows == lessons)) || fail "$rows lesson rows in the page, $lessons verdicts in summary.json"
  for chart in "$run"/factorize/*.svg; do
    charts=$((charts + 1))
    grep -qF "data-chart=\"$(basename "$chart")\"><svg" <(tr -d '\n' <"$dom") ||
      fail "chart $(basename "$chart") is not inlined in the page"
  done
  ((charts >= 3)) || fail "only $charts charts in the run (time, speedup, sweep expected)"
  [[ -f $run/factorize/factorize-speedup.svg ]] || fail "no speedup chart"
  echo "ok   the page in chromium: $rows lesson verdicts, $charts charts inlined"
}

main() {
  local run page messages
  find_browser
  command -v jq >/dev/null || {
    echo "SKIP: jq is missing"
    exit 77
  }
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT
  mkdir -p "$ARTIFACT_DIR"
  check_console_check

  CONCLAB_BIN_DIR=$BIN_DIR CONCLAB_RESULTS_DIR=$SCRATCH/results CONCLAB_PLOTS_DIR=$SCRATCH/plots \
    "$RUN_ALL" --quick --no-python --runs 2 factorize >"$SCRATCH/run_all.log" 2>&1 ||
    fail "run_all.sh exited with $?: $(tail -n 5 "$SCRATCH/run_all.log")"
  run=$(readlink -f "$SCRATCH/results/latest")
  page=$run/index.html
  [[ -s $page ]] || fail "run_all.sh wrote no index.html"
  check_self_contained "$page"

  messages=$(console_messages "$page")
  [[ -z $messages ]] || fail "console messages while loading the page: $messages"
  browse "$page" --dump-dom >"$SCRATCH/dom.html"
  check_dom "$SCRATCH/dom.html" "$run"

  rm -f "$ARTIFACT_DIR/report-browser.png"
  browse "$page" --hide-scrollbars --window-size=1200,3000 --screenshot="$ARTIFACT_DIR/report-browser.png"
  [[ $(head -c 8 "$ARTIFACT_DIR/report-browser.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
    fail "no PNG screenshot"
  cp "$page" "$ARTIFACT_DIR/report-browser.html"
  echo "ok   screenshot: $ARTIFACT_DIR/report-browser.png (the page: report-browser.html)"
}

main "$@"
