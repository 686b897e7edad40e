#!/usr/bin/env bash
# local-cluster.sh - a real single-node Slurm cluster on this machine, for tests and for trying
# `./tt experiment ... --slurm` locally.
#
# Usage (as root):
#   experiments/slurm/local-cluster.sh start  [STATE_DIR]   # install if needed, start munged, slurmctld, slurmd
#   experiments/slurm/local-cluster.sh status [STATE_DIR]   # sinfo + squeue; exit 3 if not running
#   experiments/slurm/local-cluster.sh stop   [STATE_DIR]   # requeue running jobs, scontrol shutdown, munged
# STATE_DIR defaults to $TT_SLURM_STATE_DIR or /tmp/tt-slurm. `start` when running and `stop` when
# stopped say so and exit 0. The controller's state (queued jobs, job ids) survives stop/start;
# after `stop`, `rm -rf STATE_DIR` gives a fresh cluster. Then, e.g.:
#   sbatch --array=0-3%2 --cpus-per-task=1 -o /tmp/tt-slurm/out/%A_%a.out --wrap 'echo $SLURM_ARRAY_TASK_ID'
#   squeue -r -t all; scontrol show job JOBID; scontrol requeue JOBID_TASK; scancel JOBID
#
# What `start` does:
#   1. Installs munge, slurmctld, slurmd and slurm-client (sbatch, squeue, scontrol, scancel, sacct,
#      sinfo) with apt-get if any command is missing, with a policy-rc.d that forbids the packages'
#      postinst from starting daemons (ours are started directly; there is no systemd here).
#      `apt-get update` runs only if the install fails without it.
#   2. Creates /etc/munge/munge.key if missing (munge:munge, 0400) and starts munged as the munge user
#      unless a working munged is already there; checks `munge -n | unmunge`.
#   3. Writes STATE_DIR/slurm.conf for one node named `hostname -s` with the CPUs and memory that
#      `slurmd -C` reports, and starts slurmctld and slurmd with `-f` to it, logging to STATE_DIR.
#   4. Waits (up to 60 s) for `sinfo` to show the node idle (registered by this slurmd, not an old
#      state recovered by slurmctld), then prints how to use the cluster.
# What `stop` does: sets the partition DOWN so nothing new starts, requeues the running jobs (SIGTERM,
# SIGKILL after KillWait=30 s; scancel for jobs that can't be requeued) so that they run again after
# the next start, `scontrol shutdown`, SIGTERM/SIGKILL by pid file for daemons still alive, kills job
# processes left over, and stops munged if `start` started it. (Left alone, batch jobs outlive slurmd,
# and a restarted slurmctld would show them RUNNING long after their processes are gone; for the same
# reason `start` requeues jobs still listed as running when no job process survived, e.g. after a
# crash or reboot.)
#
# Choices:
#   - Runs as root, and so do the daemons: SlurmUser=root and SlurmdUser=root, so no `slurm` user,
#     no chown of state/spool/log dirs and nothing for the daemons to fail to write. Jobs run as the
#     user who submitted them (root here, on this machine and in CI).
#   - Where the client commands find the config: the daemons get `-f STATE_DIR/slurm.conf`, and the
#     same file is copied to /etc/slurm/slurm.conf (the packages' compiled-in default), so sbatch,
#     squeue, ... work from any shell or Java process without SLURM_CONF. The copy carries a marker
#     line; an /etc/slurm/slurm.conf without it (a real cluster's) is never overwritten, and then
#     `export SLURM_CONF=STATE_DIR/slurm.conf` is needed. Exporting SLURM_CONF always works.
#   - No accounting: AccountingStorageType=accounting_storage/none, JobAcctGatherType=none,
#     JobCompType=none, so no slurmdbd and no MariaDB. Hence `sacct` is unavailable (it prints an
#     error: "Slurm accounting storage is disabled"); tools fall back to `squeue` and `scontrol show job`,
#     which keep finished jobs for MinJobAge (600 s here). squeue lists finished jobs only with `-t all`.
#   - ProctrackType=proctrack/linuxproc and TaskPlugin=task/none: no cgroup set-up needed (this may run
#     in a container or VM without a delegated cgroup tree).
#   - SelectType=select/cons_tres with CR_CPU and the node declared by CPUs= only, so each 1-CPU task
#     takes one logical CPU and two 1-CPU array tasks run side by side on 2 CPUs (CR_Core would give a
#     whole core to each task on hyper-threaded machines). Memory is not a consumable resource.
#   - All addresses are 127.0.0.1 (SlurmctldHost=NAME(127.0.0.1), NodeAddr=127.0.0.1), so the host
#     name need not resolve. Ports are Slurm's defaults (6817/6818), so one such cluster per machine.
#   - ReturnToService=2 and a resume of a drained node on start, so a restarted node comes back idle.
#   - Prompt scheduling: sched/backfill with sched_interval=5,bf_interval=5 (tasks start ~1 s after
#     sbatch), and AuthInfo=cred_expire=10: a requeued job waits cred_expire before it may run again
#     (Slurm's default 120 s). MaxArraySize=100001, MaxJobCount=200000. MailProg=/bin/true (no mail).
#   - The packages leave unused munge.service/slurmd.service/slurmctld.service symlinks for systemd
#     and a `slurm` user; neither matters here.
set -euo pipefail

