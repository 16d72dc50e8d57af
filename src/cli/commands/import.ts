/**
 * `escalator import -o inventory.yaml [--merge overlay.yaml]`: reads the live cloud the configuration
 * names — computes, servers, server groups and capacity from Nova and Placement — merges what the
 * operator knows (controllers, clusters, VNFs, maintenance, sites), then reads each node's installed
 * versions through the node agent (`dpkg-query`/`rpm` over SSH). Prints what it found and what it could
 * not; writes an Inventory that `plan`, `precheck` and `run` take as it is.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { importInventory } from '../../adapters/openstack/index.js';
import { resolveCatalog } from '../../catalog/catalog.js';
import { ErrorCode, EscalatorError } from '../../errors.js';
import { loadInventoryOverlay, mergeInventory } from '../../loader/load.js';
import type { Inventory } from '../../model/inventory.js';
import { mapLimit } from '../../util/map-limit.js';
import type { Io } from '../io.js';
import { writeOutputFile } from '../io.js';
import { loadSettings } from '../settings.js';

/** Reads each node's installed versions of the components its roles run; says which nodes it could not read. */
async function readVersions(
  inventory: Inventory,
  installed: (node: string, components: readonly string[]) => Promise<Record<string, string>>,
): Promise<{ inventory: Inventory; unread: string[] }> {
  const catalog = resolveCatalog({});
  const unread: string[] = [];
  const nodes = await mapLimit(inventory.nodes, 16, async (node) => {
    const components = Object.entries(catalog)
      .filter(([, c]) => c.roles.some((r) => node.roles.includes(r)))
      .map(([name]) => name);
    try {
      const found = await installed(node.name, components);
      return { ...node, software: { ...node.software, ...found } };
    } catch (error) {
      unread.push(`${node.name} (${error instanceof Error ? error.message : String(error)})`);
      return node;
    }
  });
  return { inventory: { ...inventory, nodes }, unread };
}

/** Adds `import` to the program. */
export function registerImport(program: Command, io: Io): void {
  program
    .command('import')
    .description('read the live cloud into an inventory, with what the operator knows merged in')
    .requiredOption('-o, --out <file>', 'where to write the inventory (YAML)')
    .option('-c, --config <file>', 'the configuration file (default: ./escalator.yaml when present)')
    .option('--merge <file>', 'an InventoryOverlay: controllers, clusters, VNFs, maintenance, sites')
    .option('--name <name>', "the inventory's metadata.name (default: the overlay's, else openstack)")
    .option('--no-versions', "do not read the nodes' installed versions over SSH")
    .action(
      async (flags: { out: string; config?: string; merge?: string; name?: string; versions: boolean }) => {
        const settings = await loadSettings(flags.config);
        const cloud = settings.realCloud;
        if (!cloud)
          throw new EscalatorError(
            ErrorCode.InvalidOption,
            'import reads a real cloud: give escalator.yaml `backend: openstack` and its `openstack` section (-c FILE)',
          );
        const warnings: string[] = [];
        let inventory = await importInventory(cloud.session, {
          name: flags.name,
          onWarning: (message) => warnings.push(message),
        });
        io.out(
          `Read from the cloud: ${inventory.nodes.length} compute node(s), ${inventory.instances.length} instance(s), ` +
            `${inventory.serverGroups.length} server group(s)`,
        );
        if (flags.merge !== undefined) {
          const merged = mergeInventory(
            inventory,
            await loadInventoryOverlay(flags.merge),
            `the cloud's inventory merged with ${flags.merge}`,
          );
          inventory = merged.inventory;
          const { added, changed, unmatched } = merged.report;
          io.out(`Merged ${flags.merge}: ${added.length} added, ${changed.length} changed`);
          if (unmatched.length > 0)
            warnings.push(`${flags.merge} names what the cloud does not have: ${unmatched.join(', ')}`);
        }
        if (flags.versions) {
          const nodes = cloud.nodeAgent(inventory);
          try {
            const read = await readVersions(inventory, (node, components) =>
              nodes.agent.installedVersions(node, components),
            );
            inventory = read.inventory;
            io.out(
              `Installed versions read on ${inventory.nodes.length - read.unread.length} of ${inventory.nodes.length} node(s)`,
            );
            for (const u of read.unread) warnings.push(`could not read the versions on ${u}`);
          } finally {
            await nodes.close();
          }
        }
        for (const w of warnings) io.err(`warning: ${w}`);
        if (inventory.clusters.length === 0)
          io.err(
            'note: no clusters: the APIs do not say which controllers form a quorum; give them in --merge (clusters with minAvailable)',
          );
        await writeOutputFile(flags.out, stringify(inventory));
        io.out(`Wrote ${flags.out}`);
      },
    );
}
