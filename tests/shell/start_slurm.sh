#!/usr/bin/env bash
# Bring up a single-node Slurm on this machine for the slurm.pl tests (idempotent).
#
# If `sinfo` already shows a responding node, nothing is done. Otherwise, as root only:
# install Debian's slurm-wlm + munge when `sbatch` is missing, create a munge key, start
# `munged --force`, write /etc/slurm/slurm.conf (one node = this host with `nproc` CPUs,
# accounting off) unless a slurm.conf not written by this script is already there, start
# slurmctld and slurmd, and wait until the node is idle.
#
# Exit status: 0 Slurm is up; 77 it cannot be brought up here (not root, no apt, install
# failed: the reason is on stderr, and the tests skip); 1 it was installed but did not start
# (the daemon logs are printed).
#
# Usage: tests/shell/start_slurm.sh [--timeout SECONDS]
#   e.g. sudo tests/shell/start_slurm.sh --timeout 90
set -euo pipefail

timeout=90   # seconds to wait for the node to become idle

while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) [ $# -ge 2 ] || { echo "$0: --timeout needs a value" >&2; exit 1; }
      timeout=$2; shift 2 ;;
    *) echo "Usage: $0 [--timeout SECONDS]   e.g. $0 --timeout 90" >&2; exit 1 ;;
  esac
done

log() { echo "$(date '+%H:%M:%S') start_slurm.sh: $*" >&2; }
skip() { echo "start_slurm.sh: SKIP: $*" >&2; exit 77; }

start_time=$(date +%s)
conf=/etc/slurm/slurm.conf
marker="# written by sv-recipe tests/shell/start_slurm.sh"

node_state() {
  # Prints the state of the first node ("idle", "mixed", "down*", ...); empty when unreachable.
  timeout 10 sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true
}

node_ready() {
  case "$(node_state)" in
    idle|mixed|allocated|completing) return 0 ;;
    *) return 1 ;;
  esac
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
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$ncpu RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

conf_current() {
  # True when there is nothing to write: a slurm.conf we did not write, or ours unchanged.
  [ -f "$conf" ] || return 1
  grep -qF "$marker" "$conf" || return 0
  [ "$(conf_text)" = "$(cat "$conf")" ]
}

if command -v sinfo >/dev/null 2>&1 && node_ready && { conf_current || [ "$(id -u)" -ne 0 ]; }; then
  log "Slurm is already up (node $(node_state))"
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
if ! conf_current; then
  log "writing $conf ($host, $ncpu CPUs, $mem_mb MB)"
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  conf_text >"$conf.tmp"
  mv "$conf.tmp" "$conf"
  conf_changed=true
elif ! grep -qF "$marker" "$conf"; then
  log "keeping the existing $conf (not written by this script)"
fi

if ! timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; then
  log "starting slurmctld"
  detached slurmctld
elif [ "$conf_changed" = true ]; then
  log "reconfiguring the running Slurm"
  if ! scontrol reconfigure; then  # node changes need a restart of both daemons
    log "restarting slurmctld and slurmd"
    scontrol shutdown >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do
      pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break
      sleep 0.2
    done
    detached slurmctld
  fi
fi
for _ in $(seq 1 50); do
  timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP' && break
  sleep 0.2
done
if ! node_ready; then
  if [ ! -f /run/slurmd.pid ] || ! kill -0 "$(cat /run/slurmd.pid)" 2>/dev/null; then
    log "starting slurmd"
    detached slurmd
  fi
fi

deadline=$(($(date +%s) + timeout))
while ! node_ready; do
  state=$(node_state)
  case "$state" in
    down*|drain*|fail*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "start_slurm.sh: the node did not become idle within $timeout s (state: '${state:-no answer}')" >&2
    for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log; do
      [ -f "$f" ] && { echo "== tail of $f" >&2; tail -n 20 "$f" >&2; }
    done
    exit 1
  fi
  sleep 0.5
done
log "Slurm is up (node $(node_state)) after $(($(date +%s) - start_time)) s"
