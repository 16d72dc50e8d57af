#!/usr/bin/env bash
# Brings up a real OpenStack (Debian 12 packages: OpenStack Zed) on 127.0.0.1 for Escalator's
# OpenStack adapter tests: MariaDB, RabbitMQ, Keystone, Glance, Placement, Nova (API, conductor,
# scheduler, N fake nova-compute hosts) and neutron-server. Idempotent: re-running it on a running
# cloud only checks it; after down.sh it restarts what is missing. See README.md beside it.
#
# Environment:
#   OPENSTACK_STATE_DIR      configs, data, logs, pids, env.json (default /var/tmp/escalator-openstack)
#   OPENSTACK_COMPUTE_COUNT  number of fake compute hosts cmp-1..cmp-N (default 3)
#   OPENSTACK_COMPUTE_DRIVER nova compute_driver (default fake.FakeDriver; fake.SmallFakeDriver and
#                            fake.MediumFakeDriver also live-migrate, with small capacities)
#   OPENSTACK_SKIP_INSTALL=1 do not run apt-get even if a package is missing (fail instead)
#   OPENSTACK_KEEP_SERVERS=1 keep servers left in the database when computes are restarted
set -euo pipefail

STATE=${OPENSTACK_STATE_DIR:-/var/tmp/escalator-openstack}
NCOMPUTE=${OPENSTACK_COMPUTE_COUNT:-3}
DRIVER=${OPENSTACK_COMPUTE_DRIVER:-fake.FakeDriver}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3 # never the `python3` on PATH: it may lack the OpenStack libraries
BIND=127.0.0.1
REGION=RegionOne
P_MYSQL=3306 P_RABBIT=5672 P_RABBIT_DIST=25672 P_EPMD=4369
P_KEYSTONE=5000 P_GLANCE=9292 P_PLACEMENT=8778 P_NOVA=8774 P_NEUTRON=9696

PKGS=(mariadb-server mariadb-client rabbitmq-server keystone placement-api glance-api
  python3-nova nova-api nova-conductor nova-scheduler neutron-server python3-openstackclient
  uwsgi-core uwsgi-plugin-python3 python3-pymysql)

[[ $(id -u) == 0 ]] || { echo "up.sh must run as root" >&2; exit 1; }
[[ $NCOMPUTE =~ ^[1-9][0-9]*$ ]] || { echo "OPENSTACK_COMPUTE_COUNT must be a positive integer" >&2; exit 1; }

T_START=$(date +%s%N)
T_LAST=$T_START
phase() { # prints how long the phase that just ended took
  local now ms tot
  now=$(date +%s%N)
  ms=$(((now - T_LAST) / 1000000))
  tot=$(((now - T_START) / 1000000))
  printf '== %-44s %4d.%ds   (total %d.%ds)\n' "$1" $((ms / 1000)) $((ms % 1000 / 100)) \
    $((tot / 1000)) $((tot % 1000 / 100))
  T_LAST=$now
}
die() { echo "up.sh: $*" >&2; exit 1; }

# ------------------------------------------------------------------------------------ install
install_packages() {
  local missing=() p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    phase "packages already installed"
    return
  fi
  [[ ${OPENSTACK_SKIP_INSTALL:-0} == 1 ]] && die "missing packages: ${missing[*]}"
  echo "installing ${#missing[@]} missing package(s): ${missing[*]}"
  # No service may start during the install: there is no systemd here, and the packaged services
  # would bind 0.0.0.0 with their own configs. A policy-rc.d that says 101 blocks invoke-rc.d.
  local policy=/usr/sbin/policy-rc.d backup=""
  if [[ -e $policy ]]; then
    backup=$policy.escalator-backup
    cp -p "$policy" "$backup"
  fi
  printf '#!/bin/sh\n# written by escalator scripts/openstack/up.sh during apt-get install\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  local rc=0
  {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q &&
      apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PKGS[@]}"
  } >"$STATE/log/apt-install.log" 2>&1 || rc=$?
  if [[ -n $backup ]]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi
  ((rc == 0)) || { tail -n 30 "$STATE/log/apt-install.log" >&2; die "apt-get failed (log: $STATE/log/apt-install.log)"; }
  grep -E 'newly installed|^Need to get' "$STATE/log/apt-install.log" || true
  phase "apt-get install"
}

