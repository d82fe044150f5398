#!/usr/bin/env bash
# netns_cluster.sh — two MPI hosts on one Linux machine, without ssh.
#
#   netns_cluster.sh run [--slots=N] -- COMMAND [ARG...]
#   netns_cluster.sh up DIR [--slots=N]     make the hosts; DIR (new) keeps their state
#   netns_cluster.sh exec DIR -- COMMAND [ARG...]
#   netns_cluster.sh down DIR               end everything inside them, remove them and DIR
#   netns_cluster.sh check                  can this machine make them?
#
# The two hosts are two network namespaces joined by a veth pair, each with
# its own address on a private /24 and its own hostname (conclab-host1 and
# conclab-host2).  COMMAND runs on the first, with Open MPI pointed at both:
# a hostfile with N slots per host (default 1), TCP between them, and an
# agent script instead of ssh that starts Open MPI's daemon in the second
# namespace.  Every argument `{hostfile}` of COMMAND is replaced by the
# hostfile's path, e.g.
#
#   netns_cluster.sh run --slots=2 -- sum_squares_mpi --mode=mpi-static --hostfile={hostfile}
#
# `run` is up, exec and down in one, and always removes what it made: on
# success, on failure and on INT/TERM/HUP.  The namespaces are named after
# the process that owns them (run: itself; up: its caller), and `up` first
# removes the hosts of owners that are gone (a driver killed with SIGKILL).
# Traffic stays between the two namespaces.  Needs root, iproute2's `ip
# netns` and util-linux's `unshare`.  Exit status: COMMAND's; 2 bad command
# line; 77 this machine cannot make the hosts (not root, no network
# namespaces), so that a test that needs them is skipped, never passed.
set -euo pipefail

readonly SUBNET=10.213.77
readonly CANNOT=77
readonly USAGE=2
readonly HOSTNAMES=(conclab-host1 conclab-host2)
SLOTS=1
TAG=
STATE=

usage() {
  sed -n '3,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,3\}//' >&2
}

die_usage() {
  echo "netns_cluster.sh: $*" >&2
  exit "$USAGE"
}

die() {
  echo "netns_cluster.sh: $*" >&2
  exit 1
}

# Why this machine cannot make the two hosts; nothing when it can.
cannot_make_hosts() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "needs root (network namespaces and a veth pair)"
  elif ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
    echo "needs iproute2's 'ip netns' (apt-get install iproute2)"
  elif ! command -v unshare >/dev/null; then
    echo "needs util-linux's unshare"
  fi
}

require_hosts() {
  local why
  why=$(cannot_make_hosts)
  [[ -z $why ]] && return 0
  echo "netns_cluster.sh: cannot make the two hosts here: $why" >&2
  exit "$CANNOT"
}

# The two namespaces of the hosts tagged $1.
namespaces_of() {
  echo "$1a" "$1b"
}

# Prints the pids of the processes inside the namespaces tagged $1.
pids_inside() {
  local ns
  for ns in $(namespaces_of "$1"); do
    ip netns pids "$ns" 2>/dev/null || true
  done
}

# Ends every process inside the hosts tagged $1 (TERM, two seconds, then
# KILL) and removes their namespaces; the veth pair goes with them.
remove_hosts() {
  local tag=$1 ns pids tries=20
  pids=$(pids_inside "$tag")
  # shellcheck disable=SC2086 # a list of pids
  [[ -z $pids ]] || kill -TERM $pids 2>/dev/null || true
  while [[ -n $pids ]] && ((tries-- > 0)); do
    sleep 0.1
    pids=$(pids_inside "$tag")
  done
  # shellcheck disable=SC2086 # a list of pids
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  for ns in $(namespaces_of "$tag"); do
    ip netns del "$ns" 2>/dev/null || true
  done
}

# Removes the hosts whose owner process has ended without removing them.
remove_stale_hosts() {
  local ns owner
  while read -r ns _; do
    [[ $ns =~ ^conclab([0-9]+)a$ ]] || continue
    owner=${BASH_REMATCH[1]}
    [[ -d /proc/$owner ]] || remove_hosts "conclab$owner"
  done < <(ip netns list 2>/dev/null)
}

# Two namespaces, a veth pair between them, $SUBNET.1 and $SUBNET.2.
make_hosts() {
  local ns i=0 names
  read -r -a names <<<"$(namespaces_of "$TAG")"
  for ns in "${names[@]}"; do
    ip netns list | grep -qw "$ns" && die "the hosts of process ${TAG#conclab} exist already"
  done
  for ns in "${names[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip link add cl0 netns "${names[0]}" type veth peer name cl1 netns "${names[1]}"
  for ns in "${names[@]}"; do
    i=$((i + 1))
    ip -n "$ns" addr add "$SUBNET.$i/24" dev "cl$((i - 1))"
    ip -n "$ns" link set "cl$((i - 1))" up
  done
}

