/**
 * Scale-out of an AWS multi-frontend deployment against moto, through the app's DeploymentService:
 * an enterprise deployment (master and one minion on a shared store; the stand-in fleet boots each
 * instance's REAL user-data with the simulator as the binary) gets a second minion by a stack update.
 *
 * Asserted on moto afterwards: the stack holds the new node's instance, Elastic IP and inbound rules
 * (the rules = the agents' ranges on its port), nothing the stack held before changed (the same
 * instances run), no secret in the new user-data, the temporary config secret read by the VM and
 * deleted once the master reported the minion. A scale-out whose minion never reports is rolled back
 * (the stack updated back, the secret gone, the keychain's config unchanged; the journal says so).
 * Then a child process scaling out is SIGKILLed at each step and around each resource it asks for;
 * after each kill the app lists the deployment as interrupted and clean-up brings it back to what it
 * was. Destroy leaves nothing.
 */
import { GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { FileVaultSecretStore } from '../../credentials/file-vault';
import type { JournalDoc } from '../journal';
import type { RunnerDeps } from '../runner';
import { identitySecrets } from '../server-identity';
import { awsLeftovers, awsTestSettings, awsWorld, NOTHING, userDataOf } from '../testing/aws-world';
import type { BundledScript } from '../testing/bundle';
import { runChild } from '../testing/child-run';
import { CLOUD_ASSET, startAwsBed, withCrashChild, type AwsBed } from '../testing/cloud-bed';
import { crashRound } from '../testing/cloud-crash';
import { cloudService, type CloudCrashChildConfig } from '../testing/cloud-world';
import { freePort, SMALL } from '../testing/docker-world';
import { motoServer } from '../testing/moto';
import { openVault } from '../testing/vault';
import { stackNameOf, TAG } from './names';

const part = motoServer();
const NAME = 'aws-grow';

let bed: AwsBed & { child: BundledScript };
/** The deployment both tests grow (made by the first). */
let deployment: { id: string; dataDir: string; vaultPath: string } | undefined;
/**
 * The journal writes of the first test's scale-out, which the crash test kills at: a crash child that
 * ran to the end would grow the stack past what CloudFormation takes for the rounds after it.
 */
const scaleOutWrites: string[] = [];

beforeAll(async () => {
  if (part.ready) bed = await withCrashChild(startAwsBed('megaraptor-aws-scale-'));
}, 240_000);

afterAll(async () => {
  await bed?.close();
}, 120_000);

/** The app on the deployment's data dir and keychain (a file vault, which a crash child shares). */
async function app(dataDir: string, vaultPath: string, afterJournalWrite?: RunnerDeps['afterJournalWrite']) {
  const secrets = await openVault(vaultPath, 'scale-out-test');
  const world = awsWorld({
    dataDir,
    motoEndpoint: bed.fleet.endpoint,
    vmRoot: bed.vmRoot,
    release: bed.release,
    secrets,
  });
  const service = cloudService(world, {
    dataDir,
    secrets,
    ...(afterJournalWrite ? { afterJournalWrite } : {}),
  });
  return {
    world,
    service,
    secrets,
    async close() {
      await service.dispose();
      await world.close();
    },
  };
}

type Template = {
  Resources: Record<string, { Type: string; DependsOn?: string[]; Properties: Record<string, unknown> }>;
};

async function template(id: string): Promise<Template> {
  const r = await bed.aws.cfn.send(new GetTemplateCommand({ StackName: stackNameOf(id) }));
  return JSON.parse(r.TemplateBody!) as Template;
}

async function runningInstances(id: string): Promise<string[]> {
  const r = await bed.aws.ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.deployment}`, Values: [id] }] }),
  );
  return (r.Reservations ?? [])
    .flatMap((x) => x.Instances ?? [])
    .filter((i) => i.State?.Name === 'running')
    .map((i) => i.InstanceId!)
    .sort();
}

async function secretsOf(id: string): Promise<string[]> {
  const list = (await bed.aws.sm.send(new ListSecretsCommand({}))).SecretList ?? [];
  return list.filter((s) => s.Name?.includes(id)).map((s) => s.Name!);
}

/** What a scale-out changes, on "AWS" and in the app: equal before one and after its clean-up. */
async function state(id: string, secrets: FileVaultSecretStore, journal: JournalDoc) {
  const resources =
    (await bed.aws.cfn.send(new ListStackResourcesCommand({ StackName: stackNameOf(id) })))
      .StackResourceSummaries ?? [];
  const config = parse((await secrets.get(identitySecrets(id).serverConfig.id)) ?? '{}') as {
    ExtraFrontends?: unknown[];
    Client?: { server_urls?: string[] };
  };
  return {
    stack: resources.map((r) => r.LogicalResourceId).sort(),
    template: await template(id),
    instances: await runningInstances(id),
    vms: bed.fleet
      .of(id)
      .map((v) => v.instanceId)
      .sort(),
    secrets: await secretsOf(id),
    extraFrontends: config.ExtraFrontends,
    serverUrls: config.Client?.server_urls,
    settings: journal.settings,
    live: journal.resources.filter((r) => r.state !== 'removed' && r.state !== 'retained').map((r) => r.id),
  };
}

const action = (r: { action: string }) => r.action.split('.').pop() ?? '';

describe('scale-out of an AWS multi-frontend deployment against moto', () => {
  it(`has ${part.name} (required in CI)`, () => part.check());

  it.runIf(part.run)(
    'adds a minion by a stack update that changes nothing else; its config via a secret deleted after verify; a minion that never reports is rolled back',
    async () => {
      const dataDir = join(bed.root, 'grow');
      const vaultPath = join(dataDir, 'vault.json');
      let recording = false;
      const a = await app(dataDir, vaultPath, (_doc, label) => {
        if (recording && label !== 'heartbeat') scaleOutWrites.push(label);
        return Promise.resolve();
      });
      try {
        const p = { frontend: await freePort(), api: await freePort(), gui: await freePort() };
        // The stand-in VMs share this machine's loopback: every minion has its own port.
        const [first, second, third] = [await freePort(), await freePort(), await freePort()];
        const plan = await a.world.runner.plan('aws', {
          name: NAME,
          profile: 'enterprise',
          overrides: SMALL,
          settings: awsTestSettings(p, { minions: 1, minionPorts: [first], bootTimeoutMs: 60_000 }),
        });
        const t0 = Date.now();
        const out = await a.world.runner.deploy(plan);
        console.log(
          `master and one minion deployed and verified in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
        expect(out.journal.state).toBe('deployed');
        const id = plan.deploymentId;
        deployment = { id, dataDir, vaultPath };
        const before = await state(id, a.secrets, out.journal);
        expect(before.instances).toHaveLength(2);

        // The approval plan lists what AWS gets; a bind address is Docker's and refused up front.
        const preview = await a.service.scaleOutPlan(id, { port: second });
        expect(preview).toMatchObject({ target: 'aws', node: `Minion2a1 (<its Elastic IP>-${second})` });
        expect(preview.resources.map((r) => [r.kind, r.id])).toEqual([
          ['cloud-stack-node', `${stackNameOf(id)}/Minion2a1`],
          ['cloud-secret', `megaraptor/${id}/server-config`],
        ]);
        expect(preview.resources[0]!.title).toMatch(/EC2 instance.*Elastic IP.*2 inbound rule\(s\) for port/);
        await expect(a.service.scaleOutPlan(id, { bindAddress: '10.0.0.9' })).rejects.toThrow(
          /no address to bind it to/,
        );
        await expect(a.service.scaleOutPlan(id, { port: p.api })).rejects.toThrow(/the server's API port/);

        const requestsBefore = (await bed.moto.requests()).length;
        const t1 = Date.now();
        recording = true;
        const grown = await a.service.scaleOut(id, { port: second });
        recording = false;
        console.log(`scale-out (stack update, boot, verified) in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
        expect(grown.operation).toMatchObject({
          kind: 'scale-out',
          state: 'done',
          steps: [
            'scale-out-stack',
            'scale-out-secret',
            'scale-out-verify-frontends',
            'scale-out-seal',
            'scale-out-record',
          ],
        });
        expect(grown.journal.settings).toMatchObject({ minions: 2, minionPorts: [first, second] });
        // The stack owns the node now (destroy deletes the stack); the secret is gone.
        expect(
          grown.journal.resources
            .filter((r) => r.step.startsWith('scale-out'))
            .map((r) => [r.kind, r.state])
            .sort(),
        ).toEqual([
          ['cloud-secret', 'removed'],
          ['cloud-stack-node', 'retained'],
        ]);

        // The stack: the new node added, everything it held before unchanged, the same VMs running.
        const after = await state(id, a.secrets, grown.journal);
        expect(after.stack).toEqual(
          expect.arrayContaining(['Minion2a1', 'Minion2a1Address', 'Minion2a1Ingress1', 'Minion2a1Ingress2']),
        );
        for (const [logicalId, r] of Object.entries(before.template.Resources))
          expect([logicalId, after.template.Resources[logicalId]]).toEqual([logicalId, r]);
        expect(after.template.Resources.Minion2a1AddressAssociation?.Type).toBe('AWS::EC2::EIPAssociation');
        const newInstance = String(grown.journal.outputs.node2InstanceId);
        expect(after.instances).toEqual([...before.instances, newInstance].sort());
        // Same launch shape as the minion before it (its own user-data, address and name).
        const shape = (r: { Properties: Record<string, unknown> }) => {
          const { UserData: _u, Tags: _t, ...rest } = r.Properties;
          return rest;
        };
        expect(shape(after.template.Resources.Minion2a1!)).toEqual(shape(after.template.Resources.Minion1!));
        expect(after.template.Resources.Minion2a1!.DependsOn ?? null).toEqual(['SharedMountTarget']);

        // Its security group rules: the agents' ranges on its port, nothing else new.
        const sgId = (
          (await bed.aws.cfn.send(new ListStackResourcesCommand({ StackName: stackNameOf(id) })))
            .StackResourceSummaries ?? []
        ).find((r) => r.LogicalResourceId === 'ServerSecurityGroup')!.PhysicalResourceId!;
        const sg = (await bed.aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] })))
          .SecurityGroups![0]!;
        const onPort = (sg.IpPermissions ?? [])
          .filter((r) => r.FromPort === second)
          .flatMap((r) => (r.IpRanges ?? []).map((x) => `${r.FromPort}-${r.ToPort} ${x.CidrIp}`));
        expect(onPort).toEqual([`${second}-${second} 198.51.100.0/24`]);
        // moto drops CidrIpv6 of a stack's SecurityGroupIngress: the IPv6 range on the template.
        const rules = Object.entries(after.template.Resources)
          .filter(([k]) => k.startsWith('Minion2a1Ingress'))
          .map(
            ([, r]) =>
              `${String(r.Properties.FromPort)} ${String(r.Properties.CidrIp ?? r.Properties.CidrIpv6)}`,
          );
        expect(rules.sort()).toEqual([`${second} 198.51.100.0/24`, `${second} 2001:db8:1::/48`].sort());

        // No secret in its user-data; the config came from the secret, read by the VM, now deleted.
        const userData = await userDataOf(bed.aws.ec2, newInstance);
        expect(userData).toContain(`megaraptor/${id}/server-config`);
        expect(userData).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|password_hash|gw_private_key/);
        const calls = (await bed.moto.requests()).slice(requestsBefore);
        const app = calls.filter((r) => r.userAgent.includes('aws-sdk-js')).map(action);
        expect(
          app.filter((x) => /^(CreateStack|UpdateStack|CreateSecret|DeleteSecret|GetSecretValue)$/.test(x)),
        ).toEqual(['UpdateStack', 'DeleteSecret', 'CreateSecret', 'DeleteSecret']);
        expect(calls.filter((r) => /Boto3/i.test(r.userAgent)).map(action)).toContain('GetSecretValue');
        expect(after.secrets).toEqual([]);
        const standIn = bed.fleet.of(id).find((v) => v.instanceId === newInstance)!;
        expect((await standIn.boot).code).toBe(0);

        // The keychain's config lists it (its Elastic IP and port), for the agents and later renewals.
        const address = String(grown.journal.outputs.node2Address);
        expect(after.extraFrontends).toHaveLength(2);
        expect(after.serverUrls).toContain(`https://${address}:${second}/`);
        expect(String(grown.journal.outputs.minionNodes).split(',')).toHaveLength(2);

        // A minion that never reports (its VM refuses the binary it downloads): everything goes back.
        const served = bed.releases.releases[0]!.assets;
        served[CLOUD_ASSET] = Buffer.concat([bed.binary, Buffer.from('// changed\n')]);
        const grownState = await state(id, a.secrets, grown.journal);
        let failure: (Error & { code?: string; details?: Record<string, unknown> }) | null = null;
        try {
          await a.service.scaleOut(id, { port: third });
        } catch (e) {
          failure = e as Error & { code?: string; details?: Record<string, unknown> };
        } finally {
          served[CLOUD_ASSET] = bed.binary;
        }
        expect({ code: failure?.code, message: failure?.message }).toMatchObject({
          code: 'DEPLOY_VERIFY_FAILED',
          message: expect.stringMatching(
            /failed at "scale-out-verify-frontends": Minion\(s\) \S+ did not report to the master within 60 s/,
          ),
        });
        expect(failure?.details?.removed).toEqual([
          { kind: 'cloud-stack-node', id: `${stackNameOf(id)}/Minion3a2`, ok: true, error: undefined },
          { kind: 'cloud-secret', id: `megaraptor/${id}/server-config`, ok: true, error: undefined },
        ]);
        const journal = await a.world.journals.read(id);
        expect(journal.operations?.at(-1)).toMatchObject({ kind: 'scale-out', state: 'failed' });
        await expect.poll(async () => state(id, a.secrets, journal), { timeout: 10_000 }).toEqual(grownState);
        expect(journal.resources.filter((r) => r.id.endsWith('/Minion3a2')).map((r) => r.state)).toEqual([
          'removed',
        ]);
      } finally {
        await a.close();
      }
    },
    600_000,
  );

  it.runIf(part.run)(
    'a scale-out killed at each step is listed as interrupted and cleaned up to what was; destroy leaves nothing',
    async () => {
      expect(deployment).toBeDefined();
      const { id, dataDir, vaultPath } = deployment!;
      const round = async (stopAt: number): Promise<CloudCrashChildConfig> => ({
        ...crashRound(bed.root, 'grow', bed.release),
        dataDir,
        vaultPath,
        vaultPassphrase: 'scale-out-test',
        stopAt,
        target: 'aws',
        motoEndpoint: bed.fleet.endpoint,
        settings: awsTestSettings({ frontend: 1, api: 2, gui: 3 }),
        scaleOut: { deploymentId: id, port: await freePort() },
      });
      const now = async () => {
        const a = await app(dataDir, vaultPath);
        try {
          return await state(id, a.secrets, await a.world.journals.read(id));
        } finally {
          await a.close();
        }
      };

      // The first test's scale-out named the journal writes (the child's run is the same).
      expect(scaleOutWrites.slice(-2)).toEqual(['operation:scale-out:done', 'release']);
      const writes = scaleOutWrites.map((label, i) => ({ n: i + 1, label }));
      const points = writes.filter(
        (w) =>
          /^step:scale-out-[a-z-]+:running$/.test(w.label) ||
          /^resource:cloud-(stack-node|secret):.*:(intended|created)$/.test(w.label),
      );
      expect(points.map((p) => p.label)).toEqual([
        'step:scale-out-stack:running',
        expect.stringMatching(/^resource:cloud-stack-node:.*\/Minion\d+a\d+:intended$/),
        expect.stringMatching(/^resource:cloud-stack-node:.*\/Minion\d+a\d+:created$/),
        'step:scale-out-secret:running',
        expect.stringMatching(/^resource:cloud-secret:.*:intended$/),
        expect.stringMatching(/^resource:cloud-secret:.*:created$/),
        'step:scale-out-verify-frontends:running',
        'step:scale-out-seal:running',
        'step:scale-out-record:running',
      ]);
      console.log(`${writes.length} journal writes; killing at ${points.length} of them`);

      for (const point of points) {
        const was = await now();
        const killed = await runChild(bed.child.file, [JSON.stringify(await round(point.n))], bed.child.env, {
          killWhen: /BOUNDARY \d+/,
          timeoutMs: 240_000,
        });
        expect([point.label, killed.killed]).toEqual([point.label, true]);
        const a = await app(dataDir, vaultPath);
        try {
          expect([point.label, (await a.world.runner.interrupted()).map((j) => j.id)]).toEqual([
            point.label,
            [id],
          ]);
          await expect(a.world.runner.resume(id)).rejects.toThrow(/was interrupted.*Clean up/);
          const removed = await a.world.runner.cleanup(id);
          expect([point.label, removed.filter((x) => !x.ok)]).toEqual([point.label, []]);
          const journal = await a.world.journals.read(id);
          expect([point.label, journal.state, journal.operations?.at(-1)?.state]).toEqual([
            point.label,
            'deployed',
            'failed',
          ]);
          expect(await a.world.runner.interrupted()).toEqual([]);
          await expect
            .poll(async () => [point.label, await state(id, a.secrets, journal)], { timeout: 15_000 })
            .toEqual([point.label, was]);
        } finally {
          await a.close();
        }
      }

      const a = await app(dataDir, vaultPath);
      try {
        expect((await a.world.runner.destroy(id)).filter((x) => !x.ok)).toEqual([]);
        await expect
          .poll(async () => awsLeftovers(bed.aws, a.world, a.secrets, id, NAME), { timeout: 15_000 })
          .toEqual(NOTHING);
      } finally {
        await a.close();
      }
    },
    1_800_000,
  );
});
