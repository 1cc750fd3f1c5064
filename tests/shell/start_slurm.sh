#!/usr/bin/env bash
# Bring up a Slurm on this machine for the slurm.pl tests (idempotent).
#
# If `sinfo` already shows the responding node(s), nothing is done. Otherwise, as root only:
# install Debian's slurm-wlm + munge when `sbatch` is missing, create a munge key, start
# `munged --force`, write /etc/slurm/slurm.conf (accounting off) unless a slurm.conf not
# written by this script is already there, start slurmctld and slurmd, and wait until the
# nodes are idle.
#
# Nodes: with --nodes 1, one node = this host with `nproc` CPUs. With --nodes N > 1 (the
# default, 2), N node entries <host>n1..<host>nN on this one host, each with `nproc` CPUs and
# its own slurmd (`slurmd -N <name>`, port 17001..) in Slurm's multiple-slurmd mode
# (`scontrol show config` says MULTIPLE_SLURMD = Yes on Debian 12's build), so multi-node
# jobs (srun across nodes) run for real. A changed node layout restarts both daemons and
# clears the controller's job state.
#
# Exit status: 0 Slurm is up; 77 it cannot be brought up here (not root, no apt, install
# failed: the reason is on stderr, and the tests skip); 1 it was installed but did not start
# (the daemon logs are printed).
#
# Usage: tests/shell/start_slurm.sh [--timeout SECONDS] [--nodes N]
#   e.g. sudo tests/shell/start_slurm.sh --timeout 90
set -euo pipefail

timeout=90   # seconds to wait for the nodes to become idle
nodes=2      # node entries on this host (>1: multiple-slurmd mode)

while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) [ $# -ge 2 ] || { echo "$0: --timeout needs a value" >&2; exit 1; }
      timeout=$2; shift 2 ;;
    --nodes) [ $# -ge 2 ] || { echo "$0: --nodes needs a value" >&2; exit 1; }
      nodes=$2; shift 2 ;;
    *) echo "Usage: $0 [--timeout SECONDS] [--nodes N]   e.g. $0 --timeout 90 --nodes 2" >&2
      exit 1 ;;
  esac
done
case "$nodes" in
  [1-9]) ;;
  *) echo "$0: --nodes must be 1..9, got '$nodes'" >&2; exit 1 ;;
esac

log() { echo "$(date '+%H:%M:%S') start_slurm.sh: $*" >&2; }
skip() { echo "start_slurm.sh: SKIP: $*" >&2; exit 77; }

start_time=$(date +%s)
conf=/etc/slurm/slurm.conf
marker="# written by sv-recipe tests/shell/start_slurm.sh"

node_state() {
  # Prints the first node state that is not ready ("down*", ...), else the first node's
  # ("idle", "mixed", ...); empty when unreachable.
  local states
  states=$(timeout 10 sinfo -h -N -o '%T' 2>/dev/null || true)
  { grep -v -x -E 'idle|mixed|allocated|completing' <<<"$states" || head -n 1 <<<"$states"; } \
    | head -n 1
}

node_ready() {
  # All configured nodes answer and are usable.
  local states
  states=$(timeout 10 sinfo -h -N -o '%T' 2>/dev/null || true)
  [ -n "$states" ] && [ "$(wc -l <<<"$states")" -eq "$nodes" ] \
    && ! grep -q -v -x -E 'idle|mixed|allocated|completing' <<<"$states"
}

node_names() {
  # The node names of the config this script writes.
  if [ "$nodes" -eq 1 ]; then echo "$host"; else seq -f "${host}n%g" 1 "$nodes"; fi
}

host=$(hostname -s)
ncpu=$(getconf _NPROCESSORS_ONLN)  # not nproc: it follows OMP_NUM_THREADS
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)

conf_text() {
  cat <<EOF
$marker
# Single-node test cluster: root runs everything, accounting is off.
ClusterName=svtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Test jobs are short: schedule batch jobs at once (default: up to 3 s later).
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
SlurmdParameters=config_overrides
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmctldPidFile=/run/slurmctld.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
EOF
  if [ "$nodes" -eq 1 ]; then
    cat <<EOF
SlurmdSpoolDir=/var/spool/slurmd
SlurmdPidFile=/run/slurmd.pid
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$ncpu RealMemory=$mem_mb State=UNKNOWN
EOF
  else
    # multiple-slurmd mode: every slurmd needs its own port, pid file, log and spool dir
    echo "SlurmdSpoolDir=/var/spool/slurmd/%n"
    echo "SlurmdPidFile=/run/slurmd.%n.pid"
    echo "SlurmdLogFile=/var/log/slurm/slurmd.%n.log"
    local i
    for i in $(seq 1 "$nodes"); do
      echo "NodeName=${host}n$i NodeHostname=$host NodeAddr=127.0.0.1 Port=$((17000 + i))" \
        "CPUs=$ncpu RealMemory=$mem_mb State=UNKNOWN"
    done
  fi
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
}

