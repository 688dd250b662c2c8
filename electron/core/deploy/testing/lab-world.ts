/**
 * What a local lab test (and its crash child) needs, built the way the app builds it: the release
 * cache pointed at the test's release server and key, journals and connections in a data dir, the
 * runner with the lab deployer.
 */
import { join } from 'node:path';
import { ConnectionManager } from '../../connections/index';
import type { SecretStore } from '../../credentials/secret-store';
import { connectionSink, ConnectionRemover } from '../connection-sink';
import { JournalStore } from '../journal';
import { LabDeployer } from '../lab/lab-deployer';
import { ReleaseCache } from '../releases/cache';
import type { TrustedKey } from '../releases/signature';
import { ReleaseSource } from '../releases/source';
import { DeploymentRunner, type RunnerDeps } from '../runner';

export function labWorld(o: {
  dataDir: string;
  secrets: SecretStore;
  release: { url: string; caPem: string; key: TrustedKey };
  afterJournalWrite?: RunnerDeps['afterJournalWrite'];
}) {
  const connections = new ConnectionManager({
    dataDir: o.dataDir,
    secrets: () => Promise.resolve(o.secrets),
    demo: () => Promise.reject(new Error('no demo server in deployment tests')),
  });
  const sink = connectionSink(connections);
  const deployer = new LabDeployer({
    labsDir: join(o.dataDir, 'labs'),
    releases: new ReleaseCache({
      dir: join(o.dataDir, 'releases'),
      source: new ReleaseSource({ kind: 'github', apiBase: o.release.url, caCertificates: o.release.caPem }),
      trustedKey: o.release.key,
    }),
    connections: sink,
    trustedKey: o.release.key,
  });
  const journals = new JournalStore(join(o.dataDir, 'deployments'));
  const runner = new DeploymentRunner({
    journals,
    secrets: o.secrets,
    deployers: [deployer],
    removers: [new ConnectionRemover(sink)],
    ...(o.afterJournalWrite ? { afterJournalWrite: o.afterJournalWrite } : {}),
  });
  return { connections, deployer, runner, journals, close: () => connections.dispose() };
}
