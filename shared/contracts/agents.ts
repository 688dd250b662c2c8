/**
 * The agents domain (issue 17): the agents wizard (hosts, the server agents enrol with, SSH or WinRM,
 * keychain references, host keys confirmed before the push), the runs and their live table (polled:
 * a run goes on in the core when the page or the socket goes away), cancel, resume, the summary CSV,
 * and the kits page. Settings are the channel's push settings as the core checks them (never a
 * secret: keychain references only).
 */
import { z } from 'zod';
import {
  EnrollmentStatus,
  ImportedCollection,
  InstallerKind,
  KitFile,
  PreloadedTool,
  ToolPreloadPlan,
} from '../agent-kits';
import { AgentChannel, AgentRunSummary, PushHost } from '../agents';
import { call, stream } from '../contract';
import { Target } from './connections';
import { UploadId } from './uploads';

const Empty = z.object({}).strict();
const RunId = z.string().regex(/^r[a-z0-9]{6,40}$/);
const Id = z.object({ id: RunId });

export const PushRequest = z.object({
  channel: AgentChannel,
  name: z.string().min(1).max(100),
  hosts: z.array(PushHost).min(1).max(4096),
  concurrency: z.number().int().min(1).max(64).default(8),
  retries: z.number().int().min(0).max(10).default(2),
  /** SshPushSettings or WinRmPushSettings (checked by the core's pusher). */
  settings: z.record(z.string(), z.unknown()),
});
export type PushRequest = z.input<typeof PushRequest>;

/** What the review step shows: the hosts as the run will list them, and what lands where. */
export const PushReview = z.object({
  channel: AgentChannel,
  name: z.string(),
  concurrency: z.number(),
  retries: z.number(),
  hosts: z.array(z.object({ key: z.string(), host: z.string(), port: z.number(), os: z.string() })),
  /** The agent's config as the server gives it: where agents dial, its CA, the labels applied. */
  config: z
    .object({ serverUrls: z.array(z.string()), caFingerprint: z.string(), labels: z.array(z.string()) })
    .nullable(),
  /** What each kind of host gets (paths, services), in the channel's words. */
  installs: z.array(z.object({ os: z.string(), what: z.string() })),
  warnings: z.array(z.string()),
});
export type PushReview = z.infer<typeof PushReview>;

export const RunListItem = AgentRunSummary.omit({ hosts: true });
export type RunListItem = z.infer<typeof RunListItem>;

export const HostKeyScan = z.object({
  host: z.string(),
  port: z.number(),
  /** known: listed in known_hosts; unknown: never seen (confirm it); changed: differs (refused). */
  status: z.enum(['known', 'unknown', 'changed', 'unreachable']),
  keyType: z.string().optional(),
  fingerprint: z.string().optional(),
  message: z.string().optional(),
});
export type HostKeyScan = z.infer<typeof HostKeyScan>;

const HostPort = z.object({ host: PushHost.shape.host, port: z.number().int().min(1).max(65535) });

/**
 * A WinRM listener's certificate as the host presents it now. Against the app's pins: `known` — the
 * pinned one; `new` — nothing pinned (compare and confirm it: agents:trust-winrm-certs); `changed` —
 * another one is pinned (refused, `pinned` and `fingerprint` both shown). Against a CA the responder
 * gives: `ca-valid` — issued by it, for this host name; `ca-invalid` — not (`message` says why).
 */
export const WinRmCertScan = z.object({
  host: z.string(),
  port: z.number(),
  status: z.enum(['known', 'new', 'changed', 'ca-valid', 'ca-invalid', 'unreachable']),
  /** SHA-256 of the certificate, `AA:BB:…` as certificate dialogs and certutil show it. */
  fingerprint: z.string().optional(),
  subject: z.string().optional(),
  issuer: z.string().optional(),
  validFrom: z.string().optional(),
  validTo: z.string().optional(),
  /** The fingerprint pinned before, when the certificate changed. */
  pinned: z.string().optional(),
  message: z.string().optional(),
});
export type WinRmCertScan = z.infer<typeof WinRmCertScan>;

export const EnrollmentCheck = EnrollmentStatus.extend({
  status: z.enum(['enrolled', 'not-yet', 'unknown']),
  /** Why the status is unknown. */
  reason: z.string().optional(),
});
export type EnrollmentCheck = z.infer<typeof EnrollmentCheck>;

const KitUpload = z.object({ upload: UploadId });

