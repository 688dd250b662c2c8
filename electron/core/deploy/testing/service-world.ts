/**
 * A DeploymentService the way the app builds it, over test targets: the release cache pointed at a
 * test's HTTPS release server and its gpg key, the lab (and, given an engine, Docker) deployers with
 * their operations, journals and connections in a data dir, a clock the test moves.
 */
import { join } from 'node:path';
import { ConnectionManager } from '../../connections/index';
import type { SecretStore } from '../../credentials/secret-store';
import { DockerDeployer } from '../docker/docker-deployer';
import { DockerOperations } from '../docker/operations';
import { LabDeployer } from '../lab/lab-deployer';
import { LabOperations } from '../lab/operations';
import { ReleaseCache } from '../releases/cache';
import type { TrustedKey } from '../releases/signature';
import { ReleaseSource } from '../releases/source';
import { DeploymentService } from '../service';
import type { DeploymentTarget } from '../targets';

export interface ServiceWorld {
  service: DeploymentService;
  connections: ConnectionManager;
  /** Moves the service's clock (ms added to the real time). */
  shift(ms: number): void;
  close(): Promise<void>;
}

export function serviceWorld(o: {
  dataDir: string;
  secrets: SecretStore;
  release: { url: string; caPem: string; key: TrustedKey };
  /** Add the Docker target (its engine comes from each plan's settings). */
  docker?: boolean;
  /** The service's grace after a lifted hold (tests wait seconds, not the app's hour). */
  liftGraceMs?: number;
}): ServiceWorld {
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  const connections = new ConnectionManager({
    dataDir: o.dataDir,
    secrets: () => Promise.resolve(o.secrets),
    demo: () => Promise.reject(new Error('no demo server in deployment tests')),
  });
  const releases = new ReleaseCache({
    dir: join(o.dataDir, 'releases'),
    source: new ReleaseSource({ kind: 'github', apiBase: o.release.url, caCertificates: o.release.caPem }),
    trustedKey: o.release.key,
  });
  const service = new DeploymentService({
    dataDir: o.dataDir,
    secrets: () => Promise.resolve(o.secrets),
    connections,
    clock,
    ...(o.liftGraceMs !== undefined ? { liftGraceMs: o.liftGraceMs } : {}),
    targets: (d): DeploymentTarget[] => {
      const lab = new LabDeployer({
        labsDir: join(d.dataDir, 'labs'),
        releases,
        connections: d.connections,
        trustedKey: o.release.key,
      });
      const targets: DeploymentTarget[] = [
        { deployer: lab, operations: new LabOperations({ deployer: lab, clock }) },
      ];
      if (o.docker) {
        const docker = new DockerDeployer({
          engines: d.engines,
          releases,
          connections: d.connections,
          trustedKey: o.release.key,
        });
        targets.push({
          deployer: docker,
          operations: new DockerOperations({ engines: d.engines, deployer: docker, clock }),
        });
      }
      return targets;
    },
  });
  return {
    service,
    connections,
    shift: (ms) => {
      offset = ms;
    },
    async close() {
      await service.dispose();
      await connections.dispose();
    },
  };
}
