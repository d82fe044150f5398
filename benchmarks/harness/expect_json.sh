#!/usr/bin/env bash
# Runs one experiment with --json and checks its answer with a jq filter.
#   expect_json.sh STATUS FILTER BIN [ARG...]
# Passes when BIN ARG... --json exits with STATUS and its stdout is one JSON
# object for which `jq -e FILTER` is true.  Experiments' own tests use it for
# checks the generic ones cannot know (exact totals, per-call waits).
set -euo pipefail

readonly LIMIT_S=120

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

main() {
  (($# >= 3)) || fail "usage: $0 STATUS FILTER BIN [ARG...]"
  local expected=$1 filter=$2 bin=$3 status=0 out
  shift 3
  out=$(timeout "$LIMIT_S" "$bin" "$@" --json) || status=$?
  [[ $status -eq $expected ]] || fail "'$*': exit $status, expected $expected: $out"
  # -s: every value printed, so that a stray second object is caught too.
  jq -es 'length == 1 and (.[0] | type == "object")' <<<"$out" >/dev/null 2>&1 ||
    fail "'$*': not exactly one JSON object on stdout: $out"
  jq -e "$filter" <<<"$out" >/dev/null || fail "'$*': JSON fails '$filter': $out"
  echo "ok   $(basename "$bin") $* -> exit $status, $filter"
}

main "$@"
