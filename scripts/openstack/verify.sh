#!/usr/bin/env bash
# Proves the running test bed with the OpenStack CLI (/usr/bin/openstack): every compute up and
# listed as a hypervisor; one server per host booted one after another into an anti-affinity
# group; a live migration onto a host that holds another member refused (server stays put); a
# live migration to a chosen free host done and recorded as completed; a compute service
# disabled with a reason and enabled again. Cleans up what it made. Needs up.sh to have run.
set -euo pipefail

STATE=${OPENSTACK_STATE_DIR:-/var/tmp/escalator-openstack}
[[ -s $STATE/env.json ]] || { echo "no $STATE/env.json: run scripts/openstack/up.sh first" >&2; exit 1; }
# shellcheck disable=SC1091
source "$STATE/admin-openrc.sh"
export OS_COMPUTE_API_VERSION=2.79
O=/usr/bin/openstack
IMG=$(jq -r .imageId "$STATE/env.json")
FLV=$(jq -r .flavorId "$STATE/env.json")
mapfile -t ALL_HOSTS < <(jq -r '.computeHosts[]' "$STATE/env.json")
TAG=escalator-verify-$$
T0=$SECONDS
step() { printf '[%4ds] %s\n' $((SECONDS - T0)) "$*"; }
fail() { echo "VERIFY FAILED: $*" >&2; exit 1; }

DISABLED="" # the compute service this script disabled, if any, until it enabled it again
cleanup() {
  local ids
  ids=$($O server list --name "^$TAG-" -f value -c ID 2>/dev/null || true)
  # shellcheck disable=SC2086
  [[ -n $ids ]] && $O server delete --wait $ids >/dev/null 2>&1 || true
  $O server group delete "$TAG" >/dev/null 2>&1 || true
  [[ -z $DISABLED ]] || $O compute service set --enable "$DISABLED" nova-compute >/dev/null 2>&1 || true
}
trap 'rc=$?; ((rc == 0)) || echo "VERIFY FAILED (exit $rc) near line $LINENO" >&2; cleanup' EXIT

osc() { # a read-only CLI call, tried 3 times (under load a call can hit a transient error)
  local i
  for i in 1 2 3; do
    "$O" "$@" && return 0
    sleep 1
  done
  return 1
}
host_of() { osc server show "$1" -f value -c OS-EXT-SRV-ATTR:host; }
status_of() { osc server show "$1" -f value -c status; }
last_migration() { # last_migration SERVER [DEST]: status of its newest migration (to DEST)
  osc server migration list --server "$1" -f json |
    jq -r --arg d "${2:-}" '[.[] | select($d == "" or ."Dest Compute" == $d)] | sort_by(.Id) | last | .Status // empty'
}

step "compute services and hypervisors"
services=$(osc compute service list --service nova-compute -f value -c Host -c Status -c State)
echo "$services"
up=$(grep -c ' up$' <<<"$services" || true)
((up == ${#ALL_HOSTS[@]})) || fail "$up of ${#ALL_HOSTS[@]} nova-compute services up"
# Another test may hold a host disabled: use the enabled ones (the scenario needs two).
mapfile -t HOSTS < <(awk '$2 == "enabled" && $3 == "up" {print $1}' <<<"$services")
N=${#HOSTS[@]}
((N >= 2)) || fail "needs at least two enabled compute hosts, has $N"
((N == ${#ALL_HOSTS[@]})) || step "using the $N enabled hosts: ${HOSTS[*]}"
hv=$(osc hypervisor list -f value -c "Hypervisor Hostname" | sort | tr '\n' ' ')
step "hypervisors: $hv"
[[ $(osc image show "$IMG" -f value -c status) == active ]] || fail "image $IMG not active"

step "server group $TAG (anti-affinity); booting $N members one after another"
SG=$($O server group create --policy anti-affinity "$TAG" -f value -c id)
declare -A ON
for i in $(seq 1 "$N"); do
  $O server create --image "$IMG" --flavor "$FLV" --nic none --hint group="$SG" --wait \
    "$TAG-$i" -f value -c id >/dev/null
  # (`server create --wait` prints "Error creating server" and still exits 0 when it fails)
  [[ $(status_of "$TAG-$i") == ACTIVE ]] || fail "$TAG-$i is $(status_of "$TAG-$i"), not ACTIVE"
  ON[$i]=$(host_of "$TAG-$i")
  step "  $TAG-$i ACTIVE on ${ON[$i]}"
done
distinct=$(printf '%s\n' "${ON[@]}" | sort -u | wc -l)
((distinct == N)) || fail "anti-affinity: $N members on $distinct hosts"

step "live-migrate $TAG-1 (${ON[1]}) to ${ON[2]}, which holds $TAG-2: must be refused"
$O server migrate --live-migration --host "${ON[2]}" "$TAG-1" 2>&1 || true
for _ in $(seq 1 40); do
  st=$(last_migration "$TAG-1" || true)
  [[ $st == error || $st == failed || $st == completed ]] && break
  sleep 0.5
done
now=$(host_of "$TAG-1")
step "  migration status: ${st:-none}; $TAG-1 is on $now, status $(status_of "$TAG-1")"
[[ $now == "${ON[1]}" ]] || fail "$TAG-1 moved onto a host of its anti-affinity group"
if [[ $(status_of "$TAG-1") == ERROR ]]; then
  $O server set --state active "$TAG-1" # os-resetState, as after a refused live migration
fi

step "delete $TAG-$N to free ${ON[$N]}, then live-migrate $TAG-1 there"
$O server delete --wait "$TAG-$N"
t=$SECONDS
$O server migrate --live-migration --host "${ON[$N]}" "$TAG-1"
for _ in $(seq 1 120); do
  [[ $(host_of "$TAG-1" || true) == "${ON[$N]}" ]] && break
  sleep 0.5
done
[[ $(host_of "$TAG-1") == "${ON[$N]}" ]] || fail "$TAG-1 did not move to ${ON[$N]}"
for _ in $(seq 1 60); do # the record may still say running for a moment after the host changed
  st=$(last_migration "$TAG-1" "${ON[$N]}" || true)
  [[ $st == completed ]] && break
  sleep 0.5
done
[[ $st == completed ]] || fail "migration record to ${ON[$N]} says '${st:-nothing}'"
step "  $TAG-1 moved ${ON[1]} -> ${ON[$N]} in $((SECONDS - t)) s (CLI included); migration completed"

H=${HOSTS[1]}
step "disable nova-compute on $H with a reason, then enable it"
DISABLED=$H
$O compute service set --disable --disable-reason "$TAG maintenance" "$H" nova-compute
row=$(osc compute service list --service nova-compute --long -f value -c Host -c Status -c "Disabled Reason" | grep "^$H ")
step "  $row"
[[ $row == "$H disabled $TAG maintenance" ]] || fail "unexpected service row: $row"
$O compute service set --enable "$H" nova-compute
DISABLED=""
row=$(osc compute service list --service nova-compute --long -f value -c Host -c Status | grep "^$H ")
[[ $row == "$H enabled" ]] || fail "unexpected service row after enable: $row"
step "  $row"
step "VERIFY OK"
