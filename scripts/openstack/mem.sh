#!/usr/bin/env bash
# Memory (RSS and PSS, MiB) and CPU time of every process group up.sh started.
set -euo pipefail
STATE=${OPENSTACK_STATE_DIR:-/var/tmp/escalator-openstack}
tot_rss=0 tot_pss=0
printf '%-20s %6s %5s %8s %8s %9s\n' service pgid procs rss_MiB pss_MiB cpu_s
for f in "$STATE"/run/*.pid; do
  [[ -e $f ]] || continue
  name=$(basename "$f" .pid)
  pgid=$(cat "$f")
  rss=0 pss=0 n=0 cpu=0
  for pid in $(ps -o pid= -g "$pgid" 2>/dev/null); do
    r=$(awk '/^Rss:/{print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    p=$(awk '/^Pss:/{print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    t=$(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0})) pss=$((pss + ${p:-0})) cpu=$((cpu + ${t:-0})) n=$((n + 1))
  done
  tot_rss=$((tot_rss + rss)) tot_pss=$((tot_pss + pss))
  printf '%-20s %6s %5d %8d %8d %9d\n' "$name" "$pgid" "$n" $((rss / 1024)) $((pss / 1024)) $((cpu / $(getconf CLK_TCK)))
done
printf '%-20s %6s %5s %8d %8d\n' TOTAL '' '' $((tot_rss / 1024)) $((tot_pss / 1024))
