/**
 * What an AWS deployment test (and its crash child) needs, built the way the app builds it: the
 * release cache pointed at the test's release server and key, journals and connections in a data dir,
 * the runner with the AWS deployer — whose SDK clients talk to moto with fixed credentials, whose VMs'
 * public addresses are dialled on loopback (the stand-in VMs listen there), and whose boot script keeps
 * its paths under the stand-ins' root folder.
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readdir } from 'node:fs/promises';
import type { EnumerableSecretStore, SecretStore } from '../../credentials/secret-store';
import { AwsDeployer, type AwsSettingsInput } from '../aws/aws-deployer';
import { AwsOperations } from '../aws/operations';
import type { TrustedKey } from '../releases/signature';
import type { RunnerDeps } from '../runner';
import { stackNameOf, TAG } from '../aws/names';
import type { AwsFleet } from './aws-fleet';
import { MOTO_CREDENTIALS } from './moto-credentials';
import { CLOUD_TEST_ACCESS, standInVms, worldParts } from './world-parts';

export const AWS_TEST_REGION = 'eu-west-1';

export interface AwsWorldOptions {
  dataDir: string;
  motoEndpoint: string;
  /** The stand-in VMs' root (the deployer's vm.root). */
  vmRoot: string;
  release: { url: string; caPem: string; key: TrustedKey };
  secrets: SecretStore;
  afterJournalWrite?: RunnerDeps['afterJournalWrite'];
}

export function awsWorld(o: AwsWorldOptions) {
  const parts = worldParts(o);
  const deployer = new AwsDeployer({
    releases: parts.releases,
    connections: parts.sink,
    secrets: o.secrets,
    trustedKey: o.release.key,
    aws: { endpoint: o.motoEndpoint, credentials: MOTO_CREDENTIALS },
    ...standInVms(o.vmRoot),
  });
  return {
    ...parts,
    deployer,
    operations: new AwsOperations({ deployer, pollMs: 200 }),
    runner: parts.runnerFor(deployer),
    async close() {
      deployer.close();
      await parts.connections.dispose();
    },
  };
}
export type AwsWorld = ReturnType<typeof awsWorld>;

/** Settings of a test deployment: documentation ranges, the given loopback ports. */
export function awsTestSettings(
  ports: { frontend: number; api: number; gui: number },
  extra: Partial<AwsSettingsInput> = {},
): AwsSettingsInput {
  return {
    credentials: { source: 'chain' },
    region: AWS_TEST_REGION,
    access: CLOUD_TEST_ACCESS,
    ports,
    release: { tag: 'v0.77.2' },
    bootTimeoutMs: 90_000,
    ...extra,
  };
}

/** Everything of deployment `id` that could be left on "AWS" (moto), in the keychain, the app or the journal. */
export async function awsLeftovers(
  aws: { ec2: EC2Client; cfn: CloudFormationClient; sm: SecretsManagerClient; fleet: AwsFleet },
  w: Pick<AwsWorld, 'connections' | 'journals'>,
  secrets: Pick<EnumerableSecretStore, 'listRefs'>,
  id: string,
  name: string,
) {
  const byTag = [{ Name: `tag:${TAG.deployment}`, Values: [id] }];
  const stack = await aws.cfn
    .send(new DescribeStacksCommand({ StackName: stackNameOf(id) }))
    .then((r) => r.Stacks?.[0]?.StackStatus ?? null)
    .catch(() => null);
  const instances = (
    await aws.ec2.send(new DescribeInstancesCommand({ Filters: byTag }))
  ).Reservations?.flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated')
    .map((i) => i.InstanceId);
  const groups = (
    await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: byTag }))
  ).SecurityGroups?.map((g) => g.GroupId);
  const secretsLeft = (await aws.sm.send(new ListSecretsCommand({}))).SecretList?.filter((s) =>
    s.Name?.includes(id),
  ).map((s) => s.Name);
  return {
    stack: stack === 'DELETE_COMPLETE' ? null : stack,
    instances: instances ?? [],
    groups: groups ?? [],
    secrets: secretsLeft ?? [],
    vms: aws.fleet.of(id).map((v) => v.instanceId),
    keychain: (await secrets.listRefs()).filter((r) => r.includes(id)),
    connections: (await w.connections.list()).connections.filter((c) => c.name === name).map((c) => c.name),
    journals: (await readdir(w.journals.dir).catch(() => [] as string[])).filter((f) => f.startsWith(id)),
  };
}

export const NOTHING = {
  stack: null,
  instances: [],
  groups: [],
  secrets: [],
  vms: [],
  keychain: [],
  connections: [],
  journals: [],
};

/** The user-data moto holds for an instance, decoded (AWS keeps it base64). */
export async function userDataOf(ec2: EC2Client, instanceId: string): Promise<string> {
  const r = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }),
  );
  return Buffer.from(r.UserData?.Value ?? '', 'base64').toString();
}
