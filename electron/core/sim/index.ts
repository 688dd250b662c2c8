/**
 * The Velociraptor simulator: a faithful stand-in server for tests, demos and deployment checks
 * (docs/velociraptor/). It is labelled as a simulator wherever a user can see it. Free of electron
 * and of native modules, so the bundled CLI runs it with no node_modules.
 */
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from './filestore';
import { startFrontendServer } from './frontend';
import { startApiServer, type ReceivedQuery } from './grpc-server';
import { startGuiServer } from './gui-server';
import { EnrolmentTail, freshReports, metricsRow, METRICS_INTERVAL_MS } from './minions';
import { serverPlugins } from './server/index';
import { DEFAULT_VERSION, versionProfile } from './version';
import { parseServerConfig } from './server-config';
import { mintApiClientConfig, setupPki } from './sim-pki';
import { readUserFile } from './user-file';
import { normaliseOrg, UserStore } from './users';
import { builtinFunctions, builtinPlugins } from './vql/builtins';
import type { FunctionDef, PluginDef } from './vql/scope';
import { World } from './world';

export interface SimulatorOptions {
  /** Bind address of every port unless the config or the per-port options say otherwise. */
  host?: string;
  apiHost?: string;
  guiHost?: string;
  frontendHost?: string;
  apiPort?: number;
  guiPort?: number;
  frontendPort?: number;
  serverConfig?: string;
  caKeyPem?: string;
  datastoreDir?: string;
  speed?: number;
  users?: Array<{ name: string; roles: string[] }>;
  now?: () => number;
  /** The Velociraptor release to play: 0.75 or 0.77 (its catalogue, records and errors). Default 0.77.2. */
  velociraptorVersion?: string;
  /**
   * Server collections finish inside collect_client(), their completion published before any
   * watch can start (the order a real server shows now and then with short server artifacts).
   */
  instantServerFlows?: boolean;
  /** How often the frontends report their metrics (Server.Internal.FrontendMetrics); default 10 s. */
  metricsIntervalMs?: number;
}

export interface RunningSimulator {
  /** The Velociraptor release it plays, e.g. 0.77.2. */
  version: string;
  host: string;
  apiPort: number;
  guiPort: number;
  frontendPort: number;
  caCertificatePem: string;
  datastoreDir: string;
  mintApiConfig(
    name: string,
    roles: string[] | null,
    options?: { validityDays?: number; notBefore?: Date },
  ): Promise<string>;
  grantRoles(name: string, roles: string[]): void;
  receivedQueries(): ReceivedQuery[];
  stop(): Promise<void>;
  kill(): void;
}

