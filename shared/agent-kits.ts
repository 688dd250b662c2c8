/**
 * Agent kits (issue 17 item 5): what building installers and offline collectors, preloading their
 * tools and importing a returned collection give back, shared by the core, the contracts, the CLI,
 * MCP and the kits page. Pure zod, no Node or DOM.
 */
import { z } from 'zod';

/** A file the app wrote, with what a responder compares before handing it out. */
export const KitFile = z.object({
  path: z.string(),
  name: z.string(),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type KitFile = z.infer<typeof KitFile>;

/** Where a tool's file comes from before it is added to the server's inventory. */
export const ToolSource = z.enum([
  /** Already in the server's inventory with its file (nothing to do). */
  'server',
  /** A Velociraptor release binary from the app's verified release cache. */
  'release',
  /** A file in the app's tool cache (`<data>/tool-cache/<Tool>/`) or given by the responder. */
  'file',
  /** Nowhere: the build would make the server (or the target) download it. */
  'missing',
]);
export type ToolSource = z.infer<typeof ToolSource>;

/** One tool an offline collector needs, as the plan shows it. */
export const CollectorTool = z.object({
  name: z.string(),
  /** The artifact that declares it (`Server.Internal.ToolDependencies` for Velociraptor itself). */
  artifact: z.string(),
  version: z.string(),
  /** The declared download URL: never fetched by the target, shown so the responder knows the origin. */
  url: z.string(),
  /** The hash the artifact declares ('' when it declares none). */
  expectedSha256: z.string(),
  source: ToolSource,
  /** The local file that will be uploaded ('' for server / missing). */
  file: z.string(),
  /** sha256 of that file, or of the server's copy for `server`. */
  sha256: z.string(),
  bytes: z.number().int().min(0),
  /** Why the file can be trusted or what is wrong (signature verified, hash matches, missing). */
  note: z.string(),
});
export type CollectorTool = z.infer<typeof CollectorTool>;

/** The preload step of a collector build, shown before anything changes on the server. */
export const ToolPreloadPlan = z.object({
  os: z.string(),
  serverVersion: z.string(),
  tools: z.array(CollectorTool),
  /** Tools with no file anywhere: the build is refused while any is left (isolated networks). */
  missing: z.array(z.string()),
});
export type ToolPreloadPlan = z.infer<typeof ToolPreloadPlan>;

/** One tool added to the server's inventory, with the hash the server computed of what it stored. */
export const PreloadedTool = z.object({
  name: z.string(),
  version: z.string(),
  sha256: z.string(),
  bytes: z.number().int().min(0),
});
export type PreloadedTool = z.infer<typeof PreloadedTool>;

/** A returned offline collection after Server.Utils.ImportCollection. */
export const ImportedCollection = z.object({
  clientId: z.string(),
  flowId: z.string(),
  /** The imported server flow (client `server`) that did the import. */
  importFlowId: z.string(),
  totalRows: z.number().int().min(0),
  uploadedFiles: z.number().int().min(0),
  uploadedBytes: z.number().int().min(0),
  /** Every `Artifact/Source` with results, and its row count read back from the server. */
  artifacts: z.array(z.object({ name: z.string(), rows: z.number().int().min(0) })),
  /** The ZIP as sent: what the server received was checked against this. */
  sha256: z.string(),
  bytes: z.number().int().min(0),
  logs: z.array(z.string()),
});
export type ImportedCollection = z.infer<typeof ImportedCollection>;

/** One host name or client id asked about by an enrollment check, and the clients the server lists for it. */
export const EnrollmentStatus = z.object({
  query: z.string(),
  enrolled: z.boolean(),
  clients: z.array(
    z.object({
      clientId: z.string(),
      hostname: z.string(),
      online: z.boolean(),
      /** ISO time of enrolment (first contact), when the server knows one. */
      firstSeen: z.string().optional(),
      /** ISO time of the last contact, when the server knows one. */
      lastSeen: z.string().optional(),
      labels: z.array(z.string()),
    }),
  ),
});
export type EnrollmentStatus = z.infer<typeof EnrollmentStatus>;

export const InstallerKind = z.enum(['msi', 'deb', 'rpm']);
export type InstallerKind = z.infer<typeof InstallerKind>;

/** An installer built locally with the verified Velociraptor binary and the server's client config. */
export const BuiltInstaller = z.object({
  kind: InstallerKind,
  file: KitFile,
  /** The command line that built it (the binary's own subcommand), for the record. */
  command: z.array(z.string()),
  /** The binary that built it / was packed: its verified sha256. */
  binarySha256: z.string(),
  /** What the responder must know (MSI: the Authenticode signature is broken by repacking). */
  notes: z.array(z.string()),
});
export type BuiltInstaller = z.infer<typeof BuiltInstaller>;

/** A folder (and its ZIP) to hand to whoever runs the deployment. */
export const BuiltKit = z.object({
  folder: z.string(),
  zip: KitFile.nullable(),
  files: z.array(KitFile),
});
export type BuiltKit = z.infer<typeof BuiltKit>;
