#!/usr/bin/python3
"""Idempotent API-side provisioning for the Escalator OpenStack test bed.

Called by up.sh with the system interpreter (/usr/bin/python3, which has keystoneauth1);
never with the `python3` on PATH. All settings come from the environment that up.sh sets.

  provision.py keystone   users, projects, roles, services and endpoints (needs Keystone only)
  provision.py finish     waits for the computes, then image, flavor, quotas, demo user,
                          application credential, a test boot, and writes env.json
  provision.py check      quick readiness check of a running cloud (fast path of up.sh)
"""

import datetime
import json
import os
import re
import sys
import time

from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

E = os.environ
IP = E["OS_BIND"]
REGION = E["OS_REGION"]
AUTH_URL = f"http://{IP}:{E['P_KEYSTONE']}/v3"
ADMIN_PASS = E["ADMIN_PASS"]
SERVICE_PASS = E["SERVICE_PASS"]
DEMO_PASS = E["DEMO_PASS"]
STATE = E["STATE"]
N = int(E["NCOMPUTE"])
HOSTS = [f"cmp-{i}" for i in range(1, N + 1)]
IMAGE_NAME = "escalator-tiny-raw"
FLAVORS = [  # name, id, vcpus, ram MB, disk GB
    ("escalator.tiny", "escalator-tiny", 1, 128, 1),
    ("escalator.small", "escalator-small", 2, 256, 1),
]
APP_CRED_NAME = "escalator-tests"
SERVICES = [  # service user, service name, type, url
    ("glance", "glance", "image", f"http://{IP}:{E['P_GLANCE']}"),
    ("placement", "placement", "placement", f"http://{IP}:{E['P_PLACEMENT']}"),
    ("nova", "nova", "compute", f"http://{IP}:{E['P_NOVA']}/v2.1"),
    ("neutron", "neutron", "network", f"http://{IP}:{E['P_NEUTRON']}"),
]
NOVA_MV = {"OpenStack-API-Version": "compute 2.79", "X-OpenStack-Nova-API-Version": "2.79"}


def log(msg):
    print(f"  {msg}", flush=True)


def admin_session():
    auth = v3.Password(auth_url=AUTH_URL, username="admin", password=ADMIN_PASS,
                       project_name="admin", user_domain_name="Default",
                       project_domain_name="Default")
    return ksa_session.Session(auth=auth)


def ep(stype):
    return dict(service_type=stype, interface="public", region_name=REGION)


def req(s, method, url, stype, ok=(200, 201, 202, 204), headers=None, **kw):
    """One API call with a few retries on connection trouble; returns the response."""
    for attempt in range(8):
        try:
            r = s.request(url, method, endpoint_filter=ep(stype), raise_exc=False,
                          headers=headers or {}, **kw)
        except (ksa_exc.ConnectFailure, ksa_exc.ConnectTimeout, ksa_exc.UnknownConnectionError):
            if attempt == 7:
                raise
            time.sleep(0.5)
            continue
        if r.status_code in ok:
            return r
        if r.status_code in (502, 503) and attempt < 7:
            time.sleep(0.5)
            continue
        raise SystemExit(f"{method} {stype}{url}: HTTP {r.status_code}: {r.text[:600]}")
    raise AssertionError("unreachable")


def get(s, url, stype, **kw):
    return req(s, "GET", url, stype, **kw).json()


# ----------------------------------------------------------------------------- keystone

def find_one(s, coll, key, **params):
    body = get(s, f"/{coll}", "identity", params=params)
    items = body[key]
    return items[0] if items else None


def ensure(s, coll, key, body, **params):
    found = find_one(s, coll, key, **params)
    if found:
        return found, False
    return req(s, "POST", f"/{coll}", "identity", json={key[:-1]: body}).json()[key[:-1]], True


def ensure_user(s, name, password, project_id):
    user = find_one(s, "users", "users", name=name, domain_id="default")
    if not user:  # (secrets.env and the database live and die together in the state dir)
        user = req(s, "POST", "/users", "identity", json={"user": {
            "name": name, "password": password, "domain_id": "default",
            "default_project_id": project_id, "enabled": True}}).json()["user"]
    return user


def grant(s, project_id, user_id, role_id):
    req(s, "PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}", "identity")


