/**
 * Builds the investigation domain for the composition root: connection manager (keychain when
 * available, else session-only), notebooks in the data dir, the service, and the demo simulator
 * started on request in this process.
 */
import type { CredentialService } from '../credentials/credential-service';
import type { SecretStore as KeychainStore } from '../credentials/secret-store';
import { startSimulator } from '../sim/index';
import { ConnectionManager } from './connections';
import { connectionCredentials } from './credential-records';
import { investigationHandlers } from './handlers';
import { KeychainSecrets } from './keychain-adapter';
import { NotebookStore } from './notebook-store';
import { InvestigationService } from './service';

export interface InvestigationDomain {
  handlers: ReturnType<typeof investigationHandlers>;
  /** The live connection manager (the MCP domain shares it). */
  connections: ConnectionManager;
  dispose(): Promise<void>;
}

/**
 * `keychain` resolves to the OS keychain store, or null when the probe found none; `credentials`
 * lists the configs saved there on the Credentials page.
 */
export function createInvestigation(
  dataDir: string,
  keychain: () => Promise<KeychainStore | null>,
  credentials?: CredentialService,
): InvestigationDomain {
  const manager = new ConnectionManager({
    dataDir,
    ...(credentials ? { credentials: connectionCredentials(credentials) } : {}),
    secrets: async () => {
      const store = await keychain();
      return store ? new KeychainSecrets(store) : null;
    },
    demo: async () => {
      const sim = await startSimulator({ host: '127.0.0.1' });
      return {
        yaml: await sim.mintApiConfig('megaraptor-demo', ['administrator']),
        readOnlyYaml: await sim.mintApiConfig('megaraptor-demo-assistant-ro', ['api']),
        stop: () => sim.stop(),
      };
    },
  });
  const svc = new InvestigationService(manager, dataDir);
  return {
    handlers: investigationHandlers(manager, svc, new NotebookStore(dataDir)),
    connections: manager,
    dispose: () => manager.dispose(),
  };
}
