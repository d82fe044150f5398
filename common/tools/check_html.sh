#!/usr/bin/env bash
# conclab-results html on a run folder built here: every text from a file is
# escaped, gnuplot's SVGs are inlined with ids kept apart, an SVG with a
# script is refused, a failed experiment and missing files still give a page,
# and bad input ends with exit 2 and one line on stderr.
#   check_html.sh CONCLAB_RESULTS
set -euo pipefail

TOOL=$1
EVIL="<script>alert(\"x\")</script> & 'quoted'"
ESCAPED="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# True when file $1 holds every one of the other arguments, as written.
holds_all() {
  local file=$1 text
  shift
  for text; do grep -qF -- "$text" "$file" || return 1; done
}

# A chart as gnuplot writes it: a prolog, shapes defined once with ids, and
# references to them.
write_svg() {
  cat >"$1" <<'EOF'
<?xml version="1.0" encoding="utf-8"  standalone="no"?>
<svg viewBox="0 0 600 400" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<title>Gnuplot</title>
<g id="gnuplot_canvas">
<defs><circle id='gpPt6' r='1'/><clipPath id='gpclip'><rect x='0' y='0' width='1' height='1'/></clipPath></defs>
<use xlink:href='#gpPt6' x='10' y='10'/><g clip-path="url(#gpclip)"><text>id='not an attribute'</text></g>
</g>
</svg>
EOF
}

# A run folder: meta.json with a preflight, summary.json with lessons, the
# source's table, a comparison, charts for demo, nothing for broken.
make_run() {
  local run=$1
  mkdir -p "$run/demo" "$run/broken"
  jq -n --arg evil "$EVIL" '{date: "2024-01-01T00:00:00Z", host: $evil, cores: 2, size: "quick",
      runs: 2, compiler: {id: "GNU", flags: "-O2"},
      preflight: {busy: true, load_average: [8.7, 4, 2], summary: ("load average 8.7 " + $evil),
                  top: [{pid: 1, cpu_percent: 99, command: $evil}]}}' >"$run/meta.json"
  jq -n --arg evil "$EVIL" '{ci_method: "bootstrap",
      experiments: {demo: {seq: {runs: 2, median_s: 0.5, speedup: 1, speedup_low: 0.9,
                                 speedup_high: 1.1, baseline: "seq"},
                           threads: {runs: 2, median_s: 0.0025, speedup: 200, speedup_low: 150,
                                     speedup_high: 250, baseline: "seq"}}},
      lessons: {demo: [
        {name: "threads help", text: "threads 200× over seq", value: 200, min: 1.3, max: null,
         ideal: 2, shown: true, why: "", means: "overlap"},
        {name: $evil, text: "lost 2474650 updates", value: 2474650, min: 1, max: 5, ideal: null,
         shown: false, why: $evil, means: $evil},
        {name: "too few cores", text: "", value: null, min: 2, max: null, ideal: null,
         shown: null, why: "needs 2 cores", means: ""}]}}' >"$run/summary.json"
  printf '*quick size: <not> comparable* (rerun), 2 * 3\n\n### demo\n\nSource: %s.\n\n| variant | source |\n|---|---|\n| seq | 1.718 s |\n| %s | – |\n' \
    "$EVIL" "$EVIL" >"$run/book.md"
  printf 'demo seq 1.00 -> 1.00 %s\n' "$EVIL" >"$run/compare.txt"
  printf 'demo threads (%s, book): step after run r3 (commit c3) to run r4 (commit c4): 1.90 -> 1.20\n' \
    "$EVIL" >"$run/steps.txt"
  write_svg "$run/demo/demo.svg"
  write_svg "$run/demo/demo-speedup.svg"
  { echo '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'; } >"$run/demo/demo-trend.svg"
  echo 0.1234 >"$run/demo/amdahl-fit.txt"
}

