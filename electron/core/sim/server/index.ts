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
import { flowPlugins } from './flows';
import { huntPlugins } from './hunts';
import { monitoringPlugins } from './monitoring';
import { resultPlugins } from './results';
import { serverInfoPlugins } from './server-info';
import { userPlugins } from './users';

export { SIM_HOSTNAME, SIM_VERSION } from './rows';
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
  userPlugins,
];

export function serverPlugins(env: ServerEnv): { plugins: PluginDef[]; functions: FunctionDef[] } {
  const ctx = new ServerContext(env);
  const groups = GROUPS.map((g) => g(ctx));
  return {
    plugins: [...groups.flatMap((g) => g.plugins), bulkRowsPlugin],
    functions: groups.flatMap((g) => g.functions),
  };
}