PROG=$(basename "$0")
CMD=${1:-}
STATE_DIR=${2:-${TT_SLURM_STATE_DIR:-/tmp/tt-slurm}}
STATE_DIR=$(realpath -m -- "$STATE_DIR")
CONF=$STATE_DIR/slurm.conf
ETC_CONF=/etc/slurm/slurm.conf
MARKER="# Generated by tornado-transformer experiments/slurm/local-cluster.sh"
MUNGE_KEY=/etc/munge/munge.key
MUNGED_OURS=$STATE_DIR/munged.ours   # holds munged's pid if this script started it
PARTITION=debug
START_TIMEOUT=60

die() { echo "$PROG: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }

usage() {
    echo "usage: $PROG start|stop|status [STATE_DIR]   (STATE_DIR default: /tmp/tt-slurm)" >&2
    exit 2
}

require_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and runs munged, slurmctld and slurmd as root); try: sudo $0 $CMD${2:+ $2}"
}

# ---------------------------------------------------------------------------------- processes

# Prints the pid in pid file $1 if that process is alive and its command is $2.
alive_pid() {
    local pid
    [[ -s $1 ]] || return 1
    pid=$(tr -dc 0-9 <"$1")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
    echo "$pid"
}

# Pids of the processes in sessions $1 (whitespace-separated session ids), never our own session.
session_pids() {
    local own
    own=$(ps -o sid= -p $$ | tr -d ' ')
    ps -e -o pid=,sid= | awk -v sids=" ${1//$'\n'/ } " -v own="$own" '$2 != own && index(sids, " " $2 " ") { print $1 }'
}
kill_sessions() {
    local pids
    pids=$(session_pids "$2")
    # shellcheck disable=SC2086
    [[ -z $pids ]] || kill -"$1" $pids 2>/dev/null || true
}