def cmd_keystone():
    s = admin_session()
    roles = {r["name"]: r["id"] for r in get(s, "/roles", "identity")["roles"]}
    for rn in ("admin", "member", "reader"):
        if rn not in roles:
            roles[rn] = req(s, "POST", "/roles", "identity",
                            json={"role": {"name": rn}}).json()["role"]["id"]
    service_project, _ = ensure(s, "projects", "projects",
                                {"name": "service", "domain_id": "default",
                                 "description": "Service project"},
                                name="service", domain_id="default")
    demo_project, _ = ensure(s, "projects", "projects",
                             {"name": "demo", "domain_id": "default",
                              "description": "Escalator demo project (member role tests)"},
                             name="demo", domain_id="default")
    for user, _, _, _ in SERVICES:
        u = ensure_user(s, user, SERVICE_PASS, service_project["id"])
        grant(s, service_project["id"], u["id"], roles["admin"])
    demo = ensure_user(s, "demo", DEMO_PASS, demo_project["id"])
    grant(s, demo_project["id"], demo["id"], roles["member"])
    for _, name, stype, url in SERVICES:
        svc, _ = ensure(s, "services", "services", {"name": name, "type": stype, "enabled": True},
                        type=stype)
        existing = get(s, "/endpoints", "identity", params={"service_id": svc["id"]})["endpoints"]
        for iface in ("public", "internal", "admin"):
            mine = [e for e in existing if e["interface"] == iface and e["region_id"] == REGION]
            if mine and mine[0]["url"] == url:
                continue
            for e in mine:
                req(s, "DELETE", f"/endpoints/{e['id']}", "identity")
            req(s, "POST", "/endpoints", "identity", json={"endpoint": {
                "service_id": svc["id"], "interface": iface, "url": url,
                "region_id": REGION, "enabled": True}})
    log("keystone: service users, demo user and endpoints in place")


# ----------------------------------------------------------------------------- finish

class Terminal(Exception):
    """A state that waiting will not change (e.g. a server in ERROR)."""


def wait_for(what, fn, timeout=180, interval=0.5):
    t0 = time.time()
    last = None
    while time.time() - t0 < timeout:
        try:
            res = fn()
        except SystemExit as e:  # an HTTP error while a service is still settling
            res, last = None, str(e)
        if res:
            log(f"{what}: ok after {time.time() - t0:.1f}s")
            return res
        time.sleep(interval)
    raise SystemExit(f"timed out waiting for {what} ({timeout}s); last error: {last}")


def compute_services(s):
    return get(s, "/os-services", "compute", params={"binary": "nova-compute"},
               headers={"OpenStack-API-Version": "compute 2.53",
                        "X-OpenStack-Nova-API-Version": "2.53"})["services"]


def heard_since(svc, since):
    """True if the service's heartbeat is newer than `since` (epoch seconds, 0: any)."""
    if not since:
        return True
    ts = svc.get("updated_at")
    if not ts:
        return False
    t = datetime.datetime.fromisoformat(ts).replace(tzinfo=datetime.timezone.utc).timestamp()
    return t >= since - 1


def computes_up(s, since=0):
    """Every cmp-i `up`; with `since`, also heard from after that time. A compute restarted less
    than service_down_time (60 s) after it stopped still shows `up` on its old heartbeat while
    the new process is starting, and the scheduler then finds no host: wait for a new one."""
    svcs = {x["host"]: x for x in compute_services(s)}
    return all(h in svcs and svcs[h]["state"] == "up" and heard_since(svcs[h], since)
               for h in HOSTS) and svcs


def hypervisors_listed(s):
    hv = get(s, "/os-hypervisors", "compute")["hypervisors"]
    names = {h["hypervisor_hostname"] for h in hv}
    return set(HOSTS) <= names


def providers_present(s):
    rps = get(s, "/resource_providers", "placement",
              headers={"OpenStack-API-Version": "placement 1.14"})["resource_providers"]
    names = {r["name"] for r in rps}
    if not set(HOSTS) <= names:
        return False
    # inventories are reported right after the provider is created; make sure they are there
    for r in rps:
        if r["name"] in HOSTS:
            inv = get(s, f"/resource_providers/{r['uuid']}/inventories", "placement")
            if "VCPU" not in inv["inventories"]:
                return False
    return True


def normalise_services(s):
    """A fresh bring-up hands the tests every compute enabled and not forced down."""
    for svc in compute_services(s):
        if svc["host"] in HOSTS and (svc["status"] != "enabled" or svc.get("forced_down")):
            req(s, "PUT", f"/os-services/{svc['id']}", "compute",
                json={"status": "enabled", "forced_down": False},
                headers={"OpenStack-API-Version": "compute 2.53",
                         "X-OpenStack-Nova-API-Version": "2.53"})
            log(f"re-enabled compute service on {svc['host']} (was {svc['status']})")