/** The release the simulator plays unless told otherwise. */
export const SIM_VERSION = DEFAULT_VERSION;
export { SIMULATOR_BANNER } from './gui-server';
export {
  localIdentity,
  parseClientConfig,
  runAgent,
  type AgentConfig,
  type AgentIdentity,
  type RunningAgent,
} from './agent';
export type { ReceivedQuery };
export { parseVelociraptorArgs, runVelociraptorCommandLine, type VrIO } from './velociraptor-cli';
export { velociraptorLauncher } from './launcher';
export { runStandInCollector, writeStandInCollection, parseCollection } from './collections';

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const config = options.serverConfig ? parseServerConfig(options.serverConfig) : undefined;
  const pki = await setupPki(config, options.caKeyPem);
  const datastoreDir = options.datastoreDir ?? mkdtempSync(join(tmpdir(), 'megaraptor-sim-'));
  const profile = versionProfile(options.velociraptorVersion);
  const world = new World(now, options.speed ?? 1, new FileStore(datastoreDir), undefined, profile);
  world.instantServerFlows = options.instantServerFlows ?? false;
  const users = new UserStore();
  for (const u of config?.initialUsers ?? []) {
    for (const orgId of world.orgs.keys())
      users.grant(u.name, ['administrator'], orgId, {
        password_hash: u.password_hash,
        password_salt: u.password_salt,
      });
  }
  for (const u of options.users ?? []) users.grant(u.name, u.roles);
  // Users `user add` wrote into the datastore before this start.
  for (const u of await readUserFile(datastoreDir)) {
    for (const [orgId, roles] of Object.entries(u.orgRoles)) users.grant(u.name, roles, orgId, u.password);
  }

  let frontendUrl = '';
  const server = serverPlugins({
    world,
    users,
    startMs: world.startMs,
    clientConfig: (orgId) =>
      [
        'Client:',
        '  server_urls:',
        `  - ${frontendUrl}`,
        '  ca_certificate: |',
        ...pki.caCertificatePem
          .trim()
          .split('\n')
          .map((l) => `    ${l}`),
        `  nonce: ${config?.clientNonce ?? `megaraptor-sim-${orgId}`}`,
        '  use_self_signed_ssl: true',
        'version:',
        '  name: velociraptor',
        `  version: ${profile.version}`,
        '',
      ].join('\n'),
  });
  const plugins = new Map<string, PluginDef>([...builtinPlugins, ...server.plugins].map((p) => [p.name, p]));
  const functions = new Map<string, FunctionDef>(
    [...builtinFunctions, ...server.functions].map((f) => [f.name, f]),
  );
  const received: ReceivedQuery[] = [];

  const apiHost = options.apiHost ?? config?.apiBindAddress ?? host;
  const guiHost = options.guiHost ?? config?.guiBindAddress ?? host;
  const frontendHost = options.frontendHost ?? config?.frontendBindAddress ?? host;
  const api = await startApiServer(apiHost, options.apiPort ?? config?.apiPort ?? 0, pki, {
    userExists: (name) => users.get(name) !== undefined,
    orgExists: (orgId) => world.orgs.has(normaliseOrg(orgId)),
    hasPermission: (user, orgId, p) => users.has(user, orgId, p),
    now,
    plugins,
    functions,
    profile,
    recordQuery: (q) => received.push(q),
    readFile: async (_orgId, clientId, components, offset, length) => {
      // As the real server does (api/api.go → paths/client.go FSItem): with client_id set the
      // components are relative to that client's folder and name a `.json` item, so the components
      // uploads() gives (which start at clients/<id>/…) find nothing.
      const last = components[components.length - 1] ?? '';
      const full = clientId ? ['clients', clientId, ...components.slice(0, -1), `${last}.json`] : components;
      return world.store.read(full, offset, length);
    },
  });
  let gui: Server | undefined;
  let frontend: Server | undefined;
  try {
    gui = await startGuiServer(guiHost, options.guiPort ?? config?.guiPort ?? 0, pki, users, profile.version);
    frontend = await startFrontendServer(
      frontendHost,
      options.frontendPort ?? config?.frontendPort ?? 0,
      pki,
      {
        hasOrg: (orgId) => world.orgs.has(orgId),
        enrol: (orgId, request, ip) => world.enrol(orgId, { ...request, ip }),
      },
      config?.clientNonce,
    );
  } catch (e) {
    api.kill();
    gui?.close();
    throw e;
  }
  const guiSockets = trackSockets(gui);
  const frontendSockets = trackSockets(frontend);
  const portOf = (s: Server): number => {
    const a = s.address();
    return typeof a === 'object' && a ? a.port : 0;
  };
  const apiPort = api.port;
  // A wildcard bind is dialled on loopback.
  const dialHost = apiHost === '0.0.0.0' || apiHost === '::' ? '127.0.0.1' : apiHost;
  const connection = `${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${apiPort}`;
  const guiServer = gui;
  const frontendServer = frontend;

  frontendUrl = `https://${host.includes(':') ? `[${host}]` : host}:${portOf(frontend)}/`;
  const stopRelay = relayFrontends(world, datastoreDir, options.metricsIntervalMs ?? METRICS_INTERVAL_MS);
  return {
    version: profile.version,
    host,
    apiPort,
    guiPort: portOf(gui),
    frontendPort: portOf(frontend),
    caCertificatePem: pki.caCertificatePem,
    datastoreDir,
    async mintApiConfig(name, roles, mintOptions) {
      const yaml = await mintApiClientConfig(pki, name, connection, mintOptions);
      if (roles !== null) users.grant(name, roles);
      return yaml;
    },
    grantRoles(name, roles) {
      users.grant(name, roles);
    },
    receivedQueries: () => received.map((q) => ({ ...q, queries: [...q.queries], env: [...q.env] })),
    async stop() {
      stopRelay();
      await Promise.all([
        api.stop(),
        new Promise<void>((resolve) => {
          guiServer.close(() => resolve());
          guiServer.closeIdleConnections();
        }),
        new Promise<void>((resolve) => {
          frontendServer.close(() => resolve());
          frontendServer.closeIdleConnections();
        }),
      ]);
    },
    kill() {
      stopRelay();
      api.kill();
      for (const s of [...guiSockets, ...frontendSockets]) s.destroy();
      guiServer.close();
      frontendServer.close();
    },
  };
}

/**
 * The master's side of multi-frontend (minions.ts): its own metrics and the fresh reports of its
 * minions go to Server.Internal.FrontendMetrics every `intervalMs`; agents the minions enrolled join
 * the master's world within a second. Returns the function that stops it.
 */
function relayFrontends(world: World, datastoreDir: string, intervalMs: number): () => void {
  const tail = new EnrolmentTail(datastoreDir);
  const report = (): void => {
    const connected = [...world.orgs.values()].map(
      (o) => [o.id, [...o.clients.values()].filter((c) => c.enrolled).length] as const,
    );
    world.emitFrontendMetrics(metricsRow('master', Object.fromEntries(connected), Date.now()));
    for (const row of freshReports(datastoreDir, Date.now(), 3 * METRICS_INTERVAL_MS))
      world.emitFrontendMetrics(row);
  };
  let reading = false;
  const enrol = (): void => {
    if (reading) return;
    reading = true;
    tail
      .read()
      .then((list) => {
        for (const e of list) {
          const orgId = world.orgs.has(e.orgId) ? e.orgId : 'root';
          world.enrol(orgId, { ...e.request, ip: e.ip });
        }
      })
      // The folder is being written by a minion: what was not read is read next round.
      .catch(() => undefined)
      .finally(() => {
        reading = false;
      });
  };
  const timers = [setInterval(report, intervalMs), setInterval(enrol, Math.min(1000, intervalMs))];
  for (const t of timers) t.unref();
  return () => {
    for (const t of timers) clearInterval(t);
  };
}
