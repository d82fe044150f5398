#!/usr/bin/env bash
# Under a cap on the address space (ulimit -v), thread-per-cell runs out of
# room for 8 MB stacks: it must stop with one clear line on stderr, exit 1,
# print nothing on stdout and leave no thread behind; a pool of 5 workers
# still fits and answers right.
#   thread_refused.sh FANOUT_BIN
set -euo pipefail

readonly LIMIT_KB=131072
readonly GRID=(--rows=20 --cols=20 --generations=1)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

OUT=$(mktemp)
ERR=$(mktemp)
readonly OUT ERR
trap 'rm -f "$OUT" "$ERR"' EXIT

main() {
  local bin=$1 status=0 out=$OUT err=$ERR
  (ulimit -v "$LIMIT_KB" && exec "$bin" --mode=thread-per-cell "${GRID[@]}") >"$out" 2>"$err" ||
    status=$?
  [[ $status -eq 1 ]] || fail "thread-per-cell exited $status, expected 1: $(cat "$err")"
  [[ ! -s $out ]] || fail "thread-per-cell printed on stdout: $(cat "$out")"
  [[ $(wc -l <"$err") -eq 1 ]] || fail "expected one line on stderr: $(cat "$err")"
  grep -q "refused thread .* (pthread_create: " "$err" || fail "unclear message: $(cat "$err")"
  echo "ok   thread-per-cell under ulimit -v $LIMIT_KB: $(cat "$err")"
  (ulimit -v "$LIMIT_KB" && exec "$bin" --mode=pool "${GRID[@]}" --io-us=0 --json) >"$out" ||
    fail "pool failed under the same limit"
  jq -e '.ok and .metrics.threads_created.value == 5' "$out" >/dev/null ||
    fail "pool's answer: $(cat "$out")"
  echo "ok   pool under the same limit"
}

main "$@"
