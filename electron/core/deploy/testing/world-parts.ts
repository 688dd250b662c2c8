/**
 * What every deployment test world builds the way the app does, whatever its target: connections in
 * the test's data dir, the release cache pointed at the test's release server and key, the journals,
 * and a runner for the target's deployer.
 */
import { join } from 'node:path';
import { ConnectionManager } from '../../connections/index';
import type { SecretStore } from '../../credentials/secret-store';
import { connectionSink, ConnectionRemover, type ConnectionSink } from '../connection-sink';
import { JournalStore } from '../journal';
import type { Deployer } from '../model';
import { ReleaseCache } from '../releases/cache';
import type { TrustedKey } from '../releases/signature';
import { ReleaseSource } from '../releases/source';
import { DeploymentRunner, type RunnerDeps } from '../runner';

export interface WorldOptions {
  dataDir: string;
  secrets: SecretStore;
  release: { url: string; caPem: string; key: TrustedKey };
  clock?: () => Date;
  afterJournalWrite?: RunnerDeps['afterJournalWrite'];
}

export function worldParts(o: WorldOptions): {
  connections: ConnectionManager;
  sink: ConnectionSink;
  releases: ReleaseCache;
  journals: JournalStore;
  runnerFor: (deployer: Deployer) => DeploymentRunner;
} {
  const connections = new ConnectionManager({
    dataDir: o.dataDir,
    secrets: () => Promise.resolve(o.secrets),
    demo: () => Promise.reject(new Error('no demo server in deployment tests')),
  });
  const sink = connectionSink(connections);
  const releases = new ReleaseCache({
    dir: join(o.dataDir, 'releases'),
    source: new ReleaseSource({ kind: 'github', apiBase: o.release.url, caCertificates: o.release.caPem }),
    trustedKey: o.release.key,
  });
  const journals = new JournalStore(join(o.dataDir, 'deployments'));
  return {
    connections,
    sink,
    releases,
    journals,
    runnerFor: (deployer) =>
      new DeploymentRunner({
        journals,
        secrets: o.secrets,
        deployers: [deployer],
        removers: [new ConnectionRemover(sink)],
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.afterJournalWrite ? { afterJournalWrite: o.afterJournalWrite } : {}),
      }),
  };
}

/**
 * The cloud deployers' test seams: the VMs' public addresses dialled on loopback (the stand-in VMs
 * listen there), their boot script's paths under `vmRoot`, and fast polling.
 */
export function standInVms(vmRoot: string): {
  dial: (address: string, port: number) => { host: string; port: number };
  vm: { root: string; bindAddress: string; pollSeconds: number; configWaitSeconds: number };
  pollMs: number;
} {
  return {
    dial: (_address, port) => ({ host: '127.0.0.1', port }),
    vm: { root: vmRoot, bindAddress: '127.0.0.1', pollSeconds: 1, configWaitSeconds: 120 },
    pollMs: 200,
  };
}

/** Where the cloud test deployments' agents and responder are (documentation ranges). */
export const CLOUD_TEST_ACCESS = {
  agentCidrs: ['198.51.100.0/24', '2001:db8:1::/48'],
  responderCidrs: ['203.0.113.7/32'],
};
