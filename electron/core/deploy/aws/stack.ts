/**
 * CloudFormation and Secrets Manager calls of an AWS deployment, each waiting for what it asked for
 * (a stack created, deleted or updated; a secret gone) with bounded polling, progress and
 * cancellation. A failed stack says why: the reasons of its failed resource events, as AWS gave them.
 */
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  UpdateStackCommand,
  type CloudFormationClient,
  type Parameter,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AppError, messageOf } from '../../../../shared/errors';
import { awsError, isAwsNotFound } from './errors';
import { TAG } from './names';

export interface WaitOptions {
  signal: AbortSignal;
  pollMs: number;
  timeoutMs: number;
  progress?: (message: string, fraction?: number) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

function stillBusy(name: string, status: string, timeoutMs: number): AppError {
  return new AppError(
    'TIMEOUT',
    `The stack ${name} was still ${status} after ${Math.round(timeoutMs / 60_000)} minutes.`,
  );
}

/** The stack, or null when AWS does not know it (never made, or deleted). */
export async function describeStack(cfn: CloudFormationClient, name: string): Promise<Stack | null> {
  try {
    const r = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    const s = r.Stacks?.[0];
    return s && s.StackStatus !== 'DELETE_COMPLETE' ? s : null;
  } catch (e) {
    if (isAwsNotFound(e)) return null;
    throw awsError(e, `reading the stack ${name}`);
  }
}

/** Why a stack failed: the reasons of its failed resources, oldest first. */
export async function failureReasons(cfn: CloudFormationClient, stackId: string): Promise<string[]> {
  try {
    const r = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }));
    return (r.StackEvents ?? [])
      .filter((e) => /FAILED$/.test(e.ResourceStatus ?? '') && e.ResourceStatusReason)
      .reverse()
      .map(
        (e) => `${e.LogicalResourceId ?? '?'} (${e.ResourceType ?? '?'}): ${e.ResourceStatusReason ?? ''}`,
      );
  } catch {
    // The reasons are a courtesy on top of the failure already being reported.
    return [];
  }
}

export async function createStack(
  cfn: CloudFormationClient,
  input: { name: string; body: string; deploymentId: string; timeoutMinutes: number },
): Promise<string> {
  try {
    const r = await cfn.send(
      new CreateStackCommand({
        StackName: input.name,
        TemplateBody: input.body,
        Capabilities: ['CAPABILITY_IAM'],
        TimeoutInMinutes: input.timeoutMinutes,
        Tags: [
          { Key: TAG.deployment, Value: input.deploymentId },
          { Key: TAG.managedBy, Value: 'megaraptor-desktop' },
        ],
      }),
    );
    if (!r.StackId) throw new AppError('CLOUD_REQUEST_FAILED', 'CloudFormation answered without a stack id.');
    return r.StackId;
  } catch (e) {
    throw awsError(e, `creating the stack ${input.name}`);
  }
}

/** Asks for a stack update; false when CloudFormation says the stack is that already (nothing to do). */
export async function updateStack(
  cfn: CloudFormationClient,
  input: { name: string; body: string; parameters?: Parameter[] },
): Promise<boolean> {
  try {
    await cfn.send(
      new UpdateStackCommand({
        StackName: input.name,
        TemplateBody: input.body,
        Capabilities: ['CAPABILITY_IAM'],
        ...(input.parameters ? { Parameters: input.parameters } : {}),
      }),
    );
    return true;
  } catch (e) {
    if (/No updates are to be performed/i.test(messageOf(e))) return false;
    throw awsError(e, `updating the stack ${input.name}`);
  }
}

/** The template the stack holds now (as the app sent it: JSON). */
export async function stackTemplate(
  cfn: CloudFormationClient,
  name: string,
): Promise<Record<string, unknown>> {
  let body: string | undefined;
  try {
    body = (await cfn.send(new GetTemplateCommand({ StackName: name }))).TemplateBody;
  } catch (e) {
    throw awsError(e, `reading the template of the stack ${name}`);
  }
  if (!body) throw new AppError('CLOUD_REQUEST_FAILED', `CloudFormation gave no template for ${name}.`);
  return JSON.parse(body) as Record<string, unknown>;
}

/**
 * Waits until no update of the stack is under way and says where it ended: `UPDATE_COMPLETE`,
 * `UPDATE_ROLLBACK_COMPLETE` (CloudFormation undid a failed update), `CREATE_COMPLETE`, or null when the
 * stack is gone. A stack that cannot settle (UPDATE_ROLLBACK_FAILED) is an error.
 */
export async function settledStack(
  cfn: CloudFormationClient,
  name: string,
  o: WaitOptions,
): Promise<Stack | null> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const s = await describeStack(cfn, name);
    const status = s?.StackStatus ?? '';
    if (!s || !/IN_PROGRESS$/.test(status)) {
      if (/FAILED$/.test(status))
        throw new AppError(
          'CLOUD_REQUEST_FAILED',
          `The stack ${name} is ${status}: ${(await failureReasons(cfn, s?.StackId ?? name)).join('; ') || s?.StackStatusReason || 'no reason given'}. Continue its rollback in the CloudFormation console, then run clean-up again.`,
        );
      return s;
    }
    if (Date.now() > deadline) throw stillBusy(name, status, o.timeoutMs);
    o.progress?.(`Stack ${status}`);
    await sleep(o.pollMs, o.signal);
  }
}