# ------------------------------------------------------------------------------- processes
RUN=$STATE/run
LOG=$STATE/log
STARTED=()

svc_pid() { [[ -s $RUN/$1.pid ]] && cat "$RUN/$1.pid"; }
svc_running() { # alive, and still the leader of the process group we recorded
  local pid
  pid=$(svc_pid "$1") || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ $(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') == "$pid" ]]
}
port_busy() { (exec 3<>"/dev/tcp/$BIND/$1") 2>/dev/null; }

start_svc() { # start_svc NAME PORT|- COMMAND...   (own session; the pid is the process group)
  local name=$1 port=$2
  shift 2
  if svc_running "$name"; then return 0; fi
  rm -f "$RUN/$name.pid"
  if [[ $port != - ]] && port_busy "$port"; then
    die "port $port (for $name) is taken by a process this script did not start: $(ss -ltnpH "sport = :$port" | head -n 1)"
  fi
  # In a non-interactive bash a background job is not a process-group leader, so setsid(1)
  # calls setsid() in place and execs: $! is the session id and process group id.
  setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null 9>&- & # (9: the lock, not for services)
  local pid=$!
  echo "$pid" >"$RUN/$name.pid"
  echo "$name" >>"$RUN/order" # down.sh stops in reverse order
  STARTED+=("$name")
  local pgid="" try
  for try in $(seq 1 40); do # until setsid has run in the child
    pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || true
    [[ -z $pgid || $pgid == "$pid" ]] && return 0
    sleep 0.05
  done
  die "$name: pid $pid is not its own process group ($pgid)"
}

wait_until() { # wait_until SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2 t0=$SECONDS
  shift 2
  until "$@"; do
    ((SECONDS - t0 < limit)) || die "timed out after ${limit}s waiting for $what"
    sleep 0.25
  done
}
http_ok() { # any HTTP answer < 500 from a GET
  local code
  code=$(curl -s -o /dev/null -m 5 -H 'Connection: close' -w '%{http_code}' "$1") || return 1
  [[ $code =~ ^[1-4][0-9][0-9]$ ]]
}
check_alive() { # fail early, with the log tail, if a service died while we wait for it
  local n
  for n in "$@"; do
    svc_running "$n" || {
      tail -n 25 "$LOG/$n.log" >&2
      die "$n exited (log: $LOG/$n.log)"
    }
  done
}
wait_svc_http() { # wait_svc_http NAME URL
  local name=$1 url=$2 t0=$SECONDS
  until http_ok "$url"; do
    check_alive "$name"
    ((SECONDS - t0 < 120)) || die "timed out waiting for $name at $url"
    sleep 0.25
  done
}

# ---------------------------------------------------------------------------------- secrets
# One up.sh or down.sh at a time per state dir: a second run waits for the first. The lock file
# sits beside the state dir, so that `down.sh --purge` can hold it while it removes the dir.
mkdir -p "$(dirname "$STATE")"
exec 9>"${STATE%/}.lock"
if ! flock -n 9; then
  echo "another up.sh/down.sh is running on $STATE: waiting for it (up to 15 min)"
  flock -w 900 9 || die "still locked after 15 min"
fi
mkdir -p "$STATE" "$RUN" "$LOG" "$STATE/markers" "$STATE/etc" "$STATE/bin"
chmod 755 "$STATE" # the mysql user must traverse it to its datadir
chmod 700 "$STATE/etc"
install_packages

if [[ ! -s $STATE/secrets.env ]]; then
  rnd() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
  umask 077
  cat >"$STATE/secrets.env" <<EOF
ADMIN_PASS=$(rnd)
SERVICE_PASS=$(rnd)
DEMO_PASS=$(rnd)
DB_PASS=$(rnd)
EOF
  umask 022
fi
# shellcheck disable=SC1091
source "$STATE/secrets.env"
DB="mysql+pymysql://openstack:$DB_PASS@$BIND:$P_MYSQL"
TRANSPORT="rabbit://guest:guest@$BIND:$P_RABBIT/" # RabbitMQ's guest works over loopback only

# ------------------------------------------------------------------------------ fast path
quick_check() { # with curl (a Python interpreter with keystoneauth takes seconds to start)
  local body tok n c
  body=$(jq -cn --arg p "$ADMIN_PASS" '{auth: {identity: {methods: ["password"], password: {user:
    {name: "admin", domain: {name: "Default"}, password: $p}}}, scope: {project: {name: "admin",
    domain: {name: "Default"}}}}}')
  tok=$(curl -s -m 20 -D - -o /dev/null -H 'Content-Type: application/json' -d "$body" \
    "http://$BIND:$P_KEYSTONE/v3/auth/tokens" | awk 'tolower($1) == "x-subject-token:" {print $2}' | tr -d '\r')
  [[ -n $tok ]] || { echo "  no token from Keystone"; return 1; }
  n=$(curl -s -m 20 -H "X-Auth-Token: $tok" -H 'OpenStack-API-Version: compute 2.53' \
    "http://$BIND:$P_NOVA/v2.1/os-services?binary=nova-compute" |
    jq '[.services[] | select(.state == "up" and (.host | startswith("cmp-")))] | length' 2>/dev/null || echo 0)
  ((n == NCOMPUTE)) || { echo "  $n of $NCOMPUTE nova-compute services up"; return 1; }
  for u in "http://$BIND:$P_NEUTRON/v2.0/networks" "http://$BIND:$P_GLANCE/v2/images/$(jq -r .imageId "$STATE/env.json")" \
    "http://$BIND:$P_PLACEMENT/resource_providers"; do
    c=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $tok" "$u")
    [[ $c == 200 ]] || { echo "  $u: HTTP $c"; return 1; }
  done
  echo "  running cloud answers: keystone, nova ($n computes up), neutron, glance (image), placement"
}
# Everything up already and env.json written: only check that the cloud answers.
all_names=(mariadb epmd rabbitmq keystone glance placement neutron nova-api nova-conductor nova-scheduler)
for i in $(seq 1 "$NCOMPUTE"); do all_names+=("nova-compute-cmp-$i"); done
all_up=1
for n in "${all_names[@]}"; do svc_running "$n" || { all_up=0; break; }; done
for n in keystone placement nova-api; do [[ -S $RUN/$n.sock ]] || all_up=0; done
export OS_BIND=$BIND OS_REGION=$REGION P_KEYSTONE P_GLANCE P_PLACEMENT P_NOVA P_NEUTRON \
  ADMIN_PASS SERVICE_PASS DEMO_PASS STATE NCOMPUTE DRIVER
