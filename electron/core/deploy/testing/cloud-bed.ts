/**
 * What every cloud integration test (AWS against moto, Azure against the fake ARM; deploy, crash,
 * scale-out) sets up alike before its first deployment, in one place: a root folder, the test signer,
 * the simulator built as the release's linux-amd64 binary and served signed by a release server over
 * HTTPS; then the cloud's own part — moto with the stand-in fleet and SDK clients of the test's own, or
 * the fake ARM and Key Vault with theirs. `close` stops what was started, in reverse.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { AwsFleet } from './aws-fleet';
import { AWS_TEST_REGION } from './aws-world';
import { FakeAzure } from './azure-arm';
import { AzureFleet } from './azure-fleet';
import { AZURE_TEST } from './azure-world';
import { bundleScript, type BundledScript } from './bundle';
import { makeTestSigner, type TestSigner } from './gpg';
import { MOTO_CREDENTIALS, startMoto, type Moto } from './moto';
import { startReleaseServer, type ReleaseServer } from './release-server';
import { signedRelease, SSH_TEST_TAG, testServerBinary } from './ssh-world';

/** The release asset the cloud VMs download. */
export const CLOUD_ASSET = 'velociraptor-v0.77.2-linux-amd64';

export interface ReleaseBed {
  root: string;
  signer: TestSigner;
  releases: ReleaseServer;
  /** The simulator as served (a test may serve another file in its place, then put this back). */
  binary: Buffer;
  /** What a test world's `release` option wants. */
  release: { url: string; caPem: string; key: TestSigner['key'] };
  /** The stand-in VMs' root (the deployers' vm.root). */
  vmRoot: string;
}

async function releaseBed(prefix: string): Promise<ReleaseBed> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const signer = await makeTestSigner();
  const binary = (await testServerBinary(await buildCli(join(root, 'megaraptor.mjs')))).data;
  const releases = await startReleaseServer([
    await signedRelease(SSH_TEST_TAG, { [CLOUD_ASSET]: binary }, (d) => signer.sign(d)),
  ]);
  return {
    root,
    signer,
    releases,
    binary,
    release: { url: releases.url, caPem: releases.caPem, key: signer.key },
    vmRoot: join(root, 'vm'),
  };
}

async function closeRelease(b: Partial<ReleaseBed>): Promise<void> {
  await b.releases?.close();
  await b.signer?.cleanup();
  if (b.root) await rm(b.root, { recursive: true, force: true });
}

export interface AwsBed extends ReleaseBed {
  moto: Moto;
  fleet: AwsFleet;
  /** The test's own clients of moto, for asserting on what it holds. */
  aws: { ec2: EC2Client; cfn: CloudFormationClient; sm: SecretsManagerClient; fleet: AwsFleet };
  close(): Promise<void>;
}

/** moto, the release, the stand-in fleet (its relay is the app's endpoint) and clients of moto. */
export async function startAwsBed(prefix: string): Promise<AwsBed> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const [base, moto] = await Promise.all([releaseBed(prefix), startMoto()]);
  await writeFile(join(base.root, 'release-ca.pem'), base.releases.caPem);
  const fleet = new AwsFleet({
    moto,
    region: AWS_TEST_REGION,
    root: base.vmRoot,
    dir: join(base.root, 'vms'),
    caFile: join(base.root, 'release-ca.pem'),
  });
  await fleet.start();
  const config = { region: AWS_TEST_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS };
  const aws = {
    ec2: new EC2Client(config),
    cfn: new CloudFormationClient(config),
    sm: new SecretsManagerClient(config),
    fleet,
  };
  return {
    ...base,
    moto,
    fleet,
    aws,
    async close() {
      await fleet.stop();
      for (const c of [aws.ec2, aws.cfn, aws.sm]) c.destroy();
      await moto.stop();
      await closeRelease(base);
    },
  };
}

export interface AzureBed extends ReleaseBed {
  fake: FakeAzure;
  fleet: AzureFleet;
  close(): Promise<void>;
}

/** The release, the fake ARM and Key Vault, and the stand-in fleet the fake boots VMs in. */
export async function startAzureBed(prefix: string): Promise<AzureBed> {
  const base = await releaseBed(prefix);
  const fleet = new AzureFleet({
    root: base.vmRoot,
    dir: join(base.root, 'vms'),
    caFile: join(base.root, 'cas.pem'),
  });
  const fake = new FakeAzure({
    publicIp: AZURE_TEST.publicIp,
    tenantId: AZURE_TEST.tenantId,
    onVm: fleet.onVm,
    onGroupDeleted: fleet.onGroupDeleted,
    onPowerOff: fleet.onPowerOff,
    onStart: fleet.onStart,
    onTags: fleet.onTags,
    serialLog: fleet.serialLog,
  });
  await fake.start();
  fleet.fakePort = fake.port;
  await writeFile(join(base.root, 'cas.pem'), `${base.releases.caPem}\n${fake.caPem}\n`);
  return {
    ...base,
    fake,
    fleet,
    async close() {
      await fleet.stop();
      await fake.stop();
      await closeRelease(base);
    },
  };
}

/** A bed with the cloud crash child bundled (testing/cloud-crash-child.ts), closed with it. */
export async function withCrashChild<B extends { close(): Promise<void> }>(
  bed: Promise<B>,
): Promise<B & { child: BundledScript }> {
  const [b, child] = await Promise.all([
    bed,
    bundleScript(join(dirname(fileURLToPath(import.meta.url)), 'cloud-crash-child.ts')),
  ]);
  return {
    ...b,
    child,
    async close() {
      await b.close();
      await child.cleanup();
    },
  };
}