def remove_extra_computes(s):
    """cmp-k services beyond OPENSTACK_COMPUTE_COUNT (from an earlier, larger run) would show as
    down compute hosts: delete them (Nova removes their compute nodes and providers too)."""
    for svc in compute_services(s):
        h = svc["host"]
        if re.fullmatch(r"cmp-\d+", h) and h not in HOSTS:
            r = req(s, "DELETE", f"/os-services/{svc['id']}", "compute", ok=(204, 404, 409),
                    headers={"OpenStack-API-Version": "compute 2.53",
                             "X-OpenStack-Nova-API-Version": "2.53"})
            log(f"removed compute service {h}" if r.status_code != 409 else
                f"could not remove compute service {h}: {r.text[:200]}")


def purge_stale_servers(s, hosts):
    """The fake driver keeps guests in memory; after a compute restarts, servers left on it in
    the database have no guest behind them. Delete those (only on the restarted hosts)."""
    servers = [x for x in get(s, "/servers/detail", "compute", params={"all_tenants": "1"},
                              headers=NOVA_MV)["servers"]
               if x.get("OS-EXT-SRV-ATTR:host") in hosts]
    for srv in servers:
        req(s, "DELETE", f"/servers/{srv['id']}", "compute", ok=(204, 404))
    if servers:
        ids = {x["id"] for x in servers}
        log(f"deleting {len(servers)} server(s) left on restarted computes {sorted(hosts)}")
        wait_for("stale servers gone", lambda: not ids & {x["id"] for x in get(
            s, "/servers", "compute", params={"all_tenants": "1"})["servers"]}, timeout=120)


def ensure_image(s):
    imgs = get(s, "/v2/images", "image", params={"name": IMAGE_NAME})["images"]
    for img in imgs:
        if img["status"] == "active":
            return img["id"]
        req(s, "DELETE", f"/v2/images/{img['id']}", "image", ok=(204, 404))
    img = req(s, "POST", "/v2/images", "image", json={
        "name": IMAGE_NAME, "disk_format": "raw", "container_format": "bare",
        "visibility": "public", "min_disk": 0, "min_ram": 0}).json()
    data = b"\0" * 65536  # a 64 KiB raw "disk": the fake driver never reads it
    req(s, "PUT", f"/v2/images/{img['id']}/file", "image", data=data,
        headers={"Content-Type": "application/octet-stream"})
    wait_for("image active", lambda: get(
        s, f"/v2/images/{img['id']}", "image")["status"] == "active", timeout=60)
    return img["id"]


def ensure_flavors(s):
    have = {f["id"] for f in get(s, "/flavors", "compute", params={"is_public": "None"})["flavors"]}
    for name, fid, vcpus, ram, disk in FLAVORS:
        if fid not in have:
            req(s, "POST", "/flavors", "compute", json={"flavor": {
                "name": name, "id": fid, "vcpus": vcpus, "ram": ram, "disk": disk}})
    return FLAVORS[0][1]


def raise_quotas(s, project_id):
    req(s, "PUT", f"/os-quota-sets/{project_id}", "compute", json={"quota_set": {
        "instances": -1, "cores": -1, "ram": -1, "server_groups": -1,
        "server_group_members": -1, "key_pairs": -1, "metadata_items": -1}})


