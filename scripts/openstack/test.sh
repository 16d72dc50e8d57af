#!/usr/bin/env bash
# `npm run test:openstack`: bring up the real OpenStack on 127.0.0.1, run the adapter's integration
# tests and the end-to-end campaign against it, then stop it (set OPENSTACK_KEEP_RUNNING=1 to keep it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/up.sh"
rc=0
# One file after the other: both disable computes and move servers on the same cloud, and the campaign
# pauses (rightly) when the cloud changes under it.
ESCALATOR_REQUIRE_OPENSTACK=1 npx vitest run --no-file-parallelism \
  test/openstack-integration.test.ts test/openstack-campaign.test.ts test/openstack-cli.test.ts || rc=$?
[ "${OPENSTACK_KEEP_RUNNING:-0}" = 1 ] || bash "$here/down.sh"
exit "$rc"
