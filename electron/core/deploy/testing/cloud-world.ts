/**
 * The test world of either cloud (AWS against moto, Azure against the fake ARM), for what the crash
 * tests and their child do alike.
 */
import type { SecretStore } from '../../credentials/secret-store';
import type { AwsSettingsInput } from '../aws/aws-deployer';
import type { AzureSettingsInput } from '../azure/azure-deployer';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RotationService } from '../../pki/index';
import { build, vql } from '../../velociraptor/vql/builder';
import { certificateOperation } from '../certificates';
import type { DeploymentPlan } from '../model';
import type { RunnerDeps } from '../runner';
import { DeploymentService } from '../service';
import { awsWorld } from './aws-world';
import { azureWorld } from './azure-world';

/** A crash child's input (one JSON argument). */
export type CloudCrashChildConfig = {
  dataDir: string;
  vaultPath: string;
  vaultPassphrase: string;
  vmRoot: string;
  release: { url: string; caPem: string; key: { armored: string; fingerprint: string } };
  /** Stop after this many journal writes (heartbeats not counted); null = run to the end. */
  stopAt: number | null;
  /** Scale out this deployment (a minion on `port`) instead of deploying. */
  scaleOut?: { deploymentId: string; port: number };
} & (
  | { target: 'aws'; motoEndpoint: string; settings: AwsSettingsInput }
  | { target: 'azure'; fake: { endpoint: string; caPem: string }; settings: AzureSettingsInput }
);

/** The test world of the config's cloud, as the app builds it. */
export function cloudWorld(
  config: CloudCrashChildConfig,
  secrets: SecretStore,
  afterJournalWrite?: RunnerDeps['afterJournalWrite'],
) {
  const common = {
    dataDir: config.dataDir,
    vmRoot: config.vmRoot,
    release: config.release,
    secrets,
    ...(afterJournalWrite ? { afterJournalWrite } : {}),
  };
  return config.target === 'aws'
    ? awsWorld({ ...common, motoEndpoint: config.motoEndpoint })
    : azureWorld({ ...common, fake: config.fake });
}

/**
 * The app's DeploymentService over a cloud test world's deployer and operations, on the same data
 * dir and keychain: what the service adds to the runner (scale-out's plan, checks and journal).
 */
export function cloudService(
  world: Pick<ReturnType<typeof cloudWorld>, 'deployer' | 'operations' | 'connections'>,
  o: { dataDir: string; secrets: SecretStore; afterJournalWrite?: RunnerDeps['afterJournalWrite'] },
): DeploymentService {
  return new DeploymentService({
    dataDir: o.dataDir,
    secrets: () => Promise.resolve(o.secrets),
    connections: world.connections,
    targets: () => [{ deployer: world.deployer, operations: world.operations }],
    ...(o.afterJournalWrite ? { afterJournalWrite: o.afterJournalWrite } : {}),
  });
}

type AnyCloudWorld = ReturnType<typeof cloudWorld>;

/** The rows of `whoami()` through the app's connection `name` (a fresh channel each call). */
export async function whoamiThrough(w: Pick<AnyCloudWorld, 'connections'>, name: string): Promise<unknown[]> {
  await w.connections.service({ server: name, org: '' });
  const conn = w.connections.registry.connection(name);
  return (await conn.queryRows(build(vql`SELECT whoami() AS User FROM scope()`))).rows;
}

/** Renews the deployment's certificates as the app does: an operation through the target's channels. */
export function renewCertificates(
  w: AnyCloudWorld,
  plan: DeploymentPlan,
  secrets: SecretStore,
  rotationsPath: string,
) {
  return w.runner.operate(
    plan.deploymentId,
    certificateOperation({
      plan,
      mode: 'renew',
      deployer: w.deployer,
      operations: w.operations,
      rotations: new RotationService({ journalPath: rotationsPath, secrets }),
      connections: w.sink,
      lifetimes: plan.profile.certificates,
    }),
  );
}

/** The server config on a stand-in VM's disk (what its fetcher wrote), `vmRoot` being the deployer's. */
export function configOnVm(
  w: Pick<AnyCloudWorld, 'deployer'>,
  vm: { o: { dir: string } },
  deploymentId: string,
  vmRoot: string,
): Promise<string> {
  return readFile(join(vm.o.dir, w.deployer.layout(deploymentId).config.slice(vmRoot.length)), 'utf8');
}
