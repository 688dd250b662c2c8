/**
 * Velociraptor's own multi-frontend architecture, as its `config frontend` generator writes it
 * (tools/survey/frontend.go `compileFrontend`, services/frontend/frontend.go, bin/minions.go): one
 * master and N minions run from ONE server config that
 * - lists every minion under `ExtraFrontends` (hostname, bind_address, bind_port); a minion started
 *   with `frontend --minion --node <hostname>-<port>` merges its entry into `Frontend`;
 * - lets minions reach the master's API: `API.bind_address` 0.0.0.0 (only where the minions are other
 *   machines or containers) and `API.hostname` = where they dial it (grpc_client GetAPIHostname);
 * - gives the master a caching datastore and the minions the remote one (`Datastore.master_implementation`
 *   MemcacheFileDataStore, `minion_implementation` RemoteFileDataStore), all of them sharing the file
 *   store folder (EFS on AWS, one volume on Docker);
 * - spreads agents across the frontends: `Client.server_urls` lists every frontend (agents rotate
 *   through the list; no load balancer is needed);
 * - (ours, not `config frontend`'s) has the master write its client records snapshot every
 *   CLIENT_INFO_WRITE_SECONDS instead of Velociraptor's 300 s: see there.
 * A minion runs no API and no GUI (services.MinionServicesSpec). Run by hand with the real 0.77.2 (a
 * master and a minion from one config of ours, docs/real-server-conformance.md): the master's API
 * reports the minion in `Server.Internal.FrontendMetrics` rows, `Node` = `<hostname>-<port>`.
 */
import { AppError } from '../../../shared/errors';

/**
 * `Frontend.resources.client_info_write_time` (seconds) of a multi-frontend config. A minion knows
 * only the clients in the master's client records snapshot (services/client_info: the master alone
 * writes it, by default every 300 s ±10 %, and each minion reloads it on the
 * `Server.Internal.ClientInfoSnapshot` event). Until then the minion answers a newly enrolled
 * client's reader with nothing (server/comms.go send_client_messages: an unknown client is sent to
 * enrolment again) and drops the master's task notifications for it (ProcessNotification ignores an
 * unknown client), so the client's first task waits for the next snapshot: 4.5 min with the default
 * on the real 0.77.2, 29 s with this period (docs/real-server-conformance.md). Above 11 s on
 * purpose: the master's write loop sleeps a whole minute when its jittered timer fired less than
 * 10 s after the round began (under 9 s it never writes). The cost is one rewrite of the snapshot
 * (every client's record) per period while any record changed, reread by every minion.
 */
export const CLIENT_INFO_WRITE_SECONDS = 15;

/**
 * What the responder is told after verifying a multi-frontend deployment and in its hand-over docs.
 * The 40 s: a snapshot up to 16.5 s after enrolment, and the client's reader, which reconnects at
 * once only 10 times and then every `max_poll`/2 (30 s; http_comms); measured 29 s to the task and
 * 33–34 s to the host name on the real 0.77.2.
 */
export const MINION_FIRST_TASK_NOTE = `An agent that enrols through a minion gets its first task (its interrogation) once the master's client records snapshot names it and the minions reload it — every ${CLIENT_INFO_WRITE_SECONDS} s in this deployment (Frontend.resources.client_info_write_time; Velociraptor's default is 300 s) — so within about 40 s; until then the master lists it without a host name. Later tasks reach it as they reach the master's agents.`;

export interface FrontendNode {
  /** The name agents dial (a public address or DNS name). */
  hostname: string;
  /** The port the node listens on and agents dial. */
  port: number;
  /** Where it binds (0.0.0.0 on its own machine or container; a loopback address on a shared host). */
  bindAddress: string;
}

export interface FrontendsSpec {
  minions: FrontendNode[];
  /** Where minions dial the master's API (API.hostname). */
  apiHostname: string;
  /** API.bind_address: 0.0.0.0 when the minions run elsewhere; unchanged when omitted. */
  apiBindAddress?: string;
}

/** Velociraptor's node name of a frontend (services.GetNodeName): `<hostname>-<port>`. */
export function nodeName(node: Pick<FrontendNode, 'hostname' | 'port'>): string {
  return `${node.hostname}-${node.port}`;
}

export function frontendUrl(node: Pick<FrontendNode, 'hostname' | 'port'>): string {
  const host = node.hostname.includes(':') ? `[${node.hostname}]` : node.hostname;
  return `https://${host}:${node.port}/`;
}