/** HOST:PORT the agents dial instead of the server's own URLs (the CLI's --frontend). */
const Frontend = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
});

export const InstallerBuildRequest = z
  .object({
    target: Target,
    kind: InstallerKind,
    /** A release tag, or the responder's file (the Linux client for deb/rpm, the MSI for msi). */
    source: z.union([z.object({ tag: z.string().min(1).max(64) }), KitUpload]),
    /** deb/rpm from a release: the Linux client's architecture. */
    arch: z.enum(['amd64', 'arm64']).default('amd64'),
    runner: KitUpload.optional(),
    labels: z.array(z.string().min(1).max(128)).max(32).default([]),
    frontends: z.array(Frontend).max(16).default([]),
  })
  .refine((r) => !(r.kind === 'msi' && r.arch !== 'amd64'), {
    message: "Velociraptor's MSI is amd64 only.",
    path: ['arch'],
  });
export type InstallerBuildRequest = z.input<typeof InstallerBuildRequest>;

export const InstallerBuilt = z.object({
  kind: InstallerKind,
  savedTo: z.string(),
  name: z.string(),
  files: z.array(KitFile),
  /** The command line that built it, with the config file's name in place of its path. */
  command: z.array(z.string()),
  binarySha256: z.string(),
  /** What the CLI prints as notes (MSI: the Authenticode signature is broken; how to re-sign). */
  notes: z.array(z.string()),
});
export type InstallerBuilt = z.infer<typeof InstallerBuilt>;

export const GpoKitBuildRequest = z.object({
  target: Target,
  msi: z.union([z.object({ built: z.string().min(1).max(4096) }), KitUpload]),
  /** The UNC share the README and startup script use (the core checks it is \\server\share). */
  share: z.string().min(1).max(260).optional(),
});
export type GpoKitBuildRequest = z.input<typeof GpoKitBuildRequest>;

export const GpoKitBuilt = z.object({
  /** The ZIP (what browser mode downloads); the folder beside it holds the same files. */
  savedTo: z.string(),
  name: z.string(),
  folder: z.string(),
  files: z.array(KitFile),
  zip: KitFile,
});
export type GpoKitBuilt = z.infer<typeof GpoKitBuilt>;

/** A kit build's events: the step it is at, then what it made. */
function KitEvent<T extends z.ZodType>(result: T) {
  return z.discriminatedUnion('type', [
    z.object({ type: z.literal('progress'), step: z.string() }),
    z.object({ type: z.literal('done'), result }),
  ]);
}