ctld_pid()   { alive_pid "$STATE_DIR/slurmctld.pid" slurmctld; }
slurmd_pid() { alive_pid "$STATE_DIR/slurmd.pid" slurmd; }
munge_ok()   { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

# Waits up to $2 seconds for pid $1 to exit.
wait_gone() {
    local i
    for ((i = 0; i < $2 * 5; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.2
    done
    return 1
}

# Stops pid $1 (named $2): SIGTERM, then SIGKILL after $3 seconds.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || return 0
    wait_gone "$1" "$3" && return 0
    say "$2 (pid $1) still alive after ${3}s; sending SIGKILL"
    kill -KILL "$1" 2>/dev/null || true
    wait_gone "$1" 5 || true
}

# ---------------------------------------------------------------------------------- install

POLICY_BACKUP=""
restore_policy() {
    rm -f /usr/sbin/policy-rc.d
    if [[ -n $POLICY_BACKUP ]]; then mv "$POLICY_BACKUP" /usr/sbin/policy-rc.d; fi
    POLICY_BACKUP=""
}

ensure_packages() {
    local missing=() c
    for c in munged munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel sacct; do
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    ((${#missing[@]} == 0)) && return 0
    say "installing munge and Slurm (missing: ${missing[*]}) ..."

    # Keep the packages' postinst from starting munge/slurmctld/slurmd: invoke-rc.d (and
    # deb-systemd-invoke) ask /usr/sbin/policy-rc.d, and exit 101 means "action forbidden". An existing
    # one that already forbids it (Docker images have one) is left alone; otherwise ours replaces it
    # for the duration of the install and the original is put back.
    local policy=/usr/sbin/policy-rc.d rc=0
    POLICY_BACKUP=""
    [[ -x $policy ]] && { "$policy" munge start >/dev/null 2>&1 || rc=$?; }
    if [[ $rc != 101 ]]; then
        if [[ -e $policy ]]; then POLICY_BACKUP=$policy.tt-local-cluster.bak; mv "$policy" "$POLICY_BACKUP"; fi
        printf '#!/bin/sh\n# temporary, from %s: no daemon starts during apt-get install\nexit 101\n' "$PROG" >"$policy"
        chmod 755 "$policy"
        trap restore_policy EXIT
    fi

    local pkgs=(munge slurmctld slurmd slurm-client) log=$STATE_DIR/apt.log
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends)
    if ! "${apt[@]}" "${pkgs[@]}" >"$log" 2>&1; then
        say "apt-get install failed; running apt-get update and retrying ..."
        apt-get update >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update failed (log: $log)"; }
        "${apt[@]}" "${pkgs[@]}" >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get install ${pkgs[*]} failed (log: $log)"; }
    fi
    if [[ $rc != 101 ]]; then restore_policy; trap - EXIT; fi
    for c in "${missing[@]}"; do command -v "$c" >/dev/null 2>&1 || die "still no $c after installing ${pkgs[*]}"; done
}

# ---------------------------------------------------------------------------------- munge

start_munge() {
    if munge_ok; then
        if ! alive_pid "$MUNGED_OURS" munged >/dev/null; then say "using the munged that is already running"; fi
        return 0
    fi
    rm -f "$MUNGED_OURS"
    local user=munge
    id -u munge >/dev/null 2>&1 || user=root
    install -d -m 0700 -o "$user" -g "$user" /etc/munge
    if [[ ! -s $MUNGE_KEY ]]; then
        say "creating $MUNGE_KEY"
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile="$MUNGE_KEY" --force
        else
            dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
        fi
    fi
    chown "$user:$user" "$MUNGE_KEY"
    chmod 0400 "$MUNGE_KEY"
    # munged insists on owning these and on them not being writable by others.
    install -d -m 0755 -o "$user" -g "$user" /run/munge
    install -d -m 0700 -o "$user" -g "$user" /var/lib/munge /var/log/munge
    if [[ $user == munge ]]; then
        runuser -u munge -- munged
    else
        munged --force   # no munge user: run as root; --force accepts root-owned paths
    fi
    local i
    for ((i = 0; i < 50; i++)); do munge_ok && break; sleep 0.2; done
    munge_ok || { tail -n 5 /var/log/munge/munged.log >&2 2>/dev/null || true; die "munged did not come up (munge -n | unmunge fails); log: /var/log/munge/munged.log"; }
    cp /run/munge/munged.pid "$MUNGED_OURS" 2>/dev/null || pgrep -n -x munged >"$MUNGED_OURS"
    say "munged started (pid $(cat "$MUNGED_OURS"))"
}

# ---------------------------------------------------------------------------------- slurm.conf

write_conf() {
    local node cpus mem hw
    node=$(hostname -s 2>/dev/null || uname -n)
    node=${node%%.*}
    [[ -n $node ]] || die "this machine has no host name (hostname -s is empty)"
    # slurmd -C prints e.g. "NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105"; fall back to /proc.
    hw=$(slurmd -C 2>/dev/null | head -n 1 || true)
    cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
    mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
    [[ -n $cpus ]] || cpus=$(nproc)
    [[ -n $mem ]] || mem=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))

    mkdir -p "$STATE_DIR"/{ctld-state,slurmd-spool,out}
    cat >"$CONF.tmp" <<EOF
$MARKER
# ($(date -u +%FT%TZ)); state, spool and logs under $STATE_DIR. Rewritten on every start.
ClusterName=tt-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
# cred_expire also delays a requeued job's restart (Slurm's default: 120 s)
AuthInfo=cred_expire=10
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=5,bf_interval=5
ReturnToService=2
KillWait=30
MinJobAge=600
InactiveLimit=0
Waittime=0
MaxArraySize=100001
MaxJobCount=200000
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$STATE_DIR/ctld-state
SlurmdSpoolDir=$STATE_DIR/slurmd-spool
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$STATE_DIR/slurmctld.log
SlurmdLogFile=$STATE_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$CONF.tmp" "$CONF"
    NODE=$node CPUS=$cpus MEM=$mem

    mkdir -p /etc/slurm
    if [[ ! -e $ETC_CONF ]] || head -n 1 "$ETC_CONF" | grep -qF "$MARKER"; then
        cp "$CONF" "$ETC_CONF.tmp" && mv "$ETC_CONF.tmp" "$ETC_CONF"
        ETC_COPIED=1
    else
        say "warning: $ETC_CONF is not ours; left alone (export SLURM_CONF=$CONF to use this cluster)"
        ETC_COPIED=0
    fi
}

# ---------------------------------------------------------------------------------- commands

# True if the node's slurmd registered at or after time $1 (like 2026-12-01T23:41:57), or if $1 is empty.
registered_since() {
    local t
    [[ -n $1 ]] || return 0
    t=$(scontrol show node "$NODE" 2>/dev/null | sed -n 's/.*SlurmdStartTime=\([0-9][^ ]*\).*/\1/p')
    [[ -n $t && ! $t < $1 ]]
}
node_state() { sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1; }

show_logs() {
    local f
    for f in "$STATE_DIR/slurmctld.log" "$STATE_DIR/slurmd.log"; do
        [[ -f $f ]] || continue
        echo "--- last lines of $f" >&2
        tail -n 15 "$f" >&2
    done
}

# Fails if a slurmctld/slurmd that is not ours holds the ports.
check_foreign() {
    local name ours pid conf
    for name in slurmctld slurmd; do
        ours=$(alive_pid "$STATE_DIR/$name.pid" "$name" || true)
        for pid in $(pgrep -x "$name" || true); do
            [[ $pid == "$ours" ]] && continue
            conf=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-f$/{n;p;q}')
            die "a $name (pid $pid) not started with STATE_DIR=$STATE_DIR is running; stop it first (${conf:+$0 stop $(dirname "$conf"), or }scontrol shutdown)"
        done
    done
}

cmd_start() {
    local t0=$SECONDS c s
    if c=$(ctld_pid) && s=$(slurmd_pid) && munge_ok; then
        say "already running (slurmctld pid $c, slurmd pid $s); SLURM_CONF=$CONF"
        return 0
    fi
    check_foreign
    mkdir -p "$STATE_DIR"
    ensure_packages
    start_munge
    export SLURM_CONF=$CONF
    if ctld_pid >/dev/null || slurmd_pid >/dev/null; then
        NODE=$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' "$CONF")   # keep the running daemons' conf
    else
        write_conf
    fi
    [[ -n ${NODE:-} ]] || die "no NodeName in $CONF"

    if ! ctld_pid >/dev/null; then
        # -i: ignore unreadable state files rather than refuse to start.
        slurmctld -i -f "$CONF" || { show_logs; die "slurmctld failed to start"; }
    fi
    local since="" steps=""
    if ! slurmd_pid >/dev/null; then
        steps=$(pgrep -x slurmstepd || true)   # none: no job can still be running
        since=$(date +%FT%T)
        slurmd -f "$CONF" -N "$NODE" || { show_logs; die "slurmd failed to start"; }
    fi

    local st="" resumed=0 deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        st=$(node_state || true)
        case $st in
            # a restarted slurmctld recovers the node's old state: wait for this slurmd's registration
            idle | mixed | allocated) if registered_since "$since"; then break; fi ;;
            *drain* | *drng*)
                if ((resumed == 0)); then
                    say "node $NODE is $st ($(sinfo -h -N -n "$NODE" -o %E)); resuming it"
                    scontrol update NodeName="$NODE" State=RESUME || true
                    resumed=1
                fi ;;
        esac
        ctld_pid >/dev/null || { show_logs; die "slurmctld exited during start-up"; }
        slurmd_pid >/dev/null || { show_logs; die "slurmd exited during start-up"; }
        sleep 1
    done
    case $st in
        idle | mixed | allocated)   # stop may have left the partition DOWN (requeue_running)
            scontrol update PartitionName="$PARTITION" State=UP || say "warning: could not set partition $PARTITION UP"
            if [[ -n $since && -z $steps ]]; then requeue_lost; fi ;;
        *) show_logs; sinfo -N -l >&2 || true
           die "node $NODE not idle after ${START_TIMEOUT}s (state: ${st:-unknown}); daemons left running for inspection, '$PROG stop $STATE_DIR' stops them" ;;
    esac

    local cfg_note="also copied to $ETC_CONF, so plain sinfo/sbatch/squeue work without it"
    [[ ${ETC_COPIED:-1} == 1 ]] || cfg_note="needed: $ETC_CONF belongs to another cluster"
    cat <<EOF