async function resourceProgress(
  cfn: CloudFormationClient,
  name: string,
): Promise<{ done: number; total: number }> {
  try {
    const r = await cfn.send(new ListStackResourcesCommand({ StackName: name }));
    const all = r.StackResourceSummaries ?? [];
    return { done: all.filter((x) => /_COMPLETE$/.test(x.ResourceStatus ?? '')).length, total: all.length };
  } catch {
    // Progress only: a failed listing must not fail the wait.
    return { done: 0, total: 0 };
  }
}

/**
 * Waits until the stack reaches `want` (CREATE_COMPLETE, UPDATE_COMPLETE) and returns it; a stack
 * that fails or rolls back is an error with AWS's reasons.
 */
export async function waitForStack(
  cfn: CloudFormationClient,
  name: string,
  want: 'CREATE_COMPLETE' | 'UPDATE_COMPLETE',
  o: WaitOptions,
): Promise<Stack> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (o.signal.aborted) throw new AppError('CANCELLED', 'The deployment was cancelled.');
    const s = await describeStack(cfn, name);
    if (!s) throw new AppError('DEPLOY_FAILED', `The stack ${name} disappeared while it was being made.`);
    const status = s.StackStatus ?? '';
    if (status === want) return s;
    if (/FAILED$|ROLLBACK/.test(status)) {
      const reasons = await failureReasons(cfn, s.StackId ?? name);
      throw new AppError(
        'DEPLOY_FAILED',
        `CloudFormation could not ${want === 'CREATE_COMPLETE' ? 'create' : 'update'} the stack ${name} (${status}): ${reasons.join('; ') || s.StackStatusReason || 'no reason given'}`,
        { details: { stack: name, status, reasons } },
      );
    }
    if (Date.now() > deadline) throw stillBusy(name, status, o.timeoutMs);
    const p = await resourceProgress(cfn, name);
    o.progress?.(`Stack ${status}: ${p.done}/${p.total} resources`, p.total ? p.done / p.total : undefined);
    await sleep(o.pollMs, o.signal);
  }
}

/** Deletes the stack and waits until it is gone; already gone is success. */
export async function deleteStack(cfn: CloudFormationClient, name: string, o: WaitOptions): Promise<void> {
  let s = await describeStack(cfn, name);
  if (!s) return;
  try {
    await cfn.send(new DeleteStackCommand({ StackName: s.StackId ?? name }));
  } catch (e) {
    if (isAwsNotFound(e)) return;
    throw awsError(e, `deleting the stack ${name}`);
  }
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    s = await describeStack(cfn, s.StackId ?? name);
    if (!s) return;
    const status = s.StackStatus ?? '';
    if (status === 'DELETE_FAILED') {
      const reasons = await failureReasons(cfn, s.StackId ?? name);
      throw new AppError(
        'CLOUD_REQUEST_FAILED',
        `CloudFormation could not delete the stack ${name}: ${reasons.join('; ') || s.StackStatusReason || 'no reason given'}. Remove what it names by hand, then run clean-up again.`,
        { details: { stack: name, reasons } },
      );
    }
    if (Date.now() > deadline) throw stillBusy(name, status, o.timeoutMs);
    o.progress?.(`Stack ${status}`);
    await sleep(o.pollMs, o.signal);
  }
}

/** The stack's outputs as a map. */
export function outputsOf(s: Stack): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of s.Outputs ?? [])
    if (o.OutputKey && o.OutputValue !== undefined) out[o.OutputKey] = o.OutputValue;
  return out;
}

/** How long a name stays taken after a forced delete (Secrets Manager deletes asynchronously). */
const NAME_RELEASE_MS = 60_000;

export async function createConfigSecret(
  sm: SecretsManagerClient,
  input: { name: string; value: string; deploymentId: string },
): Promise<string> {
  const deadline = Date.now() + NAME_RELEASE_MS;
  for (;;) {
    try {
      return await createSecretOnce(sm, input);
    } catch (e) {
      // A config delivered again right after the previous secret was deleted: the name frees shortly.
      const pending = /scheduled for deletion/i.test(messageOf(e));
      if (!pending || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

async function createSecretOnce(
  sm: SecretsManagerClient,
  input: { name: string; value: string; deploymentId: string },
): Promise<string> {
  try {
    const r = await sm.send(
      new CreateSecretCommand({
        Name: input.name,
        SecretString: input.value,
        Description: `Velociraptor server config of Megaraptor deployment ${input.deploymentId}: read once by its VM, deleted once the server is verified`,
        Tags: [
          { Key: TAG.deployment, Value: input.deploymentId },
          { Key: TAG.managedBy, Value: 'megaraptor-desktop' },
        ],
      }),
    );
    if (!r.ARN)
      throw new AppError('CLOUD_REQUEST_FAILED', 'Secrets Manager answered without the secret ARN.');
    return r.ARN;
  } catch (e) {
    throw awsError(e, `creating the secret ${input.name}`);
  }
}

/** Deletes the secret at once (no recovery window: it held keys); already gone is success. */
export async function deleteConfigSecret(sm: SecretsManagerClient, name: string): Promise<void> {
  try {
    await sm.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
  } catch (e) {
    if (isAwsNotFound(e)) return;
    throw awsError(e, `deleting the secret ${name}`);
  }
}