def ensure_app_cred(s, user_id):
    """Reuse the credential recorded in env.json if Keystone still has it, else make a new one."""
    for name in ("env.json", "env.last.json"):  # down.sh moves env.json to env.last.json
        path = os.path.join(STATE, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            old = json.load(f)
        cid, secret = old.get("applicationCredentialId"), old.get("applicationCredentialSecret")
        if cid and secret:
            r = req(s, "GET", f"/users/{user_id}/application_credentials/{cid}", "identity",
                    ok=(200, 404))
            if r.status_code == 200:
                return cid, secret
    for ac in get(s, f"/users/{user_id}/application_credentials", "identity",
                  params={"name": APP_CRED_NAME})["application_credentials"]:
        req(s, "DELETE", f"/users/{user_id}/application_credentials/{ac['id']}", "identity")
    ac = req(s, "POST", f"/users/{user_id}/application_credentials", "identity", json={
        "application_credential": {"name": APP_CRED_NAME,
                                   "description": "Escalator integration tests (admin)"}}
             ).json()["application_credential"]
    return ac["id"], ac["secret"]


def test_boot(s, image_id, flavor_id):
    t0 = time.time()
    srv = req(s, "POST", "/servers", "compute", headers=NOVA_MV, json={"server": {
        "name": "escalator-smoke", "imageRef": image_id, "flavorRef": flavor_id,
        "networks": "none"}}).json()["server"]

    def active():
        body = get(s, f"/servers/{srv['id']}", "compute", headers=NOVA_MV)["server"]
        if body["status"] == "ERROR":
            raise Terminal(f"test boot went to ERROR: {body.get('fault', {}).get('message')}")
        return body if body["status"] == "ACTIVE" else None

    try:
        body = wait_for("test boot ACTIVE", active, timeout=90, interval=0.3)
    except Terminal as e:
        req(s, "DELETE", f"/servers/{srv['id']}", "compute", ok=(204, 404))
        raise SystemExit(f"{e} (logs: {STATE}/log/nova-scheduler.log, nova-conductor.log)")
    host = body["OS-EXT-SRV-ATTR:host"]
    req(s, "DELETE", f"/servers/{srv['id']}", "compute", ok=(204, 404))
    wait_for("test server deleted", lambda: req(
        s, "GET", f"/servers/{srv['id']}", "compute", ok=(200, 404)).status_code == 404,
        timeout=60, interval=0.3)
    log(f"test boot on {host}: {time.time() - t0:.1f}s round trip")


def microversions(s):
    v = get(s, "/", "compute")["version"]
    return {"min": v["min_version"], "max": v["version"]}


def cmd_finish():
    full = E.get("FULL_BRINGUP") == "1"
    s = admin_session()
    # Neutron's first port query can fail until a network list has been made.
    wait_for("neutron answers a network list",
             lambda: get(s, "/v2.0/networks", "network") is not None)
    get(s, "/v2.0/ports", "network", params={"device_id": "none"})
    since = float(E.get("COMPUTES_STARTED_AT") or 0)
    wait_for(f"{N} nova-compute services up", lambda: computes_up(s, since), timeout=240)
    wait_for("hypervisors listed", lambda: hypervisors_listed(s), timeout=120)
    wait_for("placement resource providers with inventory", lambda: providers_present(s),
             timeout=180)
    if full:
        normalise_services(s)
        purge_hosts = set(E.get("PURGE_HOSTS", "").split())
        if purge_hosts:
            purge_stale_servers(s, purge_hosts)
        remove_extra_computes(s)
    image_id = ensure_image(s)
    flavor_id = ensure_flavors(s)
    admin_project = s.get_project_id()
    raise_quotas(s, admin_project)
    demo_project = find_one(s, "projects", "projects", name="demo", domain_id="default")
    raise_quotas(s, demo_project["id"])
    cid, secret = ensure_app_cred(s, s.get_user_id())
    if full or E.get("TEST_BOOT") == "1":
        test_boot(s, image_id, flavor_id)
    env = {
        "authUrl": AUTH_URL,
        "region": REGION,
        "username": "admin",
        "password": ADMIN_PASS,
        "projectName": "admin",
        "userDomainName": "Default",
        "projectDomainName": "Default",
        "projectId": admin_project,
        "computeHosts": HOSTS,
        "imageId": image_id,
        "flavorId": flavor_id,
        "flavorIdSmall": FLAVORS[1][1],
        "networkNone": True,
        "applicationCredentialId": cid,
        "applicationCredentialSecret": secret,
        "demoUsername": "demo",
        "demoPassword": DEMO_PASS,
        "demoProjectName": "demo",
        "computeDriver": E["DRIVER"],
        "computeMicroversion": microversions(s),
        "endpoints": {
            "identity": AUTH_URL,
            "compute": f"http://{IP}:{E['P_NOVA']}/v2.1",
            "placement": f"http://{IP}:{E['P_PLACEMENT']}",
            "image": f"http://{IP}:{E['P_GLANCE']}",
            "network": f"http://{IP}:{E['P_NEUTRON']}",
        },
        "stateDir": STATE,
        "writtenAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = os.path.join(STATE, "env.json")
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(env, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    log(f"wrote {path} (compute microversions {env['computeMicroversion']['min']}"
        f"..{env['computeMicroversion']['max']})")


def cmd_check():
    s = admin_session()
    if not computes_up(s):
        raise SystemExit("not all nova-compute services are up")
    get(s, "/v2.0/networks", "network")
    get(s, "/v2/images", "image", params={"name": IMAGE_NAME})
    get(s, "/resource_providers", "placement")
    log("running cloud answers: keystone, nova (all computes up), neutron, glance, placement")


if __name__ == "__main__":
    {"keystone": cmd_keystone, "finish": cmd_finish, "check": cmd_check}[sys.argv[1]]()
