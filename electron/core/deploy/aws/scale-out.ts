/**
 * Scale-out of an AWS multi-frontend deployment: one more minion, added to the deployment's own stack
 * by a CloudFormation stack update. The update adds only the new node (its instance with the same
 * launch shape as the other minions — type, disk, image, subnet, security group, instance role, the
 * EFS store it mounts — its Elastic IP and association, and the agents' rules for its port when that
 * port is new); nothing the stack held changes, and the image stays the one the stack resolved at
 * deploy, so no running VM is replaced.
 *
 * Its journal entry (kind `cloud-stack-node`) is removed by updating the stack back (the node's
 * resources taken out), which a failed scale-out and a clean-up after a crash both do; once the
 * scale-out is done the stack owns the node and deleting the stack deletes it.
 */
import type { Parameter } from '@aws-sdk/client-cloudformation';
import type { ResourceRef } from '../../../../shared/deploy';
import { AppError } from '../../../../shared/errors';
import type { DeploymentPlan } from '../model';
import type { AwsDeployer, AwsSettings } from './aws-deployer';
import { nodeLogicalId, stackNameOf } from './names';
import {
  describeStack,
  outputsOf,
  settledStack,
  stackTemplate,
  updateStack,
  waitForStack,
  type WaitOptions,
} from './stack';
import { hasNode, templateBody, withNode, withoutNode } from './template';

/** A stack update takes minutes on AWS (an instance, an address); the same bound as the stack's creation. */
export const STACK_UPDATE_TIMEOUT_MS = 30 * 60_000;

/** The tag of a scale-out's node: its attempt (`a2`), so no attempt reuses a removed logical id. */
export function nodeTag(attempt: number): string {
  return `a${attempt}`;
}

/** The journal entry of frontend node `index` (tagged `tag`) added to the stack by an update. */
export function stackNodeRef(
  plan: { deploymentId: string; settings: Pick<AwsSettings, 'region'> },
  index: number,
  tag: string,
  what: string,
): ResourceRef {
  const id = `${nodeLogicalId(index)}${tag}`;
  return {
    kind: 'cloud-stack-node',
    id: `${stackNameOf(plan.deploymentId)}/${id}`,
    scope: `aws://${plan.settings.region}`,
    title: `${id} added to the CloudFormation stack: ${what}`,
  };
}

function parseNodeRef(ref: ResourceRef): { stack: string; index: number; tag: string } {
  const m = /^(megaraptor-[^/]+)\/Minion(\d+)(a\d+)?$/.exec(ref.id);
  if (!m) throw new AppError('INTERNAL', `${ref.id} does not name a minion of a stack.`);
  return { stack: m[1]!, index: Number(m[2]), tag: m[3] ?? '' };
}

type Json = Record<string, unknown>;

/**
 * The image the running VMs were made from, kept for the update: CloudFormation resolves an SSM
 * parameter again on every update (a newer Amazon Linux would replace every VM), so the AMI it
 * resolved at deploy becomes the parameter. An AMI id needs nothing: the template's default is it.
 */
function keepImage(template: Json, stack: { Parameters?: Parameter[] }): Parameter[] | undefined {
  const resolved = stack.Parameters?.find((p) => p.ParameterKey === 'ImageId')?.ResolvedValue;
  if (!resolved) return undefined;
  template.Parameters = {
    ...(template.Parameters as Json),
    ImageId: { Type: 'AWS::EC2::Image::Id', Default: resolved },
  };
  return [{ ParameterKey: 'ImageId', ParameterValue: resolved }];
}

async function update(
  deployer: AwsDeployer,
  settings: AwsSettings,
  stack: string,
  change: (template: Json) => Json,
  wait: WaitOptions,
): Promise<Record<string, string>> {
  const cfn = deployer.aws(settings).cfn;
  const before = await describeStack(cfn, stack);
  if (!before)
    throw new AppError('NOT_FOUND', `The stack ${stack} is gone from ${settings.region}: nothing to update.`);
  const template = change(await stackTemplate(cfn, stack));
  const parameters = keepImage(template, before);
  const asked = await updateStack(cfn, {
    name: stack,
    body: templateBody(template),
    ...(parameters ? { parameters } : {}),
  });
  return outputsOf(asked ? await waitForStack(cfn, stack, 'UPDATE_COMPLETE', wait) : before);
}

/**
 * Adds minion `grown.settings.minions` (the settings with it) to the stack and waits for the update;
 * returns the new node's instance and addresses. `outputs` are the deployment's (the release the VMs
 * download, the self-destruction time).
 */
export async function addStackNode(
  deployer: AwsDeployer,
  grown: DeploymentPlan<AwsSettings>,
  outputs: Readonly<Record<string, unknown>>,
  tag: string,
  wait: WaitOptions,
): Promise<{ instanceId: string; address: string; privateIp: string }> {
  const s = grown.settings;
  const index = s.minions;
  const id = `${nodeLogicalId(index)}${tag}`;
  const stack = stackNameOf(grown.deploymentId);
  const out = await update(
    deployer,
    s,
    stack,
    (current) => {
      const resources = current.Resources as Record<string, { Properties?: Json }>;
      const full = deployer.template(grown, {
        release: { url: String(outputs.binaryUrl), sha256: String(outputs.binarySha256) },
        // Where the other VMs are: the subnet and VPC the stack was made in.
        subnetId: String(resources.Master?.Properties?.SubnetId),
        vpcId: String(resources.ServerSecurityGroup?.Properties?.VpcId),
        destroyAt: typeof outputs.targetDestroyAt === 'string' ? outputs.targetDestroyAt : null,
      });
      return withNode(current, full, index, {
        agentCidrs: s.access.agentCidrs,
        port: s.minionPorts![index - 1]!,
        tag,
      });
    },
    wait,
  );
  const instanceId = out[`${id}InstanceId`];
  const address = out[`${id}PublicIp`];
  const privateIp = out[`${id}PrivateIp`];
  if (!instanceId || !address || !privateIp)
    throw new AppError('DEPLOY_FAILED', `The stack ${stack} gave no instance or address for ${id}.`);
  return { instanceId, address, privateIp };
}

/**
 * Takes the node of `ref` out of the stack again (a stack update) and waits. Already out — never
 * added, rolled back by CloudFormation, or the stack gone — is success.
 */
export async function removeStackNode(
  deployer: AwsDeployer,
  settings: AwsSettings,
  ref: ResourceRef,
  wait: WaitOptions,
): Promise<void> {
  const { stack, index, tag } = parseNodeRef(ref);
  const cfn = deployer.aws(settings).cfn;
  // A crash may have left the update under way: let it end first.
  if (!(await settledStack(cfn, stack, wait))) return;
  if (!hasNode(await stackTemplate(cfn, stack), index, tag)) return;
  await update(deployer, settings, stack, (t) => withoutNode(t, index, tag), wait);
}