/** The argv after the binary that starts one minion (bin/frontend.go: --minion, --node). */
export function minionArgs(configPath: string, node: FrontendNode): string[] {
  return ['--config', configPath, 'frontend', '--minion', '--node', nodeName(node), '-v'];
}

function section(config: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = config[key];
  if (typeof v !== 'object' || v === null)
    throw new AppError('INTERNAL', `The server config has no ${key} section to add minions to.`);
  return v as Record<string, unknown>;
}

/**
 * Adds the minions to a server config (in place) the way `config frontend` does. Node names must be
 * unique, the master's included, or Velociraptor cannot tell which entry a minion is.
 */
export function applyFrontends(config: Record<string, unknown>, spec: FrontendsSpec): void {
  if (!spec.minions.length) return;
  const frontend = section(config, 'Frontend');
  const api = section(config, 'API');
  const datastore = section(config, 'Datastore');
  const client = section(config, 'Client');
  const master = { hostname: String(frontend.hostname), port: Number(frontend.bind_port) };
  const names = [nodeName(master), ...spec.minions.map(nodeName)];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup)
    throw new AppError(
      'INVALID_ARGUMENT',
      `Two frontends would be the node "${dup}": every frontend needs its own host name or port.`,
    );
  config.ExtraFrontends = spec.minions.map(entryOf);
  api.hostname = spec.apiHostname;
  if (spec.apiBindAddress) api.bind_address = spec.apiBindAddress;
  datastore.implementation = '';
  datastore.master_implementation = 'MemcacheFileDataStore';
  datastore.minion_implementation = 'RemoteFileDataStore';
  snapshotEvery(frontend);
  // The master's URL as agents dial it (a container publishes its port elsewhere than it binds).
  const urls = Array.isArray(client.server_urls) ? (client.server_urls as unknown[]) : [];
  const masterUrl = typeof urls[0] === 'string' ? urls[0] : frontendUrl(master);
  client.server_urls = [masterUrl, ...spec.minions.map(frontendUrl)];
}

/**
 * Sets the snapshot period, keeping a longer one the config already has (the responder's choice for a
 * large fleet); one under 12 s is replaced, since Velociraptor's write loop would skip rounds with it.
 * The master reads it when it starts.
 */
function snapshotEvery(frontend: Record<string, unknown>): void {
  const current = frontend.resources;
  const resources =
    typeof current === 'object' && current !== null ? (current as Record<string, unknown>) : {};
  if (Number(resources.client_info_write_time) >= 12) return;
  frontend.resources = { ...resources, client_info_write_time: CLIENT_INFO_WRITE_SECONDS };
}

function entryOf(m: FrontendNode): Record<string, unknown> {
  return { hostname: m.hostname, bind_address: m.bindAddress, bind_port: m.port };
}

/**
 * Scale-out: one more minion in a multi-frontend config (in place): its ExtraFrontends entry and its
 * URL at the end of Client.server_urls (agents configured before keep their list and their frontends).
 */
export function addMinion(config: Record<string, unknown>, minion: FrontendNode): void {
  const existing = minionsOf(config);
  if (!existing.length)
    throw new AppError(
      'CONFLICT',
      'This server runs without minions (one frontend): scale-out needs a multi-frontend deployment.',
    );
  const frontend = section(config, 'Frontend');
  const name = nodeName(minion);
  const taken = [
    nodeName({ hostname: String(frontend.hostname), port: Number(frontend.bind_port) }),
    ...existing.map(nodeName),
  ];
  if (taken.includes(name))
    throw new AppError('INVALID_ARGUMENT', `The node "${name}" already exists: choose another port.`);
  config.ExtraFrontends = [...(config.ExtraFrontends as unknown[]), entryOf(minion)];
  // A deployment made before the period was set gets it too (the master applies it at its next start).
  snapshotEvery(frontend);
  const client = section(config, 'Client');
  const urls = Array.isArray(client.server_urls) ? (client.server_urls as unknown[]) : [];
  client.server_urls = [...urls, frontendUrl(minion)];
}

/** The minions a config lists (ExtraFrontends), for scale-out and verification. */
export function minionsOf(config: Record<string, unknown>): FrontendNode[] {
  const extra = Array.isArray(config.ExtraFrontends) ? (config.ExtraFrontends as unknown[]) : [];
  return extra.map((e) => {
    const r = e as Record<string, unknown>;
    return {
      hostname: typeof r.hostname === 'string' ? r.hostname : '',
      port: Number(r.bind_port ?? 0),
      bindAddress: typeof r.bind_address === 'string' ? r.bind_address : '0.0.0.0',
    };
  });
}
