#!/usr/bin/env bash
# Stops everything scripts/openstack/up.sh started, by the process groups it recorded (and an
# epmd daemon by its recorded pid, should RabbitMQ ever have spawned one). Leaves the packages,
# the configs and the data in $OPENSTACK_STATE_DIR; idempotent. Remove the state dir yourself
# for a clean slate (up.sh then creates a fresh cloud).
set -euo pipefail

STATE=${OPENSTACK_STATE_DIR:-/var/tmp/escalator-openstack}
RUN=$STATE/run
PURGE=0
case ${1:-} in
--purge) PURGE=1 ;; # also remove the state dir: the next up.sh makes a brand-new cloud
"") ;;
*) echo "usage: down.sh [--purge]" >&2; exit 2 ;;
esac
exec 9>"${STATE%/}.lock" # one up.sh or down.sh at a time (the lock sits beside the state dir)
if ! flock -n 9; then
  echo "another up.sh/down.sh is running on $STATE: waiting for it (up to 15 min)"
  flock -w 900 9 || { echo "still locked after 15 min" >&2; exit 1; }
fi
purge() {
  if ((PURGE)); then
    rm -rf "$STATE"
    echo "removed $STATE"
  fi
}
[[ -d $RUN ]] || { echo "nothing to stop (no $RUN)"; purge; exit 0; }
# env.json means "a ready cloud is here": move it aside first, so tests skip instead of failing.
[[ -e $STATE/env.json ]] && mv -f "$STATE/env.json" "$STATE/env.last.json"

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

stop_group() { # stop_group NAME PGID
  local name=$1 pgid=$2 sig=TERM i t0=$SECONDS
  # uwsgi reloads on SIGTERM unless told otherwise; SIGINT always stops it.
  [[ $name == keystone || $name == placement || $name == nova-api ]] && sig=INT
  group_alive "$pgid" || return 0
  kill "-$sig" -- "-$pgid" 2>/dev/null || true
  for i in $(seq 1 60); do # up to 15 s
    group_alive "$pgid" || { echo "stopped $name (pgid $pgid, $((SECONDS - t0)) s)"; return 0; }
    sleep 0.25
  done
  kill -KILL -- "-$pgid" 2>/dev/null || true
  echo "killed $name (pgid $pgid) after 15 s"
}

# Every service up.sh recorded (run/order lists them in start order).
names=()
if [[ -s $RUN/order ]]; then
  mapfile -t names < <(tac "$RUN/order" | awk '!seen[$0]++')
fi
for f in "$RUN"/*.pid; do
  [[ -e $f ]] || continue
  n=$(basename "$f" .pid)
  [[ " ${names[*]} " == *" $n "* ]] || names+=("$n")
done

# Three tiers, each stopped in parallel: all OpenStack services; then RabbitMQ and MariaDB;
# then epmd. (A service stops gracefully while the message bus and the database are still up.)
stop_tier() { # stop_tier NAME...
  local n pids=() p
  for n in "$@"; do
    [[ -s $RUN/$n.pid ]] || continue
    stop_group "$n" "$(cat "$RUN/$n.pid")" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for n in "$@"; do rm -f "$RUN/$n.pid"; done
}
tier1=() tier2=()
for n in "${names[@]}"; do
  case $n in
  epmd) ;;
  rabbitmq | mariadb) tier2+=("$n") ;;
  *) tier1+=("$n") ;;
  esac
done
stop_tier "${tier1[@]}"
stop_tier "${tier2[@]}"
stop_tier epmd
# An epmd that RabbitMQ daemonized itself (up.sh records it by pid, if there ever was one).
if [[ -s $RUN/epmd-daemon.pid ]]; then
  kill -TERM "$(cat "$RUN/epmd-daemon.pid")" 2>/dev/null && echo "stopped epmd daemon (pid $(cat "$RUN/epmd-daemon.pid"))" || true
  rm -f "$RUN/epmd-daemon.pid"
fi
rm -f "$RUN/order"
if ((PURGE)); then
  echo "OpenStack test bed stopped"
  purge
else
  echo "OpenStack test bed stopped (state kept in $STATE)"
fi