if ((all_up)) && [[ -s $STATE/env.json && -s $STATE/markers/driver ]] &&
  [[ $(cat "$STATE/markers/driver") == "$DRIVER/$NCOMPUTE" ]]; then
  if quick_check; then
    phase "already running: checked"
    echo "env: $STATE/env.json"
    exit 0
  fi
  echo "running cloud failed its check: going through the full bring-up"
fi

# ---------------------------------------------------------------------------------- configs
write_configs() {
  local E=$STATE/etc
  mkdir -p "$E"/{keystone,glance,placement,nova,neutron} "$STATE"/keystone/{fernet-keys,credential-keys} \
    "$STATE/glance/images" "$STATE/glance/staging" "$STATE"/{nova,neutron,glance,placement,keystone}/lock \
    "$STATE/nova/state"
  authtoken() { # authtoken USER: a [keystone_authtoken] section
    cat <<EOF
[keystone_authtoken]
www_authenticate_uri = http://$BIND:$P_KEYSTONE/
auth_url = http://$BIND:$P_KEYSTONE/
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SERVICE_PASS
region_name = $REGION
interface = public
EOF
  }
  service_client() { # service_client SECTION: credentials Nova uses towards another service
    cat <<EOF
[$1]
auth_type = password
auth_url = http://$BIND:$P_KEYSTONE/
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = $SERVICE_PASS
region_name = $REGION
valid_interfaces = public
EOF
  }

  cat >"$E/keystone/keystone.conf" <<EOF
[DEFAULT]
use_stderr = true
[database]
connection = $DB/keystone?charset=utf8
[token]
provider = fernet
[identity]
# bcrypt's minimum cost: every password login is ~50x cheaper (a test bed, not a vault)
password_hash_rounds = 4
[fernet_tokens]
key_repository = $STATE/keystone/fernet-keys
[fernet_receipts]
key_repository = $STATE/keystone/fernet-keys
[credential]
key_repository = $STATE/keystone/credential-keys
[oslo_concurrency]
lock_path = $STATE/keystone/lock
EOF

  {
    cat <<EOF
[DEFAULT]
bind_host = $BIND
bind_port = $P_GLANCE
# 0: serve from the one process (no forked worker)
workers = 0
use_stderr = true
[database]
connection = $DB/glance?charset=utf8
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $STATE/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $STATE/glance/staging
[oslo_concurrency]
lock_path = $STATE/glance/lock
EOF
    authtoken glance
  } >"$E/glance/glance-api.conf"

  {
    cat <<EOF
[DEFAULT]
use_stderr = true
[api]
auth_strategy = keystone
[placement_database]
connection = $DB/placement?charset=utf8
[oslo_concurrency]
lock_path = $STATE/placement/lock
EOF
    authtoken placement
  } >"$E/placement/placement.conf"

  {
    cat <<EOF
[DEFAULT]
bind_host = $BIND
bind_port = $P_NEUTRON
core_plugin = ml2
service_plugins =
auth_strategy = keystone
transport_url = $TRANSPORT
# 0: the API is served by the parent process; the RPC and the ml2 periodic workers are
# always forked (at least one each)
api_workers = 0
rpc_workers = 1
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
state_path = $STATE/neutron
use_stderr = true
[database]
connection = $DB/neutron?charset=utf8
[oslo_concurrency]
lock_path = $STATE/neutron/lock
EOF
    authtoken neutron
  } >"$E/neutron/neutron.conf"
  cat >"$E/neutron/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers =
[ml2_type_flat]
flat_networks = *
EOF

  {
    cat <<EOF
[DEFAULT]
transport_url = $TRANSPORT
my_ip = $BIND
state_path = $STATE/nova/state
enabled_apis = osapi_compute
use_stderr = true
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[api_database]
connection = $DB/nova_api?charset=utf8
[database]
connection = $DB/nova?charset=utf8
[scheduler]
workers = 1
[conductor]
workers = 1
[vnc]
enabled = false
[oslo_concurrency]
lock_path = $STATE/nova/lock
EOF
    authtoken nova
    service_client placement
    service_client neutron
    service_client glance
    echo "[cinder]"
    echo "os_region_name = $REGION"
  } >"$E/nova/nova.conf"
  for i in $(seq 1 "$NCOMPUTE"); do
    mkdir -p "$STATE/nova/cmp-$i"/{instances,lock}
    cat >"$E/nova/cmp-$i.conf" <<EOF
[DEFAULT]
host = cmp-$i
compute_driver = $DRIVER
state_path = $STATE/nova/cmp-$i
instances_path = $STATE/nova/cmp-$i/instances
[oslo_concurrency]
lock_path = $STATE/nova/cmp-$i/lock
EOF
  done
  # nova's compute entry point, from python3-nova: the nova-compute package would pull in
  # qemu, libvirt and systemd-sysv, none of which a fake driver needs.
  cat >"$STATE/bin/nova-compute" <<'EOF'
#!/usr/bin/python3
import sys
from nova.cmd.compute import main
sys.exit(main())
EOF
  chmod 755 "$STATE/bin/nova-compute"
}
write_configs
phase "configs written"

