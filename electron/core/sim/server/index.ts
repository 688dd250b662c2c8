/**
 * Velociraptor's server-side VQL plugins and functions over the simulated world, one module per
 * plugin group as in Velociraptor's own vql/server tree, with the names, arguments, row shapes
 * (rows.ts) and per-plugin permissions of docs/velociraptor/vql.md.
 */
import { bulkRowsPlugin } from '../bulk-rows';
import type { FunctionDef, PluginDef } from '../vql/scope';
import { artifactPlugins } from './artifacts';
import { clientPlugins } from './clients';
import { ServerContext, type PluginGroup, type ServerEnv } from './context';
import { downloadPlugins } from './downloads';
import { filesystemPlugins } from './filesystem';
import { flowPlugins } from './flows';
import { huntPlugins } from './hunts';
import { inventoryPlugins } from './inventory';
import { monitoringPlugins } from './monitoring';
import { notebookPlugins } from './notebooks';
import { resultPlugins } from './results';
import { serverInfoPlugins } from './server-info';
import { userPlugins } from './users';

export { SIM_HOSTNAME } from './rows';
export { searchClients } from './clients';
export type { ServerEnv };

const GROUPS: Array<(ctx: ServerContext) => PluginGroup> = [
  serverInfoPlugins,
  clientPlugins,
  flowPlugins,
  resultPlugins,
  downloadPlugins,
  huntPlugins,
  artifactPlugins,
  monitoringPlugins,
  notebookPlugins,
  userPlugins,
  filesystemPlugins,
  inventoryPlugins,
];

/** A definition without the arguments the release does not have yet (passing one is "Unexpected arg"). */
function forRelease<T extends PluginDef | FunctionDef>(
  def: T,
  missing: Record<string, readonly string[]>,
): T {
  const drop = missing[def.name];
  if (!drop?.length) return def;
  return { ...def, args: Object.fromEntries(Object.entries(def.args).filter(([k]) => !drop.includes(k))) };
}

export function serverPlugins(env: ServerEnv): { plugins: PluginDef[]; functions: FunctionDef[] } {
  const ctx = new ServerContext(env);
  const groups = GROUPS.map((g) => g(ctx));
  const missing = env.world.profile.missingArgs;
  return {
    plugins: [...groups.flatMap((g) => g.plugins.map((p) => forRelease(p, missing))), bulkRowsPlugin],
    functions: groups.flatMap((g) => g.functions.map((f) => forRelease(f, missing))),
  };
}
