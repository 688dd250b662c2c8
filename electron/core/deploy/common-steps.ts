/**
 * What every deployer (lab, Docker, SSH host) does the same way: read its settings, time the
 * self-destruction, obtain the verified binary, check the API and the GUI, and add the connection.
 * Where the targets differ (the platform, how an address is reached) the caller says so.
 */
import type { z } from 'zod';
import type { ResourceRef } from '../../../shared/deploy';
import { AppError } from '../../../shared/errors';
import type { SecretStore } from '../credentials/index';
import type { ConnectionSink } from './connection-sink';
import type { PlanContext, StepContext } from './model';
import type { PlatformWanted } from './releases/assets';
import { acceptLocalBinary, type ReleaseCache, type VerifiedBinary } from './releases/cache';
import type { TrustedKey } from './releases/signature';
import { identitySecrets, loadAdminPassword } from './server-identity';
import { verifyApi, verifyGui } from './verify';

/** The settings a target takes, parsed, or an INVALID_ARGUMENT naming every wrong field. */
export function parseSettings<S extends z.ZodType>(schema: S, input: unknown, target: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new AppError(
      'INVALID_ARGUMENT',
      `The ${target} settings are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** When the profile's self-destruction falls for a deployment planned now; null = never. */
export function autoDestroyAt(ctx: PlanContext): string | null {
  const hours = ctx.profile.autoDestroyHours;
  return hours === null ? null : new Date(ctx.now.getTime() + hours * 3_600_000).toISOString();
}

/** Where the server binary comes from: a release (verified download) or the responder's own file. */
export type BinarySource =
  { kind: 'release'; tag: string } | { kind: 'file'; path: string; signaturePath?: string };

/** The responder's own binary, its signature checked (a warning when there is none). */
export function acceptFileBinary(
  b: Extract<BinarySource, { kind: 'file' }>,
  trustedKey: TrustedKey | undefined,
  platform?: PlatformWanted,
): Promise<VerifiedBinary> {
  return acceptLocalBinary(b.path, {
    ...(b.signaturePath ? { signaturePath: b.signaturePath } : {}),
    ...(trustedKey ? { trustedKey } : {}),
    ...(platform ? { platform } : {}),
  });
}

/** Fetches release `tag` for `platform` into the cache, its download shown as the step's progress. */
export function obtainRelease(
  releases: ReleaseCache,
  tag: string,
  platform: PlatformWanted,
  ctx: StepContext,
): Promise<VerifiedBinary> {
  return releases.obtain(tag, platform, {
    signal: ctx.signal,
    onProgress: (p) =>
      ctx.progress({
        done: p.done,
        total: p.total,
        fraction: p.total ? p.done / p.total : 0,
        message: p.file,
      }),
  });
}

/**
 * The `binary` step: the verified binary for `platform`, its path, hash, signature state, version
 * and tag as the step's outputs.
 */
export async function binaryStep(
  ctx: StepContext,
  b: BinarySource,
  platform: PlatformWanted,
  deps: { releases: ReleaseCache; trustedKey?: TrustedKey },
): Promise<void> {
  let bin: VerifiedBinary;
  if (b.kind === 'release') {
    ctx.log(
      `Fetching Velociraptor ${b.tag} (${platform.os}-${platform.arch}${platform.variant ? `-${platform.variant}` : ''})`,
    );
    bin = await obtainRelease(deps.releases, b.tag, platform, ctx);
  } else bin = await acceptFileBinary(b, deps.trustedKey, platform);
  if (bin.warning) ctx.log(bin.warning, 'warn');
  else
    ctx.log(
      `Signature verified (key ${bin.signature.status === 'valid' ? bin.signature.fingerprint : '?'}); SHA-256 ${bin.sha256}`,
    );
  await ctx.setOutput('binaryPath', bin.path);
  await ctx.setOutput('binarySha256', bin.sha256);
  await ctx.setOutput('binarySigned', bin.signature.status === 'valid');
  if (bin.version) await ctx.setOutput('binaryVersion', bin.version);
  if (bin.tag) await ctx.setOutput('binaryTag', bin.tag);
}

/** The API answers over mTLS as `apiUser` (retried while the server comes up); the user it named. */
export function checkApi(ctx: StepContext, apiYaml: string, apiUser: string): Promise<string> {
  return verifyApi(apiYaml, apiUser, {
    signal: ctx.signal,
    onAttempt: (n, err) => ctx.progress({ message: `API not answering yet (attempt ${n}): ${err}` }),
  });
}

/** The deployment's CA certificate (PEM), which the GUI's certificate must chain to. */
export async function deploymentCaPem(secrets: SecretStore, deploymentId: string): Promise<string> {
  const ca = JSON.parse((await secrets.get(identitySecrets(deploymentId).ca.id)) ?? '{}') as {
    certificatePem?: string;
  };
  if (!ca.certificatePem)
    throw new AppError('SECRET_MISSING', "The deployment's CA is missing from the keychain.");
  return ca.certificatePem;
}

/**
 * The GUI accepts the admin's password and refuses a wrong one. `at` hands the check the GUI's URL
 * (through a tunnel where the port is not exposed).
 */
export async function checkGui(
  ctx: StepContext,
  deploymentId: string,
  adminUser: string,
  at: (check: (url: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const ca = await deploymentCaPem(ctx.secrets, deploymentId);
  const password = await loadAdminPassword(ctx.secrets, deploymentId);
  await at((url) => verifyGui(url, ca, adminUser, password, { signal: ctx.signal }));
}

/** The `connect` step: the server joins the app's connections (API config in the keychain). */
export async function connectStep(
  ctx: StepContext,
  ref: ResourceRef,
  connections: ConnectionSink,
  name: string,
  apiYaml: string,
): Promise<void> {
  await ctx.create(ref, () => connections.import({ name, yaml: apiYaml, storage: 'keychain' }));
  await ctx.setOutput('connectionName', name);
}