# ----------------------------------------------------------------------- MariaDB, RabbitMQ
MYSQL_DATA=$STATE/mysql
MYSQL_RUN=$STATE/mysql-run
SOCK=$MYSQL_RUN/mysqld.sock
mkdir -p "$MYSQL_RUN"
chown mysql:mysql "$MYSQL_RUN"
if [[ ! -d $MYSQL_DATA/mysql ]]; then
  rm -rf "$MYSQL_DATA"
  mkdir -p "$MYSQL_DATA"
  chown mysql:mysql "$MYSQL_DATA"
  mariadb-install-db --no-defaults --user=mysql --datadir="$MYSQL_DATA" \
    --auth-root-authentication-method=socket --skip-test-db >"$LOG/mariadb-install-db.log" 2>&1 ||
    { tail "$LOG/mariadb-install-db.log" >&2; die "mariadb-install-db failed"; }
  rm -f "$STATE"/markers/db-*
fi
# A private server: no /etc/mysql config, loopback only, durability traded for speed.
start_svc mariadb "$P_MYSQL" /usr/sbin/mariadbd --no-defaults --user=mysql \
  --datadir="$MYSQL_DATA" --socket="$SOCK" --pid-file="$MYSQL_RUN/mariadbd.pid" \
  --bind-address="$BIND" --port="$P_MYSQL" --skip-name-resolve \
  --character-set-server=utf8mb3 --collation-server=utf8mb3_general_ci \
  --max-connections=1000 --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 \
  --innodb-doublewrite=0 --skip-log-bin --log-error="$LOG/mariadb.err"

