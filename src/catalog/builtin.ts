/**
 * The built-in component catalog: what upgrading each common NFV cloud component means. Durations are
 * typical figures for one node, used for estimates; a campaign's `components` may override any entry.
 */
import type { ComponentInput } from '../model/component.js';

const mysqlDump = {
  files: ['/etc/mysql'],
  databases: ['keystone', 'nova', 'nova_api', 'placement', 'neutron'],
};

/**
 * The built-in catalog, as written (defaults not yet applied). Use {@link resolveCatalog} to get a
 * validated catalog with a campaign's overrides merged in.
 */
export const BUILTIN_CATALOG: Readonly<Record<string, ComponentInput>> = {
  // Data stores first: every control service talks to them.
  mariadb: {
    roles: ['controller'],
    disruption: 'service-restart',
    rolling: true, // Galera accepts a member one minor version ahead during a rolling upgrade.
    expectedSeconds: 240,
    packages: ['mariadb-server', 'galera-4'],
    services: ['mariadb'],
    controlPlane: true,
    backup: mysqlDump,
  },
  'rabbitmq-server': {
    roles: ['controller'],
    disruption: 'service-restart',
    rolling: true, // feature flags allow mixed-version clusters since 3.8
    expectedSeconds: 180,
    packages: ['rabbitmq-server'],
    services: ['rabbitmq-server'],
    controlPlane: true,
    backup: { files: ['/etc/rabbitmq', '/var/lib/rabbitmq/mnesia'], databases: [] },
  },
  keystone: {
    roles: ['controller'],
    dependsOn: ['mariadb'],
    disruption: 'service-restart',
    expectedSeconds: 150,
    packages: ['keystone'],
    services: ['keystone'],
    controlPlane: true,
    backup: { files: ['/etc/keystone'], databases: ['keystone'] },
  },
  glance: {
    roles: ['controller'],
    dependsOn: ['keystone'],
    disruption: 'service-restart',
    expectedSeconds: 120,
    packages: ['glance-api'],
    services: ['glance-api'],
    controlPlane: true,
    backup: { files: ['/etc/glance'], databases: ['glance'] },
  },
  placement: {
    roles: ['controller'],
    dependsOn: ['keystone'],
    disruption: 'service-restart',
    expectedSeconds: 120,
    packages: ['placement-api'],
    services: ['placement-api'],
    controlPlane: true,
    backup: { files: ['/etc/placement'], databases: ['placement'] },
  },
  'nova-api': {
    roles: ['controller'],
    dependsOn: ['keystone', 'placement', 'rabbitmq-server'],
    disruption: 'service-restart',
    expectedSeconds: 180,
    packages: ['nova-api'],
    services: ['nova-api'],
    controlPlane: true,
    backup: { files: ['/etc/nova'], databases: ['nova_api', 'nova'] },
  },
  'nova-conductor': {
    roles: ['controller'],
    dependsOn: ['nova-api'],
    disruption: 'service-restart',
    expectedSeconds: 120,
    packages: ['nova-conductor'],
    services: ['nova-conductor'],
    controlPlane: true,
    backup: { files: ['/etc/nova'], databases: [] },
  },
  'nova-scheduler': {
    roles: ['controller'],
    dependsOn: ['nova-conductor', 'placement'],
    disruption: 'service-restart',
    expectedSeconds: 90,
    packages: ['nova-scheduler'],
    services: ['nova-scheduler'],
    controlPlane: true,
    backup: { files: ['/etc/nova'], databases: [] },
  },
  // Computes follow their conductors: a newer compute must never talk to an older conductor.
  'nova-compute': {
    roles: ['compute'],
    dependsOn: ['nova-conductor', 'nova-scheduler', 'nova-api'],
    disruption: 'service-restart',
    expectedSeconds: 120,
    packages: ['nova-compute'],
    services: ['nova-compute'],
    backup: { files: ['/etc/nova'], databases: [] },
  },
  'neutron-server': {
    roles: ['controller', 'network'],
    dependsOn: ['keystone', 'rabbitmq-server'],
    disruption: 'service-restart',
    expectedSeconds: 150,
    packages: ['neutron-server'],
    services: ['neutron-server'],
    controlPlane: true,
    backup: { files: ['/etc/neutron'], databases: ['neutron'] },
  },
  // Open vSwitch restarts drop the datapath for a moment: instances leave first.
  openvswitch: {
    roles: ['compute', 'network'],
    disruption: 'evacuate',
    expectedSeconds: 120,
    packages: ['openvswitch-switch', 'openvswitch-common'],
    services: ['openvswitch-switch'],
    backup: { files: ['/etc/openvswitch'], databases: [] },
  },
  'neutron-openvswitch-agent': {
    roles: ['compute', 'network'],
    dependsOn: ['neutron-server', 'openvswitch'],
    disruption: 'service-restart',
    expectedSeconds: 90,
    packages: ['neutron-openvswitch-agent'],
    services: ['neutron-openvswitch-agent'],
    backup: { files: ['/etc/neutron'], databases: [] },
  },
  'neutron-l3-agent': {
    roles: ['network'],
    dependsOn: ['neutron-server', 'neutron-openvswitch-agent'],
    disruption: 'service-restart', // HA routers fail over to the other network node
    expectedSeconds: 90,
    packages: ['neutron-l3-agent'],
    services: ['neutron-l3-agent'],
    controlPlane: true,
    backup: { files: ['/etc/neutron'], databases: [] },
  },
  'neutron-dhcp-agent': {
    roles: ['network'],
    dependsOn: ['neutron-server', 'neutron-openvswitch-agent'],
    disruption: 'service-restart',
    expectedSeconds: 60,
    packages: ['neutron-dhcp-agent'],
    services: ['neutron-dhcp-agent'],
    controlPlane: true,
    backup: { files: ['/etc/neutron'], databases: [] },
  },
  'cinder-api': {
    roles: ['controller'],
    dependsOn: ['keystone', 'rabbitmq-server'],
    disruption: 'service-restart',
    expectedSeconds: 120,
    packages: ['cinder-api', 'cinder-scheduler'],
    services: ['cinder-api', 'cinder-scheduler'],
    controlPlane: true,
    backup: { files: ['/etc/cinder'], databases: ['cinder'] },
  },
  'cinder-volume': {
    roles: ['storage', 'controller'],
    dependsOn: ['cinder-api'],
    disruption: 'service-restart',
    expectedSeconds: 120,
    packages: ['cinder-volume'],
    services: ['cinder-volume'],
    controlPlane: true,
    backup: { files: ['/etc/cinder'], databases: [] },
  },
  'ceph-mon': {
    roles: ['controller', 'storage'],
    disruption: 'service-restart',
    expectedSeconds: 180,
    packages: ['ceph-mon'],
    services: ['ceph-mon.target'],
    controlPlane: true,
    backup: { files: ['/etc/ceph', '/var/lib/ceph/mon'], databases: [] },
  },
  // OSDs only after every monitor runs the new release (Ceph's documented upgrade order).
  'ceph-osd': {
    roles: ['storage'],
    dependsOn: ['ceph-mon'],
    disruption: 'service-restart',
    expectedSeconds: 300,
    packages: ['ceph-osd'],
    services: ['ceph-osd.target'],
    backup: { files: ['/etc/ceph'], databases: [] },
  },
  libvirt: {
    roles: ['compute'],
    disruption: 'service-restart', // running domains survive a libvirtd restart
    expectedSeconds: 90,
    packages: ['libvirt-daemon-system', 'libvirt-clients'],
    services: ['libvirtd'],
    backup: { files: ['/etc/libvirt'], databases: [] },
  },
  // Running guests keep the old qemu binary until they move: move them so they pick up the new one.
  qemu: {
    roles: ['compute'],
    dependsOn: ['libvirt'],
    disruption: 'evacuate',
    expectedSeconds: 90,
    packages: ['qemu-system-x86', 'qemu-utils'],
    backup: { files: [], databases: [] },
  },
  kernel: {
    roles: ['controller', 'compute', 'network', 'storage'],
    disruption: 'reboot',
    expectedSeconds: 420,
    packages: ['linux-image-amd64'],
    backup: { files: [], databases: [] }, // the previous kernel stays installed and bootable
  },
};
