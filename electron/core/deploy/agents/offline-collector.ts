/**
 * Offline collectors built by the server itself (`Server.Utils.CreateCollector`), so the binary, its
 * embedded config and the artifact definitions are exactly the server's: nothing is repacked here.
 * The spec names the target OS, the artifacts with their parameters and the encryption; X509 without
 * a certificate uses the server's frontend certificate (the server can then import and decrypt the
 * returned ZIP itself). Only ZIP output is offered: the cloud targets would put storage credentials
 * into the collector.
 *
 * The server repacks the Velociraptor binary from its tool inventory (VelociraptorWindows,
 * VelociraptorLinux, VelociraptorCollector …) at the server's own version; on an isolated network that
 * tool must be in the inventory already, otherwise the build fails with the server's download error,
 * which `buildOfflineCollector` turns into what to do.
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import { SECRET_REF_PATTERN, type SecretStore } from '../../credentials/index';
import type { DownloadResult, VelociraptorService } from '../../velociraptor/index';
import { appCollectorCertificate } from './collector-key';

export const COLLECTOR_ARTIFACT = 'Server.Utils.CreateCollector';

/** The target OS values the artifact accepts, and the inventory tool it repacks for each. */
export const COLLECTOR_TOOLS = {
  Windows: 'VelociraptorWindows',
  Windows_x86: 'VelociraptorWindows_x86',
  Linux: 'VelociraptorLinux',
  MacOS: 'VelociraptorCollector',
  MacOSArm: 'VelociraptorCollector',
  Generic: 'VelociraptorCollector',
} as const;
export type CollectorOs = keyof typeof COLLECTOR_TOOLS;

const SecretRef = z.string().regex(SECRET_REF_PATTERN, 'a keychain reference');
const artifactName = z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$/, 'not an artifact name');

export const OfflineCollectorSpec = z
  .object({
    os: z.enum(Object.keys(COLLECTOR_TOOLS) as [CollectorOs, ...CollectorOs[]]),
    artifacts: z.array(artifactName).min(1).max(200),
    /** Per artifact, parameter name → value, as the artifact declares them. */
    parameters: z.record(artifactName, z.record(z.string().min(1), z.string())).default({}),
    encryption: z
      .discriminatedUnion('scheme', [
        z.object({ scheme: z.literal('none') }),
        /** Without `certificatePem` the server's frontend certificate. */
        z.object({ scheme: z.literal('x509'), certificatePem: z.string().optional() }),
        /** The ZIP password, read from the keychain when the collector is built. */
        z.object({ scheme: z.literal('password'), passwordRef: SecretRef }),
        /** X509 to the app's own key (collector-key.ts), which the app decrypts on import. */
        z.object({ scheme: z.literal('app-key') }),
      ])
      .default({ scheme: 'x509' }),
    format: z.enum(['jsonl', 'csv']).default('jsonl'),
    /** The collector's file name on the server and here; letters, digits, `.`, `_`, `-`. */
    fileName: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/, 'use letters, digits, ".", "_" and "-" only')
      .optional(),
    /** Refuse to run without administrator rights / root (upstream's default). */
    requireAdmin: z.boolean().default(true),
    /** Ask for Enter before the collection starts (upstream's default: no). */
    prompt: z.boolean().default(false),
    /** Seconds before the collection gives up (0 = never). */
    timeoutSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .default(0),
    /** Percent of one CPU the collection may use (0 = no limit). */
    cpuLimit: z.number().int().min(0).max(100).default(0),
    /** Where the ZIP is written on the endpoint (empty = the collector's folder). */
    outputDirectory: z.string().max(260).default(''),
  })
  .superRefine((s, ctx) => {
    for (const a of Object.keys(s.parameters))
      if (!s.artifacts.includes(a))
        ctx.addIssue({ code: 'custom', path: ['parameters', a], message: `${a} is not collected` });
    if (s.encryption.scheme === 'x509' && s.encryption.certificatePem !== undefined)
      if (
        !/^-----BEGIN CERTIFICATE-----\r?\n[\s\S]+-----END CERTIFICATE-----\s*$/.test(
          s.encryption.certificatePem,
        )
      )
        ctx.addIssue({
          code: 'custom',
          path: ['encryption', 'certificatePem'],
          message: 'expected one PEM certificate (-----BEGIN CERTIFICATE-----)',
        });
  });
export type OfflineCollectorSpecInput = z.input<typeof OfflineCollectorSpec>;
export type OfflineCollectorSpecValue = z.output<typeof OfflineCollectorSpec>;

/**
 * The parameters of Server.Utils.CreateCollector for `spec` (every value a string, as collect_client's
 * spec carries them). `secret` is the password of a password-encrypted collector, or the app's
 * certificate for `app-key`.
 */