# epmd in our own session, so that RabbitMQ finds it running and does not daemonize one of its
# own outside any process group we know.
start_svc epmd "$P_EPMD" /usr/bin/epmd -address "$BIND" -port "$P_EPMD"
wait_until 10 "epmd" port_busy "$P_EPMD"
mkdir -p "$STATE/rabbitmq"
echo '[].' >"$STATE/rabbitmq/enabled_plugins" # no plugins: no management UI, less memory
start_svc rabbitmq "$P_RABBIT" env HOME="$STATE/rabbitmq" \
  RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS="$BIND" RABBITMQ_NODE_PORT="$P_RABBIT" \
  RABBITMQ_DIST_PORT="$P_RABBIT_DIST" ERL_EPMD_ADDRESS="$BIND" ERL_EPMD_PORT="$P_EPMD" \
  RABBITMQ_MNESIA_BASE="$STATE/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LOG/rabbitmq" \
  RABBITMQ_LOGS=- RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/rabbitmq/enabled_plugins" \
  RABBITMQ_PID_FILE="$STATE/rabbitmq/rabbit.pid" \
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+sbwt none +sbwtdcpu none +sbwtdio none" \
  /usr/lib/rabbitmq/bin/rabbitmq-server

t0=$SECONDS
until mariadb-admin --socket="$SOCK" -uroot ping >/dev/null 2>&1; do
  check_alive mariadb
  ((SECONDS - t0 < 60)) || die "MariaDB did not answer in 60s"
  sleep 0.2
done
mariadb --socket="$SOCK" -uroot <<EOF
CREATE DATABASE IF NOT EXISTS keystone; CREATE DATABASE IF NOT EXISTS glance;
CREATE DATABASE IF NOT EXISTS placement; CREATE DATABASE IF NOT EXISTS neutron;
CREATE DATABASE IF NOT EXISTS nova_api; CREATE DATABASE IF NOT EXISTS nova;
CREATE DATABASE IF NOT EXISTS nova_cell0;
CREATE USER IF NOT EXISTS 'openstack'@'$BIND' IDENTIFIED BY '$DB_PASS';
ALTER USER 'openstack'@'$BIND' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON keystone.* TO 'openstack'@'$BIND';
GRANT ALL PRIVILEGES ON glance.* TO 'openstack'@'$BIND';
GRANT ALL PRIVILEGES ON placement.* TO 'openstack'@'$BIND';
GRANT ALL PRIVILEGES ON neutron.* TO 'openstack'@'$BIND';
GRANT ALL PRIVILEGES ON nova_api.* TO 'openstack'@'$BIND';
GRANT ALL PRIVILEGES ON nova.* TO 'openstack'@'$BIND';
GRANT ALL PRIVILEGES ON nova_cell0.* TO 'openstack'@'$BIND';
EOF
phase "MariaDB up, databases present"

