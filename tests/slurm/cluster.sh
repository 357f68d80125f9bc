#!/usr/bin/env bash
# A throwaway one-node Slurm cluster for the tests: munged with its own key and socket,
# slurmctld and slurmd on private ports, every state, spool, log and pid file under DIR.
# Needs root (slurmd runs jobs as their users) and Debian's slurmctld, slurmd, slurm-client and
# munge; no systemd.
#   tests/slurm/cluster.sh start DIR PORT   # slurmctld on PORT, slurmd on PORT+1; prints SLURM_CONF
#   tests/slurm/cluster.sh stop DIR         # stops the daemons by their pid files
set -euo pipefail
cmd="$1" dir="$2"

stop() {
  for d in slurmd slurmctld munged; do
    if [[ -s "$dir/$d.pid" ]]; then
      pid=$(cat "$dir/$d.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$d.pid"
    fi
  done
}

case "$cmd" in
  stop) stop ;;
  start)
    port="$3"
    mkdir -p "$dir/state" "$dir/spool" "$dir/log"
    head -c 1024 /dev/urandom > "$dir/munge.key"
    chmod 400 "$dir/munge.key"
    munged --force --key-file="$dir/munge.key" --socket="$dir/munge.sock" \
      --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed"
    host=$(hostname -s)
    cat > "$dir/slurm.conf" <<CONF
ClusterName=sacosimtest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# No cgroups or accounting in a container without systemd.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=sa Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF"
    for _ in $(seq 1 100); do
      if sinfo -h -o %T 2>/dev/null | grep -q idle; then
        echo "$SLURM_CONF"
        exit 0
      fi
      sleep 0.2
    done
    echo "cluster.sh: the node did not come up; logs:" >&2
    tail -n 20 "$dir"/log/*.log >&2 || true
    stop
    exit 1
    ;;
  *) echo "cluster.sh: start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
