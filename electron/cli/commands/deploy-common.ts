/**
 * What `megaraptor deploy` and `megaraptor deployments` share: the deployments service over the app's
 * data dir (the same journals, keychain namespace and connections as the desktop app), and the way
 * progress and outcomes are printed. Built by the app's own factory (core/server-stack.ts), so what a
 * command saves is listed in the credential index the Credentials page reads. The keychain is opened
 * through the worker backend, ended when the command ends.
 */
import type { ProgressEvent } from '../../../shared/deploy';
import { resolveDataDir } from '../../core/app/index';
import type { ConnectionManager } from '../../core/connections/index';
import {
  createCredentialService,
  type CredentialService,
  type SecretStore,
} from '../../core/credentials/index';
import type { DeploymentService } from '../../core/deploy/index';
import { createServerStack } from '../../core/server-stack';
import { stripTerminalControls } from '../../core/velociraptor/index';
import type { CliIO } from '../command';
import { lazyKeychain } from '../keychain';

export interface CliDeployments {
  service: DeploymentService;
  /** The app's connections of the data dir (what a deployment adds, what agents enrol with). */
  connections: ConnectionManager;
  /** The keychain of the data dir, opened on first use (null: none here). */
  secrets: () => Promise<SecretStore | null>;
  /** The credential index of the data dir (what the Credentials page lists). */
  credentials: Pick<CredentialService, 'register' | 'unregister'>;
  dataDir: string;
  close(): Promise<void>;
}

export async function openDeployments(io: CliIO): Promise<CliDeployments> {
  const dataDir = resolveDataDir({ env: io.env, cwd: io.cwd });
  const keychain = lazyKeychain(dataDir);
  // Only its index is used here (register/unregister): secrets go through `keychain`.
  const credentials = createCredentialService(dataDir);
  const { connections, deployments: service } = createServerStack({
    dataDir,
    secrets: keychain.open,
    credentials,
    demo: () => Promise.reject(new Error('The demo server runs in the app, not from the command line.')),
    env: io.env,
  });
  return {
    service,
    connections,
    secrets: keychain.open,
    credentials,
    dataDir,
    async close() {
      await service.dispose();
      await connections.dispose();
      credentials.dispose();
      keychain.close();
    },
  };
}

/** Progress as lines on stderr: steps, resources, logs (control characters stripped). */
export function progressPrinter(io: CliIO): (e: ProgressEvent) => void {
  let lastProgress = 0;
  return (e) => {
    const clean = (s: string) => stripTerminalControls(s);
    switch (e.type) {
      case 'phase':
        io.stderr.write(`== ${e.phase}\n`);
        break;
      case 'step':
        if (e.state === 'running') io.stderr.write(`-> ${clean(e.title)}\n`);
        else if (e.state === 'done')
          io.stderr.write(
            `   done ${clean(e.title)}${e.ms !== undefined ? ` (${(e.ms / 1000).toFixed(1)} s)` : ''}\n`,
          );
        else if (e.state === 'failed')
          io.stderr.write(`   FAILED ${clean(e.title)}: ${clean(e.error?.message ?? '')}\n`);
        break;
      case 'resource':
        if (e.state === 'created' || e.state === 'removed')
          io.stderr.write(`   ${e.state} ${e.resource.kind} ${clean(e.resource.id)}\n`);
        break;
      case 'log':
        io.stderr.write(`   ${e.level === 'info' ? '' : `${e.level}: `}${clean(e.line)}\n`);
        break;
      case 'progress':
        // At most one progress line a second: downloads report often.
        if (e.message && Date.now() - lastProgress > 1000) {
          lastProgress = Date.now();
          const pct = e.fraction !== undefined ? ` ${Math.round(e.fraction * 100)}%` : '';
          io.stderr.write(`   ${clean(e.message)}${pct}\n`);
        }
        break;
    }
  };
}

export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