$PROG: Slurm is up in $((SECONDS - t0))s: node $NODE (${CPUS:-?} CPUs, ${MEM:-?} MB), partition $PARTITION (default), state $st.
  export SLURM_CONF=$CONF   # $cfg_note
  sinfo; squeue
  sbatch --array=0-3%2 --cpus-per-task=1 -o $STATE_DIR/out/%A_%a.out --wrap 'echo \$SLURM_ARRAY_TASK_ID'
  scontrol show job JOBID; scontrol requeue JOBID_TASK; scancel JOBID
  No accounting: sacct does not work; use squeue -r -t all / scontrol show job (finished jobs kept 600 s).
  Logs: $STATE_DIR/slurmctld.log, $STATE_DIR/slurmd.log. Stop: $0 stop $STATE_DIR
EOF
}

# Requeues the running jobs (scancel for those that can't be requeued) and waits for them to end, so
# that stopping leaves no job processes and no job that slurmctld would still think is running after
# the next start. Requeued jobs are PENDING again and run after the next start. Jobs get SIGTERM,
# then SIGKILL after KillWait (30 s), as when Slurm preempts or requeues them.
requeue_running() {
    local jobs j i
    jobs=$(squeue -h -t RUNNING,SUSPENDED -o %i 2>/dev/null || true)
    [[ -n $jobs ]] || return 0
    # First stop the scheduler from starting pending jobs on the freed CPUs (start sets it UP again).
    scontrol update PartitionName="$PARTITION" State=DOWN 2>/dev/null || true
    say "requeueing the running jobs (they run again after the next start): ${jobs//$'\n'/ }"
    for j in $jobs; do
        scontrol requeue "$j" 2>/dev/null || scancel "$j" 2>/dev/null || true
    done
    for ((i = 0; i < 45; i++)); do
        [[ -z $(squeue -h -t RUNNING,SUSPENDED,COMPLETING -o %i 2>/dev/null) ]] && return 0
        sleep 1
    done
    say "jobs still running after 45 s: $(squeue -h -t RUNNING,SUSPENDED,COMPLETING -o %i | tr '\n' ' ')"
}

