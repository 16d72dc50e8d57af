#!/usr/bin/env bash
# Installs the real servers and tools the tests start on 127.0.0.1, from Debian's packages, when they
# are missing: the OpenSSH server (nodes over SSH), Chromium (the HTML report rendered headless),
# debootstrap with dpkg-dev (the SSH agent against real apt-get/dpkg in disposable Debian roots,
# test/ssh-apt-roots.test.ts: debootstrap builds the root, dpkg-deb and dpkg-scanpackages the test
# packages and their repository), and openssl (a throwaway CA for the HTTPS transport,
# test/node-transport.test.ts).
# The OpenStack suite installs its own packages (scripts/openstack/up.sh).
set -euo pipefail
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v sha256sum >/dev/null 2>&1 || need+=(coreutils)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
command -v dpkg-scanpackages >/dev/null 2>&1 || need+=(dpkg-dev)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${need[*]}; install them (Debian: apt-get install ${need[*]}) or run as root" >&2
  exit 0 # the tests that need them fail with the same advice
fi
# Keep package installs from starting services: the tests start their own, on 127.0.0.1 only.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
echo "install-test-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