conf_current() {
  # True when there is nothing to write: a slurm.conf we did not write, or ours unchanged.
  [ -f "$conf" ] || return 1
  grep -qF "$marker" "$conf" || return 0
  [ "$(conf_text)" = "$(cat "$conf")" ]
}

if command -v sinfo >/dev/null 2>&1 && node_ready && { conf_current || [ "$(id -u)" -ne 0 ]; }; then
  log "Slurm is already up ($nodes node(s), $(node_state))"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || skip "not root: cannot install or start Slurm (run as root, or start Slurm yourself)"

# Start a daemon detached from this script: no inherited descriptors (the flock on fd 9, the
# caller's stdout/stderr pipes), or the caller would wait for EOF and the next caller for
# the lock as long as the daemon lives.
detached() {
  python3 -c 'import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])' \
    "$@" </dev/null >/dev/null 2>&1
}

# One caller at a time (pytest-xdist workers each run the session fixture).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/start_slurm.lock"
  flock 9
fi
if command -v sinfo >/dev/null 2>&1 && node_ready && conf_current; then
  log "Slurm is up (started by another caller)"
  exit 0
fi

if ! command -v sbatch >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || skip "sbatch is missing and there is no apt-get to install slurm-wlm"
  log "installing slurm-wlm and munge with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends slurm-wlm munge >/tmp/start_slurm.apt.log 2>&1; then
    log "apt-get install failed; retrying after apt-get update"
    { apt-get update -q && apt-get install -y -q --no-install-recommends slurm-wlm munge; } \
      >>/tmp/start_slurm.apt.log 2>&1 \
      || skip "apt-get install slurm-wlm munge failed (see /tmp/start_slurm.apt.log): $(tail -n 3 /tmp/start_slurm.apt.log | tr '\n' ' ')"
  fi
  log "installed in $(($(date +%s) - start_time)) s"
fi

# munge: a key, its directories, and the daemon (run as root with --force).
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating a munge key"
  dd if=/dev/urandom of=/etc/munge/munge.key.tmp bs=1024 count=1 status=none
  mv /etc/munge/munge.key.tmp /etc/munge/munge.key
fi
chown root:root /etc/munge/munge.key /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0400 /etc/munge/munge.key
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  detached munged --force
  for _ in $(seq 1 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.2
  done
  munge -n | unmunge >/dev/null || { echo "start_slurm.sh: munged did not start" >&2; exit 1; }
fi

conf_changed=false
for name in $(node_names); do mkdir -p "/var/spool/slurmd/$name"; done
if ! conf_current; then
  log "writing $conf ($nodes node(s) on $host, $ncpu CPUs, $mem_mb MB each)"
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  conf_text >"$conf.tmp"
  mv "$conf.tmp" "$conf"
  conf_changed=true
elif ! grep -qF "$marker" "$conf"; then
  log "keeping the existing $conf (not written by this script)"
fi

if ! timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; then
  log "starting slurmctld"
  if [ "$conf_changed" = true ]; then detached slurmctld -c; else detached slurmctld; fi
elif [ "$conf_changed" = true ]; then
  # Node changes need a restart of every daemon (scontrol reconfigure does not add nodes),
  # and -c drops the old layout's saved jobs and nodes.
  log "restarting slurmctld and slurmd for the new node layout"
  scontrol shutdown >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do
    pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break
    sleep 0.2
  done
  detached slurmctld -c
fi
for _ in $(seq 1 50); do
  timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP' && break
  sleep 0.2
done
if ! node_ready; then
  for name in $(node_names); do
    if [ "$nodes" -eq 1 ]; then pid_file=/run/slurmd.pid; else pid_file=/run/slurmd.$name.pid; fi
    if [ ! -f "$pid_file" ] || ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      log "starting slurmd for node $name"
      if [ "$nodes" -eq 1 ]; then detached slurmd; else detached slurmd -N "$name"; fi
    fi
  done
fi

deadline=$(($(date +%s) + timeout))
while ! node_ready; do
  state=$(node_state)
  case "$state" in
    down*|drain*|fail*)
      for name in $(node_names); do
        scontrol update nodename="$name" state=resume >/dev/null 2>&1 || true
      done ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "start_slurm.sh: the nodes did not become idle within $timeout s (state: '${state:-no answer}')" >&2
    for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd*.log; do
      [ -f "$f" ] && { echo "== tail of $f" >&2; tail -n 20 "$f" >&2; }
    done
    exit 1
  fi
  sleep 0.5
done
log "Slurm is up ($nodes node(s), $(node_state)) after $(($(date +%s) - start_time)) s"
