/**
 * Every tool group, in the order tools/list shows them. A new group (deployment, agents...) is one
 * module under tools/ and one entry here.
 */
import { artifactTools } from './tools/artifacts';
import { clientTools } from './tools/clients';
import { collectionTools } from './tools/collection';
import { deployTools } from './tools/deploy';
import { dfirTools } from './tools/dfir';
import { huntTools } from './tools/hunts';
import { serverTools } from './tools/server';
import { vfsTools } from './tools/vfs';
import { vqlTools } from './tools/vql';
import type { McpContext, McpTool } from './tool-kit';

export const toolGroups: Record<string, McpTool[]> = {
  server: serverTools,
  clients: clientTools,
  artifacts: artifactTools,
  collection: collectionTools,
  vfs: vfsTools,
  hunts: huntTools,
  vql: vqlTools,
  dfir: dfirTools,
  deploy: deployTools,
};

export function allTools(): McpTool[] {
  const tools = Object.values(toolGroups).flat();
  const seen = new Set<string>();
  for (const t of tools) {
    if (seen.has(t.name)) throw new Error(`Two MCP tools are named ${t.name}.`);
    seen.add(t.name);
  }
  return tools;
}

/** The tools a server on `ctx` offers: the deployment tools only where the app's deployments are. */
export function toolsFor(ctx: Pick<McpContext, 'deployments'>): McpTool[] {
  return allTools().filter((t) => t.needs !== 'deployments' || ctx.deployments !== undefined);
}
