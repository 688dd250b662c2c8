/**
 * The servers a data dir holds, built one way for the desktop app, `megaraptor serve` and the CLI:
 * the connection manager and the deployments service, both listing what they save in the
 * credential index. Without the index, a deployment made from `megaraptor deploy` saved its
 * connection and its CA key, API identity and admin password in the keychain but never appeared
 * on the Credentials page, which reads the index.
 */
import { ConnectionManager, connectionCredentials, type DemoFactory } from './connections/index';
import type { CredentialService, SecretStore } from './credentials/index';
import { DeploymentService, releaseSourceFromEnv } from './deploy/index';

export interface ServerStackOptions {
  dataDir: string;
  /** The secret store (the keychain, or the vault once the responder opened it); null: none here. */
  secrets: () => Promise<SecretStore | null>;
  /** The credential index every saved secret is listed in. */
  credentials: Pick<CredentialService, 'register' | 'unregister'>;
  demo: DemoFactory;
  env: NodeJS.ProcessEnv;
}

export interface ServerStack {
  connections: ConnectionManager;
  deployments: DeploymentService;
}

export function createServerStack(o: ServerStackOptions): ServerStack {
  const connections = new ConnectionManager({
    dataDir: o.dataDir,
    secrets: o.secrets,
    demo: o.demo,
    credentials: connectionCredentials(o.credentials),
  });
  const deployments = new DeploymentService({
    dataDir: o.dataDir,
    secrets: o.secrets,
    connections,
    credentials: o.credentials,
    releaseSource: releaseSourceFromEnv(o.env),
  });
  return { connections, deployments };
}