export const agentsContract = {
  'agents:list': call(
    Empty,
    z.object({
      runs: z.array(RunListItem),
      problems: z.array(z.object({ id: z.string(), message: z.string() })),
    }),
  ),
  'agents:run': call(Id, AgentRunSummary),
  /** The run as it would start (hosts deduplicated, settings checked, the server's client config). */
  'agents:review': call(PushRequest, PushReview),
  /** Starts the run in the core and answers its id at once; the page polls agents:run. */
  'agents:start': call(PushRequest, z.object({ id: RunId })),
  'agents:cancel': call(Id, z.object({ cancelled: z.boolean() })),
  /** Continues an interrupted or cancelled run (failed hosts again only when asked). */
  'agents:resume': call(
    z.object({ id: RunId, retryFailed: z.boolean().default(false) }),
    z.object({ id: RunId }),
  ),
  /** The summary CSV saved in the data folder's exports (browser mode hands it on with files:read). */
  'agents:export-csv': call(Id, z.object({ savedTo: z.string(), name: z.string(), rows: z.number() })),
  /** The SSH host keys the hosts present, against what the app knows (nothing is trusted here). */
  'agents:scan-host-keys': call(
    z.object({ hosts: z.array(HostPort).min(1).max(4096) }),
    z.object({ keys: z.array(HostKeyScan) }),
  ),
  /** Remembers keys the responder confirmed; each host is asked again and must present that key. */
  'agents:trust-host-keys': call(
    z.object({
      keys: z
        .array(HostPort.extend({ fingerprint: z.string().min(1) }))
        .min(1)
        .max(4096),
    }),
    z.object({ trusted: z.number(), refused: z.array(HostKeyScan) }),
  ),
  /** The WinRM listeners' certificates, against the app's pins or a CA given (nothing is trusted here). */
  'agents:scan-winrm-certs': call(
    z.object({ hosts: z.array(HostPort).min(1).max(4096), caPem: z.string().min(1).optional() }),
    z.object({ certs: z.array(WinRmCertScan) }),
  ),
  /**
   * Pins certificates the responder confirmed: each host is asked again and must still present that
   * fingerprint, and nothing else may be pinned for it (a changed certificate is never pinned here).
   */
  'agents:trust-winrm-certs': call(
    z.object({
      certs: z
        .array(HostPort.extend({ fingerprint: z.string().min(1).max(200) }))
        .min(1)
        .max(4096),
    }),
    z.object({ trusted: z.number(), refused: z.array(WinRmCertScan) }),
  ),
  /** An Ansible kit (role, inventory, the verified binary, the server's agent config) as a ZIP. */
  'agents:kit-ansible': call(
    z.object({
      target: Target,
      hosts: z.array(PushHost).min(1).max(4096),
      user: z.string().min(1).max(64),
      labels: z.array(z.string()).max(32).default([]),
      tag: z.string().min(1).default('latest'),
    }),
    z.object({ savedTo: z.string(), name: z.string(), files: z.array(z.string()), binarySha256: z.string() }),
  ),
  /** What building a collector will do: its parameters and every tool to preload, with source and hash. */
  'agents:collector-plan': call(
    z.object({ target: Target, spec: z.record(z.string(), z.unknown()) }),
    z.object({ parameters: z.record(z.string(), z.string()), preload: ToolPreloadPlan }),
  ),
  /**
   * An offline collector: its tools preloaded into the server's inventory (refused while one has no
   * file), then built by the server (Server.Utils.CreateCollector) and saved here.
   */
  'agents:kit-collector': call(
    z.object({ target: Target, spec: z.record(z.string(), z.unknown()) }),
    z.object({
      savedTo: z.string(),
      name: z.string(),
      sha256: z.string(),
      size: z.number(),
      preloaded: z.array(PreloadedTool),
    }),
  ),
  /**
   * A returned collection ZIP, sent first with uploads:begin/chunk (kind `collection`), copied to the
   * server and imported there; progress, then the result. The upload is removed afterwards, whether
   * the import worked, failed or was cancelled.
   */
  'agents:import-collection': stream(
    z.object({
      target: Target,
      upload: UploadId,
      hostname: z.string().max(253).optional(),
      /** The keychain entry holding a password collection's ZIP password (the collector's own). */
      passwordRef: z
        .string()
        .regex(/^[A-Za-z0-9._:-]{1,200}$/)
        .optional(),
    }),
    z.discriminatedUnion('type', [
      z.object({
        type: z.literal('progress'),
        /** upload: the copy onto the server's disk; import: the server imports; read: rows read back. */
        step: z.enum(['upload', 'import', 'read']),
        sent: z.number().optional(),
        total: z.number().optional(),
      }),
      z.object({ type: z.literal('done'), result: ImportedCollection }),
    ]),
  ),
  /**
   * A deb, rpm or repacked MSI carrying the server's agent config, built here by Velociraptor's own
   * `debian client` / `rpm client` / `config repack --msi` (the AgentService path the CLI and MCP use)
   * and saved in the data folder's `exports/agent-kits/`. What is packed: a verified release (deb/rpm:
   * the Linux client of `arch`; msi: the release's MSI) or the responder's file, sent first with
   * uploads (kind `velociraptor-binary`, or `msi` for an MSI). `runner`: a Velociraptor for this
   * machine that builds it, when the release for this machine cannot be fetched (isolated networks).
   */
  'agents:kit-installer': stream(InstallerBuildRequest, KitEvent(InstallerBuilt)),
  /**
   * A Group Policy kit (the MSI, README with the real steps, a startup script, SHA256SUMS) as a folder
   * and its ZIP in `exports/agent-kits/`, from an MSI built here before (`built`: the savedTo that
   * agents:kit-installer answered) or one the responder sends (e.g. after re-signing it).
   */
  'agents:kit-gpo': stream(GpoKitBuildRequest, KitEvent(GpoKitBuilt)),
  /**
   * Whether the server lists these hosts (exact host name) or client ids, since when and last
   * contact. `unknown`: the check could not tell (not a host name, or the server did not answer).
   */
  'agents:check-enrollment': call(
    z.object({ target: Target, hosts: z.array(z.string().min(1).max(253)).min(1).max(500) }),
    z.object({ hosts: z.array(EnrollmentCheck) }),
  ),
};
