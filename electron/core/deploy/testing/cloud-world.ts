/**
 * The test world of either cloud (AWS against moto, Azure against the fake ARM), for what the crash
 * tests and their child do alike.
 */
import type { SecretStore } from '../../credentials/secret-store';
import type { AwsSettingsInput } from '../aws/aws-deployer';
import type { AzureSettingsInput } from '../azure/azure-deployer';
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