check_page() {
  local page=$1
  [[ -s $page ]] || fail "no index.html"
  ! grep -qi '<script' "$page" || fail "a script reached the page"
  [[ $(grep -cF -- "$ESCAPED" "$page") -ge 7 ]] ||
    fail "a text from a file is not escaped (host, preflight, lesson, book, compare, steps)"
  holds_all "$page" "id='chart1-gpPt6'" "href='#chart1-gpPt6'" 'url(#chart1-gpclip)' "id='chart2-gpPt6'" ||
    fail "the charts' ids are not made unique"
  grep -q "<text>id='not an attribute'</text>" "$page" || fail "text inside a chart was changed"
  ! grep -q '<?xml' "$page" || fail "an XML prolog was left inside the page"
  holds_all "$page" 'data-chart="demo-trend.svg"' 'not inlined' ||
    fail "the chart with a script is not reported as refused"
  [[ $(grep -c '<tr class="lesson">' "$page") -eq 3 ]] || fail "not one row per lesson verdict"
  holds_all "$page" 'class="shown">shown<' 'class="not-shown">NOT shown<' 'class="not-judged">not judged<' || fail "the three kinds of verdict are not told apart"
  grep -q 'lost 2474650 updates' "$page" || fail "a count is not printed in full"
  holds_all "$page" '>2.5 ms<' '>200.00×<' '>150.00 – 250.00<' ||
    fail "the speedup table lacks a median, speedup or interval"
  grep -q 'class="warning">Before timing, the machine was not quiet' "$page" ||
    fail "no warning about the busy machine above the verdicts"
  holds_all "$page" 'id="experiment-broken"' 'Failed before it was timed' ||
    fail "the failed experiment has no section"
  grep -q '<th>variant</th><th>source</th>' "$page" || fail "book.md's table is not a table"
  holds_all "$page" '<p><em>quick size: &lt;not&gt; comparable</em> (rerun), 2 * 3</p>' ||
    fail "book.md's *emphasis* is not rendered, or a lone star is lost"
  grep -q 'Amdahl): 0.1234' "$page" || fail "no Amdahl fit"
  # The sections in reading order.
  grep -o 'id="lessons"\|id="machine"\|id="source"\|id="compare"\|id="steps"\|id="experiment-demo"\|id="experiment-broken"' \
    "$page" | tr '\n' ' ' | grep -qx 'id="lessons" id="machine" id="source" id="compare" id="steps" id="experiment-demo" id="experiment-broken" ' ||
    fail "the sections are not in reading order"
  echo "ok   the page: escaped, charts inlined apart, a scripted chart refused, every section"
}

check_bare_run() {
  local run=$1
  mkdir -p "$run"
  echo '{"size": "book", "runs": 10}' >"$run/meta.json"
  echo '{"experiments": {}}' >"$run/summary.json"
  "$TOOL" html "$run" || fail "a run without lessons, book.md or charts gave no page"
  grep -q 'holds no lesson verdicts' "$run/index.html" || fail "missing lessons not said"
  grep -q 'No preflight was recorded' "$run/index.html" || fail "missing preflight not said"
  echo "ok   a run with only meta.json and summary.json"
}

expect_usage_error() {
  local what=$1 err
  shift
  err=$(mktemp)
  local status=0
  "$TOOL" html "$@" >/dev/null 2>"$err" || status=$?
  [[ $status -eq 2 ]] || fail "$what: exit $status, not 2"
  [[ $(wc -l <"$err") -eq 1 ]] || fail "$what: not one line on stderr: $(cat "$err")"
  rm -f "$err"
  echo "ok   $what: exit 2, one line"
}

main() {
  local scratch
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT
  scratch=$SCRATCH
  make_run "$scratch/run.partial"
  "$TOOL" html "$scratch/run.partial" demo broken || fail "html exited with $?"
  check_page "$scratch/run.partial/index.html"
  grep -q '<title>conclab run run</title>' "$scratch/run.partial/index.html" ||
    fail "the run's name keeps .partial"
  [[ ! -e $scratch/run.partial/index.html.new ]] || fail "index.html.new left behind"
  check_bare_run "$scratch/bare"
  expect_usage_error "no run folder" "$scratch/absent"
  expect_usage_error "no argument"
  expect_usage_error "a path for an experiment" "$scratch/run.partial" ../demo
  echo '{' >"$scratch/bare/summary.json"
  expect_usage_error "summary.json not JSON" "$scratch/bare"
}

main "$@"
