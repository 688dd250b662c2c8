/**
 * The Credentials domain: what the app stores in the OS keychain, listed from the metadata index.
 * Secret values never cross this contract except through `credentials:reveal`, which demands an
 * explicit `confirm: true` (the UI asks the responder first).
 */
import { z } from 'zod';
import { call } from '../contract';

/** Opaque id; also the keychain account name, hence the character set. */
export const CredentialId = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/);

export const CredentialKind = z.enum([
  'ca-key', // a CA private key (never leaves this machine)
  'private-key', // a server, gateway or API client private key
  'api-config', // a whole API client config (it contains a private key)
  'password',
  'passphrase',
  'token',
  'other', // adopted by repair from a keychain entry whose metadata was lost
]);
export type CredentialKind = z.infer<typeof CredentialKind>;

export const CredentialMeta = z
  .object({
    id: CredentialId,
    name: z.string().min(1).max(200),
    kind: CredentialKind,
    /** What it belongs to: a deployment and/or a server connection (either may be absent). */
    owner: z.object({ deploymentId: z.string().optional(), serverName: z.string().optional() }).strict(),
    /** ISO 8601. */
    createdAt: z.string(),
    /** ISO 8601, or null when it does not expire (passwords). Certificates: their notAfter. */
    expiresAt: z.string().nullable(),
    /** SHA-256 fingerprint of the certificate that goes with the key, colon-separated hex; else null. */
    fingerprint: z.string().nullable(),
  })
  .strict();
export type CredentialMeta = z.infer<typeof CredentialMeta>;

export const CredentialListItem = CredentialMeta.extend({
  /** Expires within the asked window (or already expired). */
  expiringSoon: z.boolean(),
  expired: z.boolean(),
});
export type CredentialListItem = z.infer<typeof CredentialListItem>;

export const CredentialListInput = z
  .object({
    page: z.number().int().min(1).default(1),
    pageSize: z.number().int().min(1).max(500).default(50),
    kind: CredentialKind.optional(),
    /** Flag items expiring within this many days (default 30). */
    expiringWithinDays: z.number().int().min(0).max(3650).default(30),
    /** Only return flagged (expiring or expired) items. */
    onlyExpiring: z.boolean().default(false),
  })
  .strict();

export const CredentialListOutput = z.object({
  items: z.array(CredentialListItem),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  /** How many of all items (not just this page) are flagged as expiring or expired. */
  expiringCount: z.number().int(),
});
export type CredentialListOutput = z.infer<typeof CredentialListOutput>;

export const RepairFinding = z.object({
  kind: z.enum(['missing-secret', 'orphan-secret', 'recovered-from-quarantine']),
  id: CredentialId,
  name: z.string().optional(),
  /** What repair did (or would do, on a dry run). */
  action: z.enum(['removed-from-index', 'added-to-index', 'none']),
});
export type RepairFinding = z.infer<typeof RepairFinding>;

export const RepairReport = z.object({
  dryRun: z.boolean(),
  findings: z.array(RepairFinding),
  /** Damaged index files kept aside (never deleted by repair). */
  quarantined: z.array(z.string()),
});
export type RepairReport = z.infer<typeof RepairReport>;

export const CredentialStatus = z.object({
  /** 'keychain' (the OS keychain), 'vault' (the responder chose the file vault), or 'none'. */
  store: z.enum(['keychain', 'vault', 'none']),
  backend: z.string(),
  available: z.boolean(),
  /** Why the store is not available and what to do, when it is not. */
  detail: z.string().optional(),
  /** True when no keychain answers: the UI may offer the passphrase-encrypted file vault. */
  vaultOffered: z.boolean(),
  vaultLocked: z.boolean(),
  count: z.number().int(),
  expiringCount: z.number().int(),
  quarantinedIndexes: z.number().int(),
});
export type CredentialStatus = z.infer<typeof CredentialStatus>;

export const credentialsContract = {
  'credentials:list': call(CredentialListInput, CredentialListOutput),
  'credentials:delete': call(z.object({ id: CredentialId }).strict(), z.object({ deleted: z.boolean() })),
  'credentials:repair': call(z.object({ dryRun: z.boolean().default(true) }).strict(), RepairReport),
  'credentials:reveal': call(
    z.object({ id: CredentialId, confirm: z.literal(true) }).strict(),
    z.object({ id: CredentialId, value: z.string() }),
  ),
  'credentials:status': call(z.object({}).strict(), CredentialStatus),
  /**
   * Stores a password or passphrase the responder typed (a login, sudo, a key's passphrase) in the
   * keychain; what answers is its record, whose id is the keychain reference settings name.
   */
  'credentials:add': call(
    z
      .object({
        name: z.string().trim().min(1).max(200),
        kind: z.enum(['password', 'passphrase']),
        secret: z.string().min(1).max(4096),
      })
      .strict(),
    CredentialMeta,
  ),
  /** The responder's explicit choice of the file vault when no keychain exists (create or open it). */
  'credentials:vault-open': call(
    z.object({ passphrase: z.string().min(8).max(1024), create: z.boolean().default(false) }).strict(),
    CredentialStatus,
  ),
};