# The state folder: the tag, the hostfile, and the agent that Open MPI runs
# instead of ssh: `AGENT HOST COMMAND...` runs COMMAND (one shell line, as
# ssh would) on HOST, that is in its namespace under its own hostname.
write_state() {
  local names
  read -r -a names <<<"$(namespaces_of "$TAG")"
  echo "$TAG" >"$STATE/tag"
  printf '%s.1 slots=%s\n%s.2 slots=%s\n' "$SUBNET" "$SLOTS" "$SUBNET" "$SLOTS" >"$STATE/hostfile"
  cat >"$STATE/agent" <<EOF
#!/bin/sh
# Open MPI's remote launch into the namespace of a conclab test host.
case \$1 in
  $SUBNET.1) ns=${names[0]} name=${HOSTNAMES[0]} ;;
  $SUBNET.2) ns=${names[1]} name=${HOSTNAMES[1]} ;;
  *) echo "agent: no such test host: \$1" >&2; exit 1 ;;
esac
shift
exec ip netns exec "\$ns" unshare --uts sh -c 'hostname "\$0" && exec sh -c "\$1"' "\$name" "\$*"
EOF
  chmod +x "$STATE/agent"
}

parse_slots() {
  SLOTS=${1#--slots=}
  [[ $SLOTS =~ ^[1-9][0-9]?$ ]] || die_usage "--slots='$SLOTS': must be an integer from 1 to 99"
}

# up DIR [--slots=N], owned by OWNER (a pid).
bring_up() {
  local owner=$1
  shift
  (($# > 0)) || die_usage "up: no state folder given"
  STATE=$1
  shift
  while (($# > 0)); do
    case $1 in
      --slots=*) parse_slots "$1" ;;
      *) die_usage "up: unknown option '$1'" ;;
    esac
    shift
  done
  require_hosts
  mkdir "$STATE" 2>/dev/null || die "up: cannot make the state folder '$STATE' (it must not exist)"
  TAG=conclab$owner
  remove_stale_hosts
  # Half made is not made: on any failure, remove it all (`run` keeps its
  # trap to the end).
  trap tear_down EXIT
  make_hosts
  write_state
  [[ $owner == "$$" ]] || trap - EXIT
}

# Reads the tag of the hosts that DIR describes.
read_state() {
  STATE=$1
  [[ -r $STATE/tag ]] || die_usage "'$STATE' is not a folder made by 'netns_cluster.sh up'"
  TAG=$(<"$STATE/tag")
}

# Runs COMMAND on the first host with Open MPI's settings for the pair.
# shellcheck disable=SC2016 # the inner shell expands $0 and $@
run_on_first_host() {
  local args=() arg names
  read -r -a names <<<"$(namespaces_of "$TAG")"
  for arg in "$@"; do args+=("${arg//\{hostfile\}/$STATE/hostfile}"); done
  ip netns exec "${names[0]}" unshare --uts \
    env OMPI_MCA_plm_rsh_agent="$STATE/agent" \
    OMPI_MCA_btl=tcp,self OMPI_MCA_pml=ob1 \
    OMPI_MCA_btl_tcp_if_include="$SUBNET.0/24" OMPI_MCA_oob_tcp_if_include="$SUBNET.0/24" \
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    sh -c 'hostname "$0" && exec "$@"' "${HOSTNAMES[0]}" "${args[@]}"
}

# exec DIR -- COMMAND...
exec_command() {
  if (($# < 3)) || [[ $2 != -- ]]; then die_usage "exec: usage: exec DIR -- COMMAND..."; fi
  read_state "$1"
  shift 2
  run_on_first_host "$@"
}

tear_down() {
  [[ -n $TAG ]] || return 0
  remove_hosts "$TAG"
  rm -rf "$STATE"
}

on_signal() {
  trap - EXIT INT TERM HUP
  tear_down
  exit "$1"
}

# run [--slots=N] -- COMMAND...
run() {
  local up=()
  while (($# > 0)); do
    case $1 in
      --slots=*) up+=("$1") ;;
      --) shift && break ;;
      *) die_usage "run: unknown option '$1' (usage: run [--slots=N] -- COMMAND...)" ;;
    esac
    shift
  done
  (($# > 0)) || die_usage "run: no command given (usage: run [--slots=N] -- COMMAND...)"
  require_hosts
  local dir status=0
  dir=$(mktemp -d "${TMPDIR:-/tmp}/conclab-cluster.XXXXXX")
  rmdir "$dir"
  trap tear_down EXIT
  trap 'on_signal 130' INT
  trap 'on_signal 143' TERM
  trap 'on_signal 129' HUP
  bring_up $$ "$dir" "${up[@]}"
  # In the background, so that a signal to this script is handled at once.
  run_on_first_host "$@" &
  wait $! || status=$?
  return "$status"
}

main() {
  case ${1:-} in
    run) shift && run "$@" ;;
    up) shift && bring_up "$PPID" "$@" ;;
    exec) shift && exec_command "$@" ;;
    down)
      (($# == 2)) || die_usage "down: usage: down DIR"
      read_state "$2"
      tear_down
      ;;
    check)
      local why
      why=$(cannot_make_hosts)
      [[ -z $why ]] || { echo "no: $why" && exit "$CANNOT"; }
      echo "yes: this machine can make two test hosts"
      ;;
    -h | --help) usage ;;
    *) usage && exit "$USAGE" ;;
  esac
}

main "$@"
