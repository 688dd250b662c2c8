/**
 * What a local lab test (and its crash child) needs, built the way the app builds it: the release
 * cache pointed at the test's release server and key, journals and connections in a data dir, the
 * runner with the lab deployer.
 */
import { join } from 'node:path';
import { LabDeployer } from '../lab/lab-deployer';
import { worldParts, type WorldOptions } from './world-parts';

export function labWorld(o: WorldOptions) {
  const { connections, sink, releases, journals, runnerFor } = worldParts(o);
  const deployer = new LabDeployer({
    labsDir: join(o.dataDir, 'labs'),
    releases,
    connections: sink,
    trustedKey: o.release.key,
  });
  const runner = runnerFor(deployer);
  return { connections, deployer, runner, journals, close: () => connections.dispose() };
}