export function collectorParameters(
  spec: OfflineCollectorSpecValue,
  secret?: string,
): Record<string, string> {
  const password = secret;
  const perArtifact: Record<string, Record<string, string>> = {};
  for (const [a, params] of Object.entries(spec.parameters))
    if (Object.keys(params).length) perArtifact[a] = params;
  if (spec.encryption.scheme === 'app-key')
    return collectorParameters({ ...spec, encryption: { scheme: 'x509', certificatePem: secret ?? '' } });
  const encryption =
    spec.encryption.scheme === 'none'
      ? { encryption_scheme: '', encryption_args: '{}' }
      : spec.encryption.scheme === 'x509'
        ? {
            encryption_scheme: 'X509',
            encryption_args: JSON.stringify(
              spec.encryption.certificatePem ? { public_key: spec.encryption.certificatePem } : {},
            ),
          }
        : { encryption_scheme: 'Password', encryption_args: JSON.stringify({ password: password ?? '' }) };
  if (spec.encryption.scheme === 'password' && !password)
    throw new AppError(
      'INVALID_ARGUMENT',
      'A password-encrypted collector needs a password that is not empty.',
    );
  return {
    OS: spec.os,
    artifacts: JSON.stringify(spec.artifacts),
    parameters: JSON.stringify(perArtifact),
    ...encryption,
    target: 'ZIP',
    target_args: '{}',
    opt_format: spec.format,
    opt_admin: spec.requireAdmin ? 'Y' : 'N',
    opt_prompt: spec.prompt ? 'Y' : 'N',
    opt_timeout: String(spec.timeoutSeconds),
    opt_cpu_limit: String(spec.cpuLimit),
    opt_output_directory: spec.outputDirectory,
    ...(spec.fileName ? { opt_collector_filename: spec.fileName } : {}),
  };
}

export interface BuiltCollector {
  /** The server flow that built it (client `server`). */
  flowId: string;
  /** The collector's name on the server (the flow's upload). */
  name: string;
  file: DownloadResult;
}

export interface BuildCollectorOptions {
  /** How long the build may take on the server (default 10 min: it repacks a ~80 MB binary). */
  waitMs?: number;
  signal?: AbortSignal;
}

/**
 * Has the server build the collector, waits for it and saves it into `folder`. Fails with the
 * server's own reason when the build fails (an unknown artifact, a tool the server cannot fetch).
 */
export async function buildOfflineCollector(
  velociraptor: VelociraptorService,
  secrets: Pick<SecretStore, 'get' | 'set'>,
  input: OfflineCollectorSpecInput,
  folder: string,
  options: BuildCollectorOptions = {},
): Promise<BuiltCollector> {
  const spec = OfflineCollectorSpec.parse(input);
  let password: string | undefined;
  if (spec.encryption.scheme === 'password') {
    password = await secrets.get(spec.encryption.passwordRef);
    if (password === undefined)
      throw new AppError(
        'SECRET_MISSING',
        'The collector password is missing from the keychain. Save it again.',
      );
  } else if (spec.encryption.scheme === 'app-key') password = await appCollectorCertificate(secrets);
  const run = await velociraptor.collectAndWait(
    {
      clientId: 'server',
      artifacts: [COLLECTOR_ARTIFACT],
      parameters: { [COLLECTOR_ARTIFACT]: collectorParameters(spec, password) },
    },
    { timeoutMs: options.waitMs ?? 600_000, signal: options.signal },
  );
  if (!run.finished)
    throw new AppError(
      'TIMEOUT',
      `The server is still building the collector (flow ${run.flowId}); look at it later.`,
      {
        details: { flowId: run.flowId },
      },
    );
  if (run.state !== 'FINISHED')
    throw new AppError('DEPLOY_FAILED', buildFailure(spec.os, run.flow?.status ?? '', run.errors), {
      details: { flowId: run.flowId, errors: run.errors },
    });
  const uploads = await velociraptor.listUploads('server', run.flowId, { signal: options.signal });
  // The flow also uploads the spec it was built from (spec.yaml); the collector is the other file.
  const collector = uploads.find((u) => !/(^|\/)spec\.yaml$/.test(u.vfsPath) && u.size > 0);
  if (!collector)
    throw new AppError('DEPLOY_FAILED', `The server finished flow ${run.flowId} but uploaded no collector.`, {
      details: { flowId: run.flowId, uploads: uploads.map((u) => u.vfsPath) },
    });
  const name = collector.components.at(-1) ?? 'collector';
  const file = await velociraptor.saveUpload(
    { clientId: 'server', flowId: run.flowId, vfsPath: collector.vfsPath },
    folder,
    { signal: options.signal, total: collector.size },
  );
  return { flowId: run.flowId, name, file };
}

function buildFailure(os: CollectorOs, status: string, errors: string[]): string {
  const reason = status.trim() || errors.join('; ') || 'no reason given';
  const tool = COLLECTOR_TOOLS[os];
  const fetch = /Get "https?:|no such host|dial tcp|download/i.test(reason)
    ? ` The server could not fetch the ${tool} binary: on an isolated network add it to the server's tool inventory first (velociraptor tools upload --name ${tool} --tool_version <server version> <binary>).`
    : '';
  return `The server could not build the ${os} collector: ${reason}.${fetch}`;
}
