/**
 * What an AWS deployment test (and its crash child) needs, built the way the app builds it: the
 * release cache pointed at the test's release server and key, journals and connections in a data dir,
 * the runner with the AWS deployer — whose SDK clients talk to moto with fixed credentials, whose VMs'
 * public addresses are dialled on loopback (the stand-in VMs listen there), and whose boot script keeps
 * its paths under the stand-ins' root folder.
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConnectionManager } from '../../connections/index';
import type { EnumerableSecretStore, SecretStore } from '../../credentials/secret-store';
import { AwsDeployer, type AwsSettingsInput } from '../aws/aws-deployer';
import { AwsOperations } from '../aws/operations';
import { connectionSink, ConnectionRemover } from '../connection-sink';
import { JournalStore } from '../journal';
import { ReleaseCache } from '../releases/cache';
import type { TrustedKey } from '../releases/signature';
import { ReleaseSource } from '../releases/source';
import { DeploymentRunner, type RunnerDeps } from '../runner';
import { stackNameOf, TAG } from '../aws/names';
import type { AwsFleet } from './aws-fleet';
import { MOTO_CREDENTIALS } from './moto-credentials';

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
  const connections = new ConnectionManager({
    dataDir: o.dataDir,
    secrets: () => Promise.resolve(o.secrets),
    demo: () => Promise.reject(new Error('no demo server in deployment tests')),
  });
  const sink = connectionSink(connections);
  const deployer = new AwsDeployer({
    releases: new ReleaseCache({
      dir: join(o.dataDir, 'releases'),
      source: new ReleaseSource({ kind: 'github', apiBase: o.release.url, caCertificates: o.release.caPem }),
      trustedKey: o.release.key,
    }),
    connections: sink,
    secrets: o.secrets,
    trustedKey: o.release.key,
    aws: { endpoint: o.motoEndpoint, credentials: MOTO_CREDENTIALS },
    dial: (_address, port) => ({ host: '127.0.0.1', port }),
    vm: { root: o.vmRoot, bindAddress: '127.0.0.1', pollSeconds: 1, configWaitSeconds: 120 },
    pollMs: 200,
  });
  const operations = new AwsOperations({ deployer, pollMs: 200 });
  const journals = new JournalStore(join(o.dataDir, 'deployments'));
  const runner = new DeploymentRunner({
    journals,
    secrets: o.secrets,
    deployers: [deployer],
    removers: [new ConnectionRemover(sink)],
    ...(o.afterJournalWrite ? { afterJournalWrite: o.afterJournalWrite } : {}),
  });
  return {
    connections,
    deployer,
    operations,
    sink,
    runner,
    journals,
    async close() {
      deployer.close();
      await connections.dispose();
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
    access: {
      agentCidrs: ['198.51.100.0/24', '2001:db8:1::/48'],
      responderCidrs: ['203.0.113.7/32'],
    },
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