# ----------------------------------------------------------------------------- schema sync
# Each chain runs once per state dir (marker files), all chains in parallel.
K=$STATE/etc/keystone/keystone.conf
NC=$STATE/etc/nova/nova.conf
sync_chain() { # sync_chain NAME COMMAND...  runs the commands of one chain unless marked done
  local name=$1
  shift
  [[ -e $STATE/markers/db-$name ]] && return 0
  "$@" >>"$LOG/sync-$name.log" 2>&1 || { echo "schema sync $name failed:" >&2; tail -n 20 "$LOG/sync-$name.log" >&2; return 1; }
  touch "$STATE/markers/db-$name"
}
fernet_key() { head -c 32 /dev/urandom | base64 | tr '+/' '-_'; } # what keystone-manage makes
keystone_keys() { # keys 0 (staged) and 1 (primary), as fernet_setup/credential_setup would write
  local d
  for d in fernet-keys credential-keys; do
    [[ -s $STATE/keystone/$d/1 ]] && continue
    (umask 077 && fernet_key >"$STATE/keystone/$d/0" && fernet_key >"$STATE/keystone/$d/1")
  done
  chmod 700 "$STATE/keystone/fernet-keys" "$STATE/keystone/credential-keys"
}
keystone_sync() {
  keystone_keys && /usr/bin/keystone-manage --config-file "$K" db_sync &&
    /usr/bin/keystone-manage --config-file "$K" bootstrap --bootstrap-password "$ADMIN_PASS" \
      --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
      --bootstrap-region-id "$REGION" \
      --bootstrap-admin-url "http://$BIND:$P_KEYSTONE/v3/" \
      --bootstrap-internal-url "http://$BIND:$P_KEYSTONE/v3/" \
      --bootstrap-public-url "http://$BIND:$P_KEYSTONE/v3/"
}
nova_api_sync() { # API database and the cell mappings: cell0 and cell1
  local rc=0
  /usr/bin/nova-manage --config-file "$NC" api_db sync &&
    /usr/bin/nova-manage --config-file "$NC" cell_v2 map_cell0 --database_connection "$DB/nova_cell0?charset=utf8" || return 1
  /usr/bin/nova-manage --config-file "$NC" cell_v2 create_cell --name cell1 --verbose || rc=$?
  ((rc == 0 || rc == 2)) # 2: that cell exists already
}
# The cell databases sync on their own (--local_cell), in parallel with the API database.
cat >"$STATE/etc/nova/cell0.conf" <<EOF
[database]
connection = $DB/nova_cell0?charset=utf8
EOF
pids=()
sync_chain keystone keystone_sync & pids+=($!)
sync_chain nova-api nova_api_sync & pids+=($!)
sync_chain nova /usr/bin/nova-manage --config-file "$NC" db sync --local_cell & pids+=($!)
sync_chain nova-cell0 /usr/bin/nova-manage --config-file "$NC" --config-file "$STATE/etc/nova/cell0.conf" db sync --local_cell & pids+=($!)
sync_chain placement /usr/bin/placement-manage --config-file "$STATE/etc/placement/placement.conf" db sync & pids+=($!)
sync_chain glance /usr/bin/glance-manage --config-file "$STATE/etc/glance/glance-api.conf" db_sync & pids+=($!)
sync_chain neutron /usr/bin/neutron-db-manage --config-file "$STATE/etc/neutron/neutron.conf" \
  --config-file "$STATE/etc/neutron/ml2_conf.ini" upgrade heads & pids+=($!)
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
((fail == 0)) || die "a schema sync failed (logs: $LOG/sync-*.log)"
phase "schemas in sync"

