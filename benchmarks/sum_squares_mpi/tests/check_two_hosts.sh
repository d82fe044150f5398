#!/usr/bin/env bash
# sum_squares_mpi across two hosts made of network namespaces
# (netns_cluster.sh): both MPI modes exact on 2 hosts x 1 rank and 2 hosts x
# 2 ranks, every rank on the host the hostfile gave it, and an interrupted
# two-host job that leaves no process, namespace or link behind.
#   check_two_hosts.sh BIN NO_ORPHANS HARNESS
# Skipped (exit 77) where the machine cannot make the hosts (not root, no
# ip netns).
set -euo pipefail

readonly SKIPPED=77
readonly LIMIT_S=120

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# What a run must leave as it found: the namespaces and the links.
# The namespaces and links that are not two-host clusters: another program
# (a second test run) may make or remove its own cluster meanwhile.
network_state() {
  ip netns list | grep -Ev '^conclab[0-9]+[ab]( |$)' || true
  ip -o link show | cut -d: -f2
}

# Fails when a cluster's namespace outlived its owner (conclabPIDa/b whose
# PID has ended): every run this test made must have removed its hosts.
no_stale_hosts() {
  local name owner
  while read -r name _; do
    [[ $name =~ ^conclab([0-9]+)[ab]$ ]] || continue
    owner=${BASH_REMATCH[1]}
    kill -0 "$owner" 2>/dev/null || fail "namespace $name outlived its owner $owner"
  done < <(ip netns list)
}

# Runs MODE on 2 hosts with SLOTS ranks each and checks the answer and
# where each rank ran.
check_job() {
  local mode=$1 slots=$2 out ranks=$((2 * $2))
  out=$(timeout "$LIMIT_S" "$HARNESS" run --slots="$slots" -- \
    "$BIN" --mode="$mode" --size=quick --json --hostfile='{hostfile}') ||
    fail "$mode on 2 hosts x $slots: exit $?"
  jq -e --arg v "$mode" --argjson ranks "$ranks" --argjson slots "$slots" '
      .variant == $v and .ok == true and all(.checks[]; .ok == true)
      and .parameters.hosts == 2 and .parameters.ranks == $ranks
      and (.data.ranks | length == $ranks)
      and ([.data.ranks[] | select(.host == "conclab-host1")] | length == $slots)
      and ([.data.ranks[] | select(.host == "conclab-host2")] | length == $slots)' \
    <<<"$out" >/dev/null || fail "$mode on 2 hosts x $slots: $out"
  echo "ok   $mode on 2 hosts x $slots rank(s): exact, hosts=2, ranks placed by the hostfile"
}

# SIGINT to the harness in the middle of a long two-host job: exit 130, no
# process left (no_orphans), the namespaces and the veth pair gone.
check_interrupt() {
  local status=0
  "$NO_ORPHANS" --interrupt-after=3 "$HARNESS" run -- \
    "$BIN" --mode=mpi-static --tasks=5000 --hostfile='{hostfile}' >/dev/null || status=$?
  [[ $status -eq 130 ]] || fail "interrupted two-host job: exit $status, expected 130"
  echo "ok   interrupted two-host job: exit 130, nothing left behind"
}

# Hosts whose owner ended without taking them down (a driver killed with
# SIGKILL) are removed by the next `up` or `run`.
check_stale() {
  local dir
  dir=$(mktemp -u "${TMPDIR:-/tmp}/conclab-stale.XXXXXX")
  # The `; true` keeps bash from exec'ing: the owner is this shell, which ends.
  bash -c '"$0" up "$1"; true' "$HARNESS" "$dir" || fail "up $dir failed"
  ip netns list | grep -q '^conclab' || fail "up made no namespace"
  "$HARNESS" run -- true || fail "run -- true failed"
  rm -rf "$dir"
  ! ip netns list | grep -q '^conclab' || fail "the stale hosts of an ended owner are still there"
  echo "ok   the hosts of an owner that ended are removed by the next run"
}

# A user who is not root is refused with a reason, as "cannot", not as a pass.
check_refusal() {
  command -v setpriv >/dev/null || return 0
  local status=0 err
  err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$HARNESS" run -- true 2>&1) ||
    status=$?
  [[ $status -eq $SKIPPED && $err == *"needs root"* ]] ||
    fail "not root: exit $status ($err), expected $SKIPPED and 'needs root'"
  echo "ok   not root: refused with a reason"
}

main() {
  BIN=$1 NO_ORPHANS=$2 HARNESS=$3
  local why before after mode slots
  if ! why=$("$HARNESS" check); then
    echo "skipped: $why"
    exit "$SKIPPED"
  fi
  before=$(network_state)
  for slots in 1 2; do
    for mode in mpi-static mpi-dynamic; do
      check_job "$mode" "$slots"
    done
  done
  check_interrupt
  check_stale
  check_refusal
  after=$(network_state)
  [[ $before == "$after" ]] ||
    fail "the namespaces or links changed: before [$before] after [$after]"
  no_stale_hosts
  echo "ok   ip netns list and ip link as they were"
}

main "$@"