# After a fresh slurmd start with no slurmstepd alive, jobs that slurmctld still lists as running are
# gone (slurmctld or the machine went down without `stop`); slurmctld would keep them RUNNING for a
# long while, so requeue them now (scancel those that can't be requeued).
requeue_lost() {
    local jobs j
    jobs=$(squeue -h -t RUNNING,SUSPENDED -o %i 2>/dev/null || true)
    [[ -n $jobs ]] || return 0
    say "requeueing jobs whose processes were lost when the cluster went down: ${jobs//$'\n'/ }"
    for j in $jobs; do
        scontrol requeue "$j" 2>/dev/null || scancel "$j" 2>/dev/null || true
    done
}

cmd_stop() {
    local c s m
    c=$(ctld_pid || true)
    s=$(slurmd_pid || true)
    m=$(alive_pid "$MUNGED_OURS" munged || true)
    if [[ -z $c && -z $s && -z $m ]]; then
        rm -f "$MUNGED_OURS"
        say "not running (STATE_DIR=$STATE_DIR)"
        return 0
    fi
    export SLURM_CONF=$CONF
    if [[ -n $c && -n $s ]]; then requeue_running; fi
    if [[ -n $c ]]; then
        say "scontrol shutdown"
        scontrol shutdown >/dev/null 2>&1 || true
    fi
    if [[ -n $c ]] && ! wait_gone "$c" 30; then stop_pid "$c" slurmctld 10; fi
    if [[ -n $s ]] && ! wait_gone "$s" 10; then stop_pid "$s" slurmd 10; fi
    # Normally none is left (requeue_running). Batch jobs outlive slurmd, so end any that are: each
    # slurmstepd runs in its own session with its job's processes, so TERM then KILL those sessions.
    # (slurmctld would still list such a job as RUNNING after the next start, for a long while.)
    local sids p
    sids=$(for p in $(pgrep -x slurmstepd || true); do ps -o sid= -p "$p" || true; done | sort -u | tr -d ' ')
    if [[ -n $sids ]]; then
        say "ending the jobs still running (sessions: ${sids//$'\n'/ })"
        kill_sessions TERM "$sids"
        local i
        for ((i = 0; i < 50; i++)); do [[ -z $(session_pids "$sids") ]] && break; sleep 0.2; done
        kill_sessions KILL "$sids"
    fi
    if [[ -n $m ]]; then
        stop_pid "$m" munged 10
        say "munged stopped"
    fi
    rm -f "$MUNGED_OURS"
    say "stopped (state kept in $STATE_DIR)"
}

cmd_status() {
    local c s
    c=$(ctld_pid || true)
    s=$(slurmd_pid || true)
    if [[ -z $c && -z $s ]]; then
        say "not running (STATE_DIR=$STATE_DIR)"
        return 3
    fi
    export SLURM_CONF=$CONF
    say "slurmctld pid ${c:-DOWN}, slurmd pid ${s:-DOWN}, munge $(munge_ok && echo ok || echo DOWN); SLURM_CONF=$CONF"
    sinfo || true
    squeue || true
}

case $CMD in
    start) require_root "$@"; cmd_start ;;
    stop) require_root "$@"; cmd_stop ;;
    status) require_root "$@"; cmd_status ;;
    *) usage ;;
esac