# -------------------------------------------------------------------------------- API services
uwsgi_svc() { # uwsgi_svc NAME PORT WSGI_FILE THREADS [ENV=VALUE...]
  local name=$1 port=$2 file=$3 threads=$4
  shift 4
  # uWSGI's HTTP router (--http, plugin "http") takes the client connections and keeps them
  # alive without holding a worker; the worker listens on a unix socket. With --http-socket a
  # reused connection gets reset, and with --http11-socket an idle keep-alive connection holds
  # the only worker thread for 4 s. --die-on-term: SIGTERM stops instead of reloading.
  if svc_running "$name" && [[ ! -S $RUN/$name.sock ]]; then
    echo "$name: running without its worker socket: restarting it"
    kill -INT -- "-$(svc_pid "$name")" 2>/dev/null || true
    wait_until 30 "$name to stop" eval '! kill -0 -- "-$(svc_pid "$name")" 2>/dev/null'
  fi
  svc_running "$name" || rm -f "$RUN/$name.sock"
  start_svc "$name" "$port" env "$@" /usr/bin/uwsgi --plugins python3,http \
    --socket "$RUN/$name.sock" --http "$BIND:$port" --http-keepalive --http-auto-chunked \
    --wsgi-file "$file" --master --processes 1 --threads "$threads" \
    --enable-threads --lazy-apps --die-on-term --need-app --buffer-size 65535 \
    --procname-prefix-spaced "$name" --disable-logging --log-5xx --log-4xx
}
uwsgi_svc keystone "$P_KEYSTONE" /usr/bin/keystone-wsgi-public 4 \
  OS_KEYSTONE_CONFIG_DIR="$STATE/etc/keystone" OS_KEYSTONE_CONFIG_FILES=keystone.conf
uwsgi_svc placement "$P_PLACEMENT" /usr/bin/placement-api 4 OS_PLACEMENT_CONFIG_DIR="$STATE/etc/placement"
# nova's WSGI app takes its paste config from the first of its config files
uwsgi_svc nova-api "$P_NOVA" /usr/bin/nova-api-wsgi 1 \
  OS_NOVA_CONFIG_DIR="$STATE/etc/nova" OS_NOVA_CONFIG_FILES="/etc/nova/api-paste.ini;nova.conf"
start_svc glance "$P_GLANCE" /usr/bin/glance-api --config-file "$STATE/etc/glance/glance-api.conf"
start_svc neutron "$P_NEUTRON" /usr/bin/neutron-server --config-file "$STATE/etc/neutron/neutron.conf" \
  --config-file "$STATE/etc/neutron/ml2_conf.ini"

wait_svc_http keystone "http://$BIND:$P_KEYSTONE/v3"
phase "Keystone answers"
"$PY" "$HERE/provision.py" keystone
phase "Keystone users, services, endpoints"

wait_svc_http placement "http://$BIND:$P_PLACEMENT/"
phase "Placement answers"

