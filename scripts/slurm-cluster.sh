#!/usr/bin/env bash
# A real single-node SLURM cluster on localhost, for the tests of the SLURM launcher and for CI.
#
#   scripts/slurm-cluster.sh start   install (Debian packages) and start munge, mariadb, slurmdbd,
#                                    slurmctld and slurmd, unless a cluster already answers
#   scripts/slurm-cluster.sh stop    stop only the daemons this script started (by recorded PID)
#   scripts/slurm-cluster.sh status  say whether a cluster answers
#
# Accounting (slurmdbd with mariadb) is on: without it submitit cannot learn that the scheduler
# killed a job, and a sweep would wait for it forever. Needs root (apt, daemons).
# The PIDs of what was started are kept in $PARTNERSIM_SLURM_STATE (default /tmp/partnersim-slurm).
set -euo pipefail
# The daemons and runuser live in /usr/sbin, which a non-login or minimal environment may leave
# off PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

STATE=${PARTNERSIM_SLURM_STATE:-/tmp/partnersim-slurm}
HOST=$(hostname -s)
DB_PASS=partnersim-slurm
say() { echo "slurm-cluster: $*" >&2; }

answers() { timeout 5 sinfo -h -N -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; }

record() { echo "$2" >>"$STATE/pids"; say "started $1 (pid $2)"; }

wait_for() { # seconds, description, command...
  local limit=$1 what=$2; shift 2
  for _ in $(seq $((limit * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  say "timed out waiting for $what"; return 1
}

install_packages() {
  command -v slurmctld >/dev/null && command -v slurmdbd >/dev/null && command -v mariadbd >/dev/null &&
    command -v munged >/dev/null && return 0
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  say "installing slurm-wlm, munge, slurmdbd and mariadb-server from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge slurmdbd mariadb-server >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  [ -f /etc/munge/munge.key ] || mungekey --create
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged
  wait_for 10 munge sh -c 'munge -n | unmunge'
  record munged "$(cat /run/munge/munged.pid)"
}

start_mariadb() {
  if mysqladmin ping >/dev/null 2>&1; then return 0; fi
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  mariadbd --user=mysql --bind-address=127.0.0.1 >"$STATE/mariadb.log" 2>&1 &
  record mariadbd $!
  wait_for 30 mariadb mysqladmin ping
  mysql -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
            CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
}

write_configs() {
  mkdir -p /etc/slurm /run/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  chown slurm:slurm /run/slurm /var/spool/slurmctld /var/log/slurm
  cat >/etc/slurm/slurmdbd.conf <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=slurm
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
PidFile=/run/slurm/slurmdbd.pid
LogFile=/var/log/slurm/slurmdbd.log
EOF
  chown slurm:slurm /etc/slurm/slurmdbd.conf && chmod 600 /etc/slurm/slurmdbd.conf
  local node
  node=$(slurmd -C | head -n 1 | sed -e "s/NodeName=[^ ]*/NodeName=$HOST NodeAddr=127.0.0.1/" -e 's/ UpTime=.*//')
  cat >/etc/slurm/slurm.conf <<EOF
ClusterName=partnersim
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobCompType=jobcomp/none
MinJobAge=300
# Seconds between the SIGTERM of a cancelled or timed-out job and its SIGKILL (default 30).
# submitit ignores the SIGTERM, so a cancelled job dies only at the KILL; 5 s keeps the tests of
# a killed job quick and sure that the job is still running when it dies.
KillWait=5
$node
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start_slurm() {
  slurmdbd
  wait_for 30 slurmdbd test -s /run/slurm/slurmdbd.pid
  record slurmdbd "$(cat /run/slurm/slurmdbd.pid)"
  wait_for 30 "slurmdbd to answer" sacctmgr -n list cluster
  sacctmgr -i add cluster partnersim >/dev/null 2>&1 || true
  slurmctld
  wait_for 30 slurmctld test -s /run/slurm/slurmctld.pid
  record slurmctld "$(cat /run/slurm/slurmctld.pid)"
  slurmd
  wait_for 30 slurmd test -s /run/slurm/slurmd.pid
  record slurmd "$(cat /run/slurm/slurmd.pid)"
  wait_for 60 "the node to be idle" answers
}

start() {
  if answers; then say "a cluster already answers; starting nothing"; return 0; fi
  [ "$(id -u)" = 0 ] || { say "needs root to install and start the daemons"; exit 1; }
  mkdir -p "$STATE"
  install_packages
  start_munge
  start_mariadb
  write_configs
  start_slurm
  say "ready: $(sinfo -h -o '%P %D %T')"
}

stop() {
  [ -f "$STATE/pids" ] || { say "nothing started by this script"; return 0; }
  tac "$STATE/pids" | while read -r pid; do
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
      say "stopped pid $pid"
    fi
  done
  rm -f "$STATE/pids"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then echo up; else echo down; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
