/**
 * The core composition root: every core service is built here, once, with its dependencies passed
 * in (no module singletons), and every contract channel is mapped to the service that answers it.
 * Electron's main process and `megaraptor serve` both call `createCoreServices` and hand the
 * handlers to one Dispatcher, so the desktop app and browser mode run the same core.
 *
 * A new domain: build its service below, add its channels to `handlers`, release it in `dispose`.
 */
import type { Contract } from '../../shared/contracts/index';
import { AppInfoService, resolveDataDir } from './app/index';
import { connectionHandlers, type DemoFactory } from './connections/index';
import {
  probeKeychain as realProbe,
  type KeychainStatus,
  createCredentialService,
  credentialHandlers,
} from './credentials/index';
import { join } from 'node:path';
import { UPLOAD_CHUNK_BYTES } from '../../shared/contracts/uploads';
import {
  agentHandlers,
  AgentService,
  collectionHeadProblem,
  deployHandlers,
  inspectCollectionZip,
  KIT_UPLOAD_KINDS,
} from './deploy/index';
import { uploadHandlers, UploadStore } from './files/index';
import { createInvestigation } from './investigation/index';
import { createMcpDomain } from './mcp/index';
import { OWNER_RELEASED, type Handlers } from './rpc/index';
import { createServerStack } from './server-stack';
import { startSimulator } from './sim/index';

export interface CoreOptions {
  mode: 'electron' | 'browser';
  version: string;
  /** Electron passes app.getPath('userData'); MEGARAPTOR_DATA_DIR still wins (tests). */
  userDataFallback?: string;
  env?: NodeJS.ProcessEnv;
  /** Injectable for tests; defaults to the real OS-keychain probe. */
  probeKeychain?: () => Promise<KeychainStatus>;
}

export interface CoreServices {
  dataDir: string;
  handlers: Handlers<Contract>;
  /** Stops background work and closes what the services opened. Safe to call twice. */
  dispose(): Promise<void>;
}

/**
 * The demo server: the simulator, started in this process when the responder asks for it. Built
 * here because only the composition root (and the CLI) may import sim/, the test double.
 */
const demoSimulator: DemoFactory = async () => {
  const sim = await startSimulator({ host: '127.0.0.1' });
  return {
    yaml: await sim.mintApiConfig('megaraptor-demo', ['administrator']),
    // The assistants' read-only identity on the demo: the api role alone.
    readOnlyYaml: await sim.mintApiConfig('megaraptor-demo-assistant-ro', ['api']),
    stop: () => sim.stop(),
  };
};

export function createCoreServices(options: CoreOptions): CoreServices {
  const dataDir = resolveDataDir({
    ...(options.env ? { env: options.env } : {}),
    ...(options.userDataFallback ? { fallback: options.userDataFallback } : {}),
  });

  const probe = options.probeKeychain ?? (() => realProbe());
  // At start the keychain is probed once (a probe writes to it and may take seconds), and app info,
  // the saved connections and MCP share the answer; the Credentials page's status probes anew.
  let startProbe: Promise<KeychainStatus> | undefined;
  const probeAtStart = () => (startProbe ??= probe());
  const keychainAtStart = async () => ((await probeAtStart()).available ? credentials.store : null);

  const appInfo = new AppInfoService({
    name: 'Megaraptor Desktop',
    version: options.version,
    mode: options.mode,
    dataDir,
    probeKeychain: probeAtStart,
  });

  // One credential service, and with it one keychain store, for the whole process.
  const credentials = createCredentialService(dataDir, { probe });
  // One connection manager: the UI, MCP and the Credentials page see the same servers.
  // Deployments: one runner, one Docker client per engine; journals a dead process left unfinished
  // are listed (deploy:list, `interrupted`) for the responder to resume or clean up.
  const { connections, deployments } = createServerStack({
    dataDir,
    secrets: keychainAtStart,
    credentials,
    demo: demoSimulator,
    env: options.env ?? process.env,
  });
  // Re-open saved servers now, not on the first page that asks: that also lists servers saved by a
  // version without the credential index, so the Credentials page shows them from the start.
  void connections.ready();
  const investigation = createInvestigation(dataDir, connections);

  // Agent pushes: the same release cache and confirmed host keys as deployments; servers through the
  // live connections. MCP's agent tools use this service too.
  const agents = new AgentService({
    dataDir,
    secrets: keychainAtStart,
    server: (t) => connections.service(t),
    releases: deployments.releases,
    hostKeys: deployments.hostKeys,
    keyRecord: credentials,
  });

  // Files the window sends (browser mode has no path here; the Electron renderer reads no files):
  // returned collections, checked before the server is asked to import them.
  const uploads = new UploadStore(
    join(dataDir, 'tmp', 'uploads'),
    {
      collection: {
        what: 'a collection ZIP',
        head: collectionHeadProblem,
        check: async (path, name) => ({ ...(await inspectCollectionZip(path, name)) }),
      },
      // What the kits page's installers and GPO kit take: an MSI, a Velociraptor executable.
      ...KIT_UPLOAD_KINDS,
    },
    { chunkBytes: UPLOAD_CHUNK_BYTES },
  );

  // Rapid deployments past their time are destroyed (after their evidence is exported) and due
  // certificates renewed, at start and every few minutes while the app runs.
  deployments.watch();

  // Assistants (MCP): HTTP endpoint + approval socket start with the app.
  // It shares the live connection manager: same servers, same selected server as the UI.
  const mcp = createMcpDomain({
    dataDir,
    version: options.version,
    mode: options.mode,
    env: options.env ?? process.env,
    keychain: keychainAtStart,
    liveConnections: connections,
    credentials,
    agents,
    deployments,
  });
  void mcp.start();

  const handlers: Handlers<Contract> = {
    'app:info': () => appInfo.info(),
    ...connectionHandlers(connections),
    ...investigation.handlers,
    ...mcp.handlers,
    ...credentialHandlers(credentials),
    ...deployHandlers(deployments, options.env ?? process.env),
    ...uploadHandlers(uploads),
    ...agentHandlers({
      agents,
      dataDir,
      uploads,
      server: (t) => connections.service(t),
      releases: deployments.releases,
    }),
    // Called by the Dispatcher when a window closes or a socket drops: the investigation drops its
    // result sets, and what the caller was sending is removed.
    [OWNER_RELEASED]: (owner) => {
      investigation.handlers[OWNER_RELEASED]?.(owner);
      void uploads.release(owner);
    },
  };

  const disposers: Array<() => Promise<void> | void> = [
    () => credentials.dispose(),
    () => connections.dispose(),
    () => mcp.dispose(),
    () => deployments.dispose(),
    () => agents.dispose(),
    () => uploads.dispose(),
  ];
  let disposed = false;
  return {
    dataDir,
    handlers,
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const d of disposers.reverse()) await d();
    },
  };
}
