/**
 * The targets the app deploys to, each a Deployer (plan, preflight, steps, removal) with its
 * TargetOperations (health, logs, config delivery, restart, self-destruction timer): Docker, a Linux
 * host over SSH and the local lab. Built once by the DeploymentService; tests pass their own.
 */
import { join } from 'node:path';
import type { TargetKind } from '../../../shared/deploy';
import type { SecretStore } from '../credentials/index';
import type { ConnectionSink } from './connection-sink';
import { DockerDeployer } from './docker/docker-deployer';
import type { DockerEngines } from './docker/engine';
import { DockerOperations } from './docker/operations';
import { LabDeployer } from './lab/lab-deployer';
import { LabOperations } from './lab/operations';
import type { Deployer } from './model';
import type { ReleaseCache } from './releases/cache';
import type { HostKeyStore } from './ssh/host-keys';
import { SshHostDeployer } from './ssh-host/ssh-host-deployer';
import { SshHostOperations } from './ssh-host/operations';
import type { TargetOperations } from './target-operations';

export interface DeploymentTarget {
  deployer: Deployer;
  operations: TargetOperations;
  /** Closes what the target keeps open (pooled SSH connections). */
  close?(): void;
}

export interface TargetDeps {
  dataDir: string;
  secrets: SecretStore;
  engines: DockerEngines;
  releases: ReleaseCache;
  connections: ConnectionSink;
  /** The SSH host keys the responder confirmed (one store per app: the service's). */
  hostKeys: HostKeyStore;
  clock?: () => Date;
}

/** Where the app keeps the SSH host keys the responder confirmed (OpenSSH's format, hashed names). */
export function appKnownHostsFile(dataDir: string): string {
  return join(dataDir, 'ssh', 'known_hosts');
}

export function builtInTargets(d: TargetDeps): DeploymentTarget[] {
  const clock = d.clock ? { clock: d.clock } : {};
  const docker = new DockerDeployer({ engines: d.engines, releases: d.releases, connections: d.connections });
  const ssh = new SshHostDeployer({
    ssh: { secrets: d.secrets, hostKeys: d.hostKeys },
    releases: d.releases,
    connections: d.connections,
  });
  const lab = new LabDeployer({
    labsDir: join(d.dataDir, 'labs'),
    releases: d.releases,
    connections: d.connections,
  });
  return [
    {
      deployer: docker,
      operations: new DockerOperations({ engines: d.engines, deployer: docker, ...clock }),
    },
    {
      deployer: ssh,
      operations: new SshHostOperations({ deployer: ssh, ...clock }),
      close: () => ssh.close(),
    },
    { deployer: lab, operations: new LabOperations({ deployer: lab, ...clock }) },
  ];
}

export function targetOf(
  targets: readonly DeploymentTarget[],
  kind: TargetKind,
): DeploymentTarget | undefined {
  return targets.find((t) => t.deployer.target === kind);
}
