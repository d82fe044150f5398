#!/usr/bin/env bash
# run_all.sh's size sweep on a fake experiment whose --size-sweep names
# three values of --work: every variant timed at each value, a block per
# variant in size-sweep.dat, one verdict line per parallel variant in
# size-crossover.txt, the chart, and its place in REPORT.md.  The verdicts
# are checked for their form, never for which one the timings gave.
#   check_size_sweep.sh RUN_ALL TOOLS_DIR
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# A program that follows the contract: sleeps in proportion to --work.
write_fake() {
  cat >"$1/sizes" <<'PROGRAM'
#!/usr/bin/env bash
work=1 mode=seq json=false
for arg in "$@"; do
  case $arg in
    --list) printf 'seq\t--mode=seq\npar\t--mode=par\n' && exit 0 ;;
    --sweep) exit 0 ;;
    --size-sweep) echo "work=1,3,9" && exit 0 ;;
    --work=*) work=${arg#--work=} ;;
    --mode=*) mode=${arg#--mode=} ;;
    --json) json=true ;;
  esac
done
if [[ $mode == seq ]]; then ms=$((20 * work)); else ms=$((10 * work + 20)); fi
sleep "$(printf '0.%03d' "$ms")"
[[ $json == false ]] ||
  printf '{"experiment":"sizes","variant":"%s","elapsed_s":0.01,"checks":[{"name":"slept","ok":true}],"ok":true}\n' "$mode"
PROGRAM
  chmod +x "$1/sizes"
}

main() {
  local run_all=$1 tools=$2 dir line
  SCRATCH=$(mktemp -d)
  trap 'rm -rf "$SCRATCH"' EXIT
  mkdir -p "$SCRATCH/bin"
  ln -s "$tools" "$SCRATCH/tools" # run_all.sh's own tools, beside bin/
  write_fake "$SCRATCH/bin"
  CONCLAB_BIN_DIR=$SCRATCH/bin CONCLAB_RESULTS_DIR=$SCRATCH/results CONCLAB_PLOTS_DIR=$SCRATCH/plots \
    "$run_all" --runs 2 --no-python sizes >"$SCRATCH/log" 2>&1 ||
    fail "run_all.sh exited with $?: $(cat "$SCRATCH/log")"
  dir=$SCRATCH/results/latest/sizes
  [[ $(grep -c '^"' "$dir/size-sweep.dat") -eq 2 ]] || fail "size-sweep.dat: not one block per variant"
  [[ $(grep -c '^[0-9]' "$dir/size-sweep.dat") -eq 6 ]] || fail "size-sweep.dat: not 2 variants x 3 values"
  [[ $(wc -l <"$dir/size-crossover.txt") -eq 1 ]] || fail "size-crossover.txt: not one line for par"
  line=$(<"$dir/size-crossover.txt")
  [[ $line =~ ^par:\ (pays\ from\ the\ smallest\ --work|does\ not\ pay\ up\ to\ --work=9|starts\ to\ pay\ at\ --work\ near\ [0-9]+) ]] ||
    fail "size-crossover.txt: '$line'"
  for chart in "$dir/sizes-size-sweep.svg" "$dir/sizes-size-sweep.png"; do
    [[ -s $chart ]] || fail "no chart $chart"
  done
  grep -q 'sizes-size-sweep.svg' "$SCRATCH/results/latest/REPORT.md" || fail "REPORT.md lacks the size sweep"
  grep -qF -- "- $line" "$SCRATCH/results/latest/REPORT.md" || fail "REPORT.md lacks the verdict"
  echo "ok   size sweep: every variant at each size, a verdict per parallel variant, chart and report"
}

main "$@"
