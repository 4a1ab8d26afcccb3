#!/usr/bin/env bash
# A one-node Slurm cluster for the tests: munged, slurmctld and slurmd, all
# with their key, config, state and spool in DIR.
#
#   tests/remote/slurm.sh start DIR   prints `ready` once `sinfo` shows the node idle
#   tests/remote/slurm.sh stop DIR
#
# Clients find the cluster with SLURM_CONF=DIR/slurm.conf. Needs root,
# slurm-wlm and munge; exits non-zero with a reason on stderr when any is
# missing or a daemon does not come up.
set -euo pipefail

die() { echo "slurm.sh: $*" >&2; exit 1; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop DIR"

stop() {
    # The pids first: a daemon removes its pid file when told to stop, and
    # one slow to stop (slurmd with a step on a node gone down) must still
    # get the KILL.
    pids=""
    for n in slurmd slurmctld munged; do
        f="$dir/$n.pid"
        [ -e "$f" ] || continue
        pids="$pids $(cat "$f")"
    done
    for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
    for n in slurmd slurmctld munged; do rm -f "$dir/$n.pid"; done
    # A step daemon whose node went down (or whose slurmd was stopped
    # under it) waits for a controller that is gone: this cluster's ones
    # (SLURM_CONF in their environment) go too.
    for p in $(pgrep -x slurmstepd || true); do
        if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "SLURM_CONF=$dir/slurm.conf"; then
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
}

case $cmd in
stop)
    stop
    exit 0
    ;;
start) ;;
*) die "unknown command $cmd" ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (SlurmUser=root)"
for b in munged slurmctld slurmd; do
    [ -x "$(command -v $b || echo /usr/sbin/$b)" ] || die "no $b (apt-get install slurm-wlm munge)"
done
for b in srun squeue scancel sinfo; do
    command -v $b >/dev/null || die "no $b (apt-get install slurm-client)"
done
PATH=$PATH:/usr/sbin

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 700 "$dir"
mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
chmod 700 "$dir/munge"

# munge: a fresh key, its socket in DIR.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
sock="$dir/munge/munge.socket"
munged --force --key-file="$dir/munge/munge.key" --socket="$sock" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
    --seed-file="$dir/munge/seed" ||
    die "munged did not start: $(tail -n 5 "$dir/munged.log" 2>/dev/null)"

node=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
port=$((16817 + RANDOM % 1000))
cat >"$dir/slurm.conf" <<CFG
ClusterName=proctortest
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
SlurmctldPort=$port
SlurmdPort=$((port + 1000))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=30
NodeName=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
# Jobs sent here wait (reason PartitionDown): the tests of pending work.
PartitionName=closed Nodes=$node MaxTime=INFINITE State=DOWN OverSubscribe=FORCE:8
CFG
export SLURM_CONF="$dir/slurm.conf"

slurmctld -i -f "$dir/slurm.conf" || die "slurmctld did not start: $(tail -n 5 "$dir/slurmctld.log")"
slurmd -f "$dir/slurm.conf" || die "slurmd did not start: $(tail -n 5 "$dir/slurmd.log")"

for _ in $(seq 200); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)
    case $state in idle*|mix*) echo ready; exit 0 ;; esac
    sleep 0.1
done
stop
die "the node did not come up (state: ${state:-none}): $(tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log")"
