/**
 * Builds the assistants (MCP) domain for the composition root: the MCP service with its HTTP
 * endpoint on 127.0.0.1 (bearer token in the OS keychain; for this run only in memory when no
 * keychain answers), the approval socket for stdio servers, and the Velociraptor servers over the
 * app's connections: the live investigation ConnectionManager when the composition root passes it
 * (same registry, same selected server as the UI), else the saved files (AppConnections).
 */
import type { AgentPushes } from './tools/agents';
import { resolve } from 'node:path';
import { KeychainOrMemory, type SecretStore } from '../credentials/index';
import type { ConnectionManager } from '../connections/index';
import type { ConnectionRegistry } from '../velociraptor';
import { loadApiConfig } from '../velociraptor/index';
import { AppConnections } from './app-connections';
import { ReadOnlyIdentities, StoredReadOnlyIdentities } from './read-only-identity';
import { ReadOnlySetup, type IdentityRecord } from './read-only-setup';
import { keyMaterialForms } from './redact';
import { McpService, mcpHandlers, type TokenRecord } from './service';
import { RegistryServers } from './servers';
import type { McpDeployments } from './tool-kit';

/** The port the endpoint tries first, so a client's saved config keeps working across restarts. */
export const DEFAULT_MCP_PORT = 47_810;

export interface McpDomainOptions {
  dataDir: string;
  version: string;
  mode: 'electron' | 'browser';
  /** The OS keychain store, or null when the probe found none. */
  keychain: () => Promise<SecretStore | null>;
  env?: NodeJS.ProcessEnv;
  /**
   * The app's live connection manager (the composition root's). Given, MCP uses its registry and
   * selected server directly; without it, MCP re-reads the saved connections (AppConnections).
   */
  liveConnections?: ConnectionManager;
  /** The credential index (CredentialService): the HTTP token and read-only identities are listed there. */
  credentials?: TokenRecord & IdentityRecord;
  /** The app's agent pushes (the agents page's service), for the agent tools. */
  agents?: AgentPushes;
  /** The app's deployments (the composition root's DeploymentService): the deployment tools use them. */
  deployments?: McpDeployments;
}

/** What the MCP domain needs from the app's connections. */
export type McpConnections = Pick<
  AppConnections,
  'registry' | 'defaultServer' | 'storageOf' | 'problems' | 'refresh' | 'dispose'
> & {
  /** A read-only identity kept for this run only (the demo simulator's), by connection. */
  sessionReadOnly?(name: string): string | undefined;
};

/** The live manager seen as McpConnections. The investigation domain owns (and disposes) it. */
class LiveConnections implements McpConnections {
  private active: string | undefined;
  private problemList: Array<{ name: string; message: string }> = [];
  private storage = new Map<string, 'keychain' | 'session' | 'demo'>();

  constructor(private readonly manager: ConnectionManager) {}

  registry(): ConnectionRegistry {
    return this.manager.registry;
  }

  defaultServer(): string | undefined {
    return this.active;
  }

  problems(): Array<{ name: string; message: string }> {
    return this.problemList;
  }

  sessionReadOnly(name: string): string | undefined {
    return this.manager.demoReadOnlyConfig(name);
  }

  /** Reads the selected server (the bridge refreshes before each call). */
  async refresh(): Promise<void> {
    const list = await this.manager.list();
    const registry = this.manager.registry;
    const active = list.active?.server;
    this.active = active && registry.has(active) ? active : registry.list()[0]?.name;
    this.problemList = list.problems;
    this.storage = new Map(list.connections.map((c) => [c.name, c.storage]));
  }

  storageOf(name: string): 'keychain' | 'session' | 'demo' | undefined {
    return this.storage.get(name);
  }

  async dispose(): Promise<void> {
    // Owned by the investigation domain.
  }
}

export interface McpDomain {
  service: McpService;
  connections: McpConnections;
  handlers: ReturnType<typeof mcpHandlers>;
  /** Starts the approval socket and the HTTP endpoint; a failure is kept in the status. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

function httpPort(env: NodeJS.ProcessEnv): number {
  const v = env.MEGARAPTOR_MCP_PORT;
  if (v === undefined || v === '') return DEFAULT_MCP_PORT;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n < 65_536 ? n : DEFAULT_MCP_PORT;
}

/** On Linux the keychain is the Secret Service on the session bus, whose address MCP clients drop. */
function stdioEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const bus = env.DBUS_SESSION_BUS_ADDRESS;
  return process.platform === 'linux' && bus ? { DBUS_SESSION_BUS_ADDRESS: bus } : {};
}