# ------------------------------------------------------------------------------ Nova services
start_svc nova-conductor - /usr/bin/nova-conductor --config-file "$NC"
start_svc nova-scheduler - /usr/bin/nova-scheduler --config-file "$NC"
mysql_q() { mariadb --socket="$SOCK" -uroot -N -B -e "$1"; }
report_count() { # heartbeats a compute has written so far (-1: never registered)
  mysql_q "SELECT COALESCE(MAX(report_count), -1) FROM nova.services WHERE host = '$1' AND \`binary\` = 'nova-compute' AND deleted = 0"
}
# Another driver or fewer hosts than last time: stop the computes that no longer fit (their
# service records are deleted by provision.py finish).
old_marker=$(cat "$STATE/markers/driver" 2>/dev/null || true)
if [[ -n $old_marker && $old_marker != "$DRIVER/$NCOMPUTE" ]]; then
  for f in "$RUN"/nova-compute-cmp-*.pid; do
    [[ -e $f ]] || continue
    n=$(basename "$f" .pid)
    i=${n#nova-compute-cmp-}
    if [[ ${old_marker%/*} != "$DRIVER" ]] || ((i > NCOMPUTE)); then
      if svc_running "$n"; then
        echo "$n: stopping it (was $old_marker, now $DRIVER/$NCOMPUTE)"
        kill -TERM -- "-$(svc_pid "$n")" 2>/dev/null || true
        wait_until 30 "$n to stop" eval '! kill -0 -- "-$(svc_pid "$n")" 2>/dev/null'
      fi
      rm -f "$f"
    fi
  done
fi
COMPUTES_STARTED_AT=0
declare -A RC0=() # report_count before (re)start, for computes started by this run
for i in $(seq 1 "$NCOMPUTE"); do
  if ! svc_running "nova-compute-cmp-$i"; then
    COMPUTES_STARTED_AT=$(date +%s)
    RC0[cmp-$i]=$(report_count "cmp-$i")
  fi
  start_svc "nova-compute-cmp-$i" - "$STATE/bin/nova-compute" --config-file "$NC" \
    --config-file "$STATE/etc/nova/cmp-$i.conf"
done
echo "$DRIVER/$NCOMPUTE" >"$STATE/markers/driver"

# RabbitMQ must have started its own epmd client against ours, not a daemon of its own.
wait_until 60 "RabbitMQ on port $P_RABBIT" port_busy "$P_RABBIT"
epmd_now=$(ss -ltnpH "sport = :$P_EPMD" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true)
if [[ -n $epmd_now && $epmd_now != "$(svc_pid epmd || true)" ]]; then
  echo "$epmd_now" >"$RUN/epmd-daemon.pid" # not in our group: down.sh stops it by pid
fi
wait_svc_http nova-api "http://$BIND:$P_NOVA/"
wait_svc_http glance "http://$BIND:$P_GLANCE/"
wait_svc_http neutron "http://$BIND:$P_NEUTRON/"
phase "Nova API, Glance, Neutron answer"

# A (re)started compute is ready once it has sent a heartbeat of its own: the periodic report
# starts after its RPC server. (Its old heartbeat keeps it "up" for 60 s after it stopped.)
computes_ready() {
  local h now
  for h in "${!RC0[@]}"; do
    now=$(report_count "$h")
    ((now > (${RC0[$h]} < 0 ? 0 : ${RC0[$h]}))) || return 1 # a new service starts at 0
  done
  [[ $(mysql_q "SELECT COUNT(*) FROM nova.compute_nodes WHERE deleted=0 AND host LIKE 'cmp-%'") -ge $NCOMPUTE ]]
}
# Compute nodes appear in the cell database once each compute has started; map them to the cell.
t0=$SECONDS
until computes_ready; do
  for i in $(seq 1 "$NCOMPUTE"); do check_alive "nova-compute-cmp-$i"; done
  check_alive nova-conductor nova-scheduler
  ((SECONDS - t0 < 240)) || die "compute nodes did not register in 240s (logs: $LOG/nova-compute-*.log)"
  sleep 0.5
done
unmapped=$(mysql_q "SELECT COUNT(*) FROM nova.compute_nodes c WHERE c.deleted=0 AND NOT EXISTS (SELECT 1 FROM nova_api.host_mappings h WHERE h.host=c.host)")
if ((unmapped > 0)); then
  /usr/bin/nova-manage --config-file "$NC" cell_v2 discover_hosts >>"$LOG/discover-hosts.log" 2>&1
fi
phase "computes reporting, nodes registered and mapped"

PURGE_HOSTS="" # servers recorded on these hosts lost their fake guests: delete them
[[ ${OPENSTACK_KEEP_SERVERS:-0} == 1 ]] || PURGE_HOSTS="${!RC0[*]}"
FULL_BRINGUP=1 PURGE_HOSTS=$PURGE_HOSTS COMPUTES_STARTED_AT=$COMPUTES_STARTED_AT \
  "$PY" "$HERE/provision.py" finish
phase "ready: computes, image, flavor, quotas, test boot"

# An openrc for the CLI (/usr/bin/openstack), beside env.json.
umask 077
cat >"$STATE/admin-openrc.sh" <<EOF
export OS_AUTH_URL=http://$BIND:$P_KEYSTONE/v3
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=$REGION
export OS_INTERFACE=public
export OS_USERNAME=admin
export OS_PASSWORD=$ADMIN_PASS
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
EOF
umask 022
echo "started this run: ${STARTED[*]:-nothing}"
echo "env: $STATE/env.json   CLI: source $STATE/admin-openrc.sh && /usr/bin/openstack ..."
