/**
 * The AWS target against moto (the AWS emulator, its server on loopback, started and stopped here): the
 * real SDK v3 clients with fixed credentials, AWS_EC2_METADATA_DISABLED=true, nothing reaching
 * 169.254.169.254 or the internet. moto holds the stack, the instances and their user-data, the
 * security group, the role, the Elastic IPs and the secret, but runs no VM: the stand-in fleet
 * (testing/aws-fleet.ts) boots each instance's REAL user-data in a namespace of its own, with the
 * simulator as the binary. What moto cannot show is asserted on the template CloudFormation holds:
 * moto ignores InstanceInitiatedShutdownBehavior, SecurityGroupIds on an instance, MetadataOptions,
 * CidrIpv6 of a SecurityGroupIngress and AWS::EC2::EIPAssociation (skipped with a warning).
 *
 * Asserted on moto after a deploy: the stack's resources, the security group's rules = exactly the
 * chosen CIDRs, no secret in any user-data, the secret read by the VM (never by the app) and deleted
 * after verify, encrypted volumes; then a query through the app's connection and destroy leaving
 * nothing. A failure midway (a binary changed on its way to the VM) rolls everything back.
 */
import { GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../credentials/memory-store';
import { PlanView } from '../../../../shared/contracts/deploy';
import { planView } from '../handlers';
import type { RunnerDeps } from '../runner';
import { identitySecrets } from '../server-identity';
import {
  awsLeftovers,
  awsTestSettings,
  awsWorld,
  NOTHING,
  userDataOf,
  type AwsWorld,
} from '../testing/aws-world';
import { freePort, SMALL } from '../testing/docker-world';
import { configOnVm, renewCertificates, whoamiThrough } from '../testing/cloud-world';
import { CLOUD_ASSET, startAwsBed, type AwsBed } from '../testing/cloud-bed';
import { motoServer } from '../testing/moto';
import { stackNameOf } from './names';
import { RAPID_AWS_STEPS } from '../testing/expected-steps';

const part = motoServer();

let bed: AwsBed;

async function ports() {
  return { frontend: await freePort(), api: await freePort(), gui: await freePort() };
}

beforeAll(async () => {
  if (part.ready) bed = await startAwsBed('megaraptor-aws-int-');
}, 240_000);

afterAll(async () => {
  await bed?.close();
}, 120_000);

function world(
  name: string,
  secrets = new MemorySecretStore(),
  afterJournalWrite?: RunnerDeps['afterJournalWrite'],
): AwsWorld {
  return awsWorld({
    dataDir: join(bed.root, name),
    motoEndpoint: bed.fleet.endpoint,
    vmRoot: bed.vmRoot,
    release: bed.release,
    secrets,
    ...(afterJournalWrite ? { afterJournalWrite } : {}),
  });
}

function leftovers(w: AwsWorld, secrets: MemorySecretStore, id: string, name: string) {
  return awsLeftovers(bed.aws, w, secrets, id, name);
}

describe('an AWS deployment against moto', () => {
  it(`has ${part.name} (required in CI)`, () => part.check());

  it.runIf(part.run)(
    'makes the stack, delivers the config through Secrets Manager only, verifies, renews, extends, destroys to nothing',
    async () => {
      const secrets = new MemorySecretStore();
      const w = world('one', secrets);
      try {
        const p = await ports();
        const plan = await w.runner.plan('aws', {
          name: 'aws-one',
          profile: 'rapid',
          overrides: SMALL,
          settings: awsTestSettings(p),
        });
        expect(plan.steps.map((s) => s.id)).toEqual(RAPID_AWS_STEPS);
        expect(plan.cost?.hourly).toBeGreaterThan(0);
        // The review step (IPC) gets the cost hint too.
        expect(PlanView.parse(planView(plan)).cost).toEqual(plan.cost);
        expect(plan.warnings.join('\n')).toMatch(
          /Estimated cost: about \$.*until it destroys itself in 72 h/,
        );
        expect(plan.steps.find((s) => s.id === 'stack')!.resources[0]!.title).toMatch(
          /1 × Instance.*1 × EIP/,
        );

        const out = await w.runner.deploy(plan);
        expect(out.journal.state).toBe('deployed');
        const id = plan.deploymentId;
        expect(out.journal.outputs.awsAccountId).toBe('123456789012');

        // The stack and what it holds.
        const resources =
          (await bed.aws.cfn.send(new ListStackResourcesCommand({ StackName: stackNameOf(id) })))
            .StackResourceSummaries ?? [];
        expect(Object.fromEntries(resources.map((r) => [r.LogicalResourceId, r.ResourceType]))).toMatchObject(
          {
            InstanceRole: 'AWS::IAM::Role',
            InstanceProfile: 'AWS::IAM::InstanceProfile',
            ServerSecurityGroup: 'AWS::EC2::SecurityGroup',
            MasterAddress: 'AWS::EC2::EIP',
            Master: 'AWS::EC2::Instance',
          },
        );
        // What moto does not model, on the template CloudFormation holds.
        const template = JSON.parse(
          (await bed.aws.cfn.send(new GetTemplateCommand({ StackName: stackNameOf(id) }))).TemplateBody!,
        ) as {
          Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
        };
        const vm = template.Resources.Master!.Properties;
        expect(vm.InstanceInitiatedShutdownBehavior).toBe('terminate');
        expect(vm.MetadataOptions).toMatchObject({ HttpTokens: 'required', InstanceMetadataTags: 'enabled' });
        expect(vm.BlockDeviceMappings).toEqual([
          {
            DeviceName: '/dev/xvda',
            Ebs: expect.objectContaining({ Encrypted: true, DeleteOnTermination: true }),
          },
        ]);
        expect(template.Resources.MasterAddressAssociation!.Type).toBe('AWS::EC2::EIPAssociation');
        expect(JSON.stringify(template.Resources.InstanceRole!.Properties.Policies)).toContain(
          `megaraptor/${id}/server-config-??????`,
        );

        // The security group: exactly the chosen ranges, on exactly the chosen ports.
        const sgId = resources.find(
          (r) => r.LogicalResourceId === 'ServerSecurityGroup',
        )!.PhysicalResourceId!;
        const sg = (await bed.aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] })))
          .SecurityGroups![0]!;
        const rules = (sg.IpPermissions ?? []).flatMap((r) => [
          ...(r.IpRanges ?? []).map((x) => `${r.FromPort}-${r.ToPort} ${x.CidrIp}`),
          ...(r.Ipv6Ranges ?? []).map((x) => `${r.FromPort}-${r.ToPort} ${x.CidrIpv6}`),
        ]);
        expect(rules.sort()).toEqual(
          [
            `${p.frontend}-${p.frontend} 198.51.100.0/24`,
            `${p.gui}-${p.gui} 203.0.113.7/32`,
            `${p.api}-${p.api} 203.0.113.7/32`,
          ].sort(),
        );
        // moto drops CidrIpv6 of an AWS::EC2::SecurityGroupIngress made by CloudFormation: the IPv6
        // agents' range is asserted on the template.
        const ingress = Object.values(template.Resources)
          .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')
          .map(
            (r) => `${String(r.Properties.FromPort)} ${String(r.Properties.CidrIp ?? r.Properties.CidrIpv6)}`,
          );
        expect(ingress.sort()).toEqual(
          [
            `${p.frontend} 198.51.100.0/24`,
            `${p.frontend} 2001:db8:1::/48`,
            `${p.gui} 203.0.113.7/32`,
            `${p.api} 203.0.113.7/32`,
          ].sort(),
        );

        // No secret in user-data; the volume encrypted; the Elastic IP is the frontend's address.
        const instanceId = String(out.journal.outputs.node0InstanceId);
        const userData = await userDataOf(bed.aws.ec2, instanceId);
        expect(userData).toContain(`megaraptor/${id}/server-config`);
        expect(userData).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|password_hash|gw_private_key/);
        expect(userData).not.toContain(await secrets.get(identitySecrets(id).adminPassword.id));
        const volumes =
          (
            await bed.aws.ec2.send(
              new DescribeVolumesCommand({
                Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }],
              }),
            )
          ).Volumes ?? [];
        expect(volumes.map((v) => [v.Encrypted, v.Size])).toEqual([[true, 30]]);
        const eips = (await bed.aws.ec2.send(new DescribeAddressesCommand({}))).Addresses?.map(
          (a) => a.PublicIp,
        );
        expect(eips).toContain(out.journal.outputs.node0Address);
        expect(String(out.journal.outputs.frontendUrl)).toContain(String(out.journal.outputs.node0Address));

        // The secret: read by the VM (its instance role), never by the app, and gone once verified.
        const requests = await bed.moto.requests();
        const app = requests.filter((r) => r.userAgent.includes('aws-sdk-js'));
        const vmCalls = requests.filter((r) => /Boto3/i.test(r.userAgent));
        const action = (r: { action: string }) => r.action.split('.').pop();
        expect(app.map(action)).not.toContain('GetSecretValue');
        expect(vmCalls.map(action)).toContain('GetSecretValue');
        expect(
          app.map(action).filter((a) => /^(CreateStack|CreateSecret|DeleteSecret)$/.test(a ?? '')),
        ).toEqual(['CreateStack', 'CreateSecret', 'DeleteSecret']);
        const [standIn] = bed.fleet.of(id);
        expect(await standIn!.vm.calls()).toContain('aws secretsmanager get-secret-value');
        expect((await standIn!.boot).code).toBe(0);
        expect(
          ((await bed.aws.sm.send(new ListSecretsCommand({}))).SecretList ?? []).filter((s) =>
            s.Name?.includes(id),
          ),
        ).toEqual([]);

        // The app's connection answers as the registered identity.
        expect(await whoamiThrough(w, 'aws-one')).toEqual([{ User: 'megaraptor-app' }]);

        // Operations through AWS's channels: renewal = a new config in Secrets Manager, a stop and start
        // (the fetcher puts it in place before the server starts), verify, the secret deleted again.
        const renewed = await renewCertificates(w, plan, secrets, join(bed.root, 'one-rotations.jsonl'));
        expect(renewed.operation.state).toBe('done');
        expect(standIn!.restarts).toEqual(['StopInstances', 'StartInstances']);
        const onDisk = await configOnVm(w, standIn!.vm, id, bed.vmRoot);
        // The fetcher writes what the CLI prints (one newline more).
        expect(onDisk.trimEnd()).toBe((await secrets.get(identitySecrets(id).serverConfig.id))?.trimEnd());
        const appCalls = (await bed.moto.requests())
          .filter((r) => r.userAgent.includes('aws-sdk-js'))
          .map(action);
        expect(
          appCalls.filter((a) => /^(CreateSecret|DeleteSecret|StopInstances|StartInstances)$/.test(a ?? '')),
        ).toEqual([
          'CreateSecret',
          'DeleteSecret',
          'DeleteSecret',
          'CreateSecret',
          'StopInstances',
          'StartInstances',
          'DeleteSecret',
        ]);
        expect(
          ((await bed.aws.sm.send(new ListSecretsCommand({}))).SecretList ?? []).filter((s) =>
            s.Name?.includes(id),
          ),
        ).toEqual([]);
        // The connection now holds the renewed API identity (a new channel).
        expect(await whoamiThrough(w, 'aws-one')).toEqual([{ User: 'megaraptor-app' }]);

        // Extending moves the instance's tag, which the on-instance timer reads; health reads AWS.
        const later = new Date(Date.now() + 96 * 3_600_000);
        await w.runner.operate(id, {
          kind: 'extend',
          title: 'Extend',
          steps: [
            { id: 'timer', title: 'Timer', run: (ctx) => w.operations.rescheduleExpiry(plan, later, ctx) },
          ],
        });
        const tags = (await bed.aws.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
          .Reservations?.[0]?.Instances?.[0]?.Tags;
        expect(tags).toContainEqual({ Key: 'megaraptor:destroy-at', Value: later.toISOString() });
        // The fleet copies the tag into the stand-in's instance metadata; at the old deadline the
        // on-instance timer reads it and moves itself instead of shutting the VM down.
        await new Promise((r) => setTimeout(r, 1_000));
        const fired = await standIn!.vm.fireTimers(new Date(Date.now() + 73 * 3_600_000));
        expect(fired.map((f) => f.output).join('\n')).toContain(
          `self-destruction moved to ${later.toISOString()}`,
        );
        expect(standIn!.vm.shutdownRequested()).toBe(false);

        // A legal hold tags the instance "held": when its timer fires — long past any time — it
        // destroys nothing and asks again in an hour. Lifting tags a time again.
        await w.runner.operate(id, {
          kind: 'legal-hold',
          title: 'Hold',
          steps: [
            {
              id: 'disarm',
              title: 'Disarm',
              run: async (ctx) => expect(await w.operations.disarmExpiry(plan, ctx)).toBe('disarmed'),
            },
          ],
        });
        const held = (await bed.aws.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
          .Reservations?.[0]?.Instances?.[0]?.Tags;
        expect(held).toContainEqual({ Key: 'megaraptor:destroy-at', Value: 'held' });
        const imdsTag = () => standIn!.vm.imdsValue('latest/meta-data/tags/instance/megaraptor:destroy-at');
        await expect.poll(imdsTag, { timeout: 15_000 }).toBe('held');
        const whileHeld = await standIn!.vm.fireTimers(new Date(Date.now() + 400 * 3_600_000));
        expect(whileHeld.map((f) => f.output).join('\n')).toContain('legal hold: self-destruction suspended');
        expect(standIn!.vm.shutdownRequested()).toBe(false);
        const lifted = new Date(Date.now() + 48 * 3_600_000);
        await w.runner.operate(id, {
          kind: 'extend',
          title: 'Lift',
          steps: [
            { id: 'timer', title: 'Timer', run: (ctx) => w.operations.rescheduleExpiry(plan, lifted, ctx) },
          ],
        });
        await expect.poll(imdsTag, { timeout: 15_000 }).toBe(lifted.toISOString());
        const afterLift = await standIn!.vm.fireTimers(new Date(Date.now() + 2 * 3_600_000));
        expect(afterLift.map((f) => f.output).join('\n')).toContain(
          `self-destruction moved to ${lifted.toISOString()}`,
        );
        expect(standIn!.vm.shutdownRequested()).toBe(false);
        expect(await w.operations.health(plan)).toMatchObject({
          ok: true,
          state: 'running',
        });
        expect(typeof (await w.operations.logs(plan, 20))).toBe('string');

        // Destroy: nothing left anywhere.
        const removed = await w.runner.destroy(id);
        expect(removed.filter((r) => !r.ok)).toEqual([]);
        await expect
          .poll(async () => leftovers(w, secrets, id, 'aws-one'), { timeout: 10_000 })
          .toEqual(NOTHING);
      } finally {
        await w.close();
      }
    },
    300_000,
  );

  it.runIf(part.run)(
    'refuses a binary changed on its way to the VM and rolls everything back',
    async () => {
      const secrets = new MemorySecretStore();
      const served = bed.releases.releases[0]!.assets;
      const w = world('tampered', secrets, async (_doc, label) => {
        // The app verified and hashed the release; the copy the VM downloads is another file.
        if (label === 'step:binary:done')
          served[CLOUD_ASSET] = Buffer.concat([bed.binary, Buffer.from('// changed\n')]);
      });
      try {
        const plan = await w.runner.plan('aws', {
          name: 'aws-tampered',
          profile: 'rapid',
          overrides: SMALL,
          settings: awsTestSettings(await ports(), { bootTimeoutMs: 15_000 }),
        });
        const deploying = w.runner.deploy(plan);
        await expect.poll(() => bed.fleet.of(plan.deploymentId).length, { timeout: 60_000 }).toBe(1);
        const error = await deploying.then(
          () => null,
          (e: unknown) => e as Error & { code?: string; details?: Record<string, unknown> },
        );
        expect({ code: error?.code, message: error?.message, details: error?.details }).toMatchObject({
          code: 'DEPLOY_FAILED',
          message: expect.stringMatching(
            /did not answer within 15 s[\s\S]*Everything it had made was removed/,
          ),
          details: { step: 'boot', cause: { bootTimeoutMs: 15_000 } },
        });
        const boot = await bed.fleet.of(plan.deploymentId)[0]?.boot;
        expect(boot === undefined || /not the verified release/.test(boot.output)).toBe(true);
        await expect
          .poll(async () => leftovers(w, secrets, plan.deploymentId, 'aws-tampered'), { timeout: 10_000 })
          .toMatchObject({
            ...NOTHING,
            // A failed deployment keeps its journal (rolled back) until the responder dismisses it.
            journals: expect.any(Array),
          });
      } finally {
        served[CLOUD_ASSET] = bed.binary;
        await w.close();
      }
    },
    300_000,
  );
});