/** How an assistant launches the stdio server from this installation. */
function stdioCommand(mode: 'electron' | 'browser'): string[] {
  const script = process.argv[1];
  // Browser mode runs from the CLI bundle, so the same node + file serve `mcp --stdio`. The packaged
  // Electron app cannot act as node (fuses), so the CLI on PATH is the launcher there.
  return mode === 'browser' && script ? [process.execPath, resolve(script)] : ['megaraptor'];
}

/** Lists the token only when it went to the keychain; a run-only token has no entry (a stale one is dropped). */
function keychainOnlyRecord(
  credentials: TokenRecord,
  keychain: () => Promise<SecretStore | null>,
): TokenRecord {
  return {
    async register(input) {
      return (await keychain()) ? credentials.register(input) : credentials.unregister(input.id);
    },
    unregister: (id) => credentials.unregister(id),
  };
}

export function createMcpDomain(o: McpDomainOptions): McpDomain {
  let keychain: Promise<SecretStore | null> | undefined;
  const once = (): Promise<SecretStore | null> => (keychain ??= o.keychain().catch(() => null));
  const connections: McpConnections = o.liveConnections
    ? new LiveConnections(o.liveConnections)
    : new AppConnections({ dataDir: o.dataDir, keychain: once });
  const servers = new RegistryServers({
    registry: () => connections.registry(),
    refresh: () => connections.refresh(),
    defaultServer: () => connections.defaultServer(),
  });
  const setup: ReadOnlySetup = new ReadOnlySetup({
    registry: () => connections.registry(),
    stored: new StoredReadOnlyIdentities(once),
    session: (name) => connections.sessionReadOnly?.(name),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    audit: (action, server, detail): Promise<void> => service.recordChange(action, { server, ...detail }),
    changed: () => void refreshIdentityKeys().catch(() => undefined),
  });
  const readOnly: ReadOnlyIdentities = new ReadOnlyIdentities({
    source: setup.source,
    defaultServer: () => connections.defaultServer(),
  });
  // Key material of every connection (and read-only identity) is redacted from assistant output.
  let identityKeys: string[] = [];
  const refreshIdentityKeys = async () => {
    const keys: string[] = [];
    for (const s of connections.registry().list()) {
      const yaml = await setup.source.get(s.name).catch(() => undefined);
      if (yaml) keys.push(...keyMaterialForms(loadApiConfig(yaml).clientPrivateKeyPem));
    }
    identityKeys = keys;
  };
  const service: McpService = new McpService({
    dataDir: o.dataDir,
    version: o.version,
    servers,
    secrets: new KeychainOrMemory(once),
    stdioCommand: stdioCommand(o.mode),
    stdioEnv: stdioEnv(o.env ?? process.env),
    httpPort: httpPort(o.env ?? process.env),
    defaultConnection: () => connections.defaultServer(),
    connectionStorage: (name) => connections.storageOf(name),
    tokenPersists: () => once().then((k) => k !== null),
    readOnly,
    readOnlySetup: setup,
    ...(o.agents ? { agents: o.agents } : {}),
    ...(o.deployments ? { deployments: o.deployments } : {}),
    secretsToRedact: () => {
      let registry: ConnectionRegistry;
      try {
        registry = connections.registry();
      } catch {
        return identityKeys;
      }
      return [
        ...registry.list().flatMap((s) => keyMaterialForms(registry.config(s.name).clientPrivateKeyPem)),
        ...identityKeys,
      ];
    },
    ...(o.credentials ? { tokenRecord: keychainOnlyRecord(o.credentials, once) } : {}),
  });
  return {
    service,
    connections,
    handlers: {
      ...mcpHandlers(service),
      // The stdio snippet names the app's current connection: read the saved ones first.
      'mcp:snippets': async () => {
        await connections.refresh().catch(() => undefined);
        return service.snippets();
      },
      // The list names the app's current connections: read the saved ones first.
      'mcp:readOnlyIdentities': async () => {
        await connections.refresh().catch(() => undefined);
        return setup.list();
      },
    },
    async start() {
      await connections
        .refresh()
        .then(refreshIdentityKeys)
        .catch(() => undefined);
      try {
        await service.start();
      } catch {
        // status() carries the reason; the Assistants page shows it and offers to retry.
      }
    },
    async dispose() {
      await service.dispose();
      readOnly.close();
      await connections.dispose();
    },
  };
}
