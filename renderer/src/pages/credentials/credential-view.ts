/**
 * Pure display logic of the Credentials page: expiry badges, kind and owner labels, and
 * which kinds may be revealed at all.
 */
import type {
  CredentialKind,
  CredentialListItem,
  CredentialMeta,
  RepairFinding,
} from '../../../../shared/contracts/credentials';

const DAY_MS = 86_400_000;

export interface ExpiryBadge {
  label: 'expired' | 'expires soon';
  color: 'red' | 'orange';
  /** "3 days ago", "in 12 days", "today". */
  when: string;
}

function relativeDays(deltaMs: number): string {
  const days = Math.floor(Math.abs(deltaMs) / DAY_MS);
  if (days === 0) return 'today';
  const n = `${days} day${days === 1 ? '' : 's'}`;
  return deltaMs < 0 ? `${n} ago` : `in ${n}`;
}

/**
 * The badge next to the expiry date. The core's flags decide (they use the asked warning window);
 * `now` only words how far away it is. Null for credentials that are fine or never expire.
 */
export function expiryBadge(
  item: Pick<CredentialListItem, 'expiresAt' | 'expired' | 'expiringSoon'>,
  now: Date,
): ExpiryBadge | null {
  if (item.expiresAt === null) return null;
  const t = Date.parse(item.expiresAt);
  if (Number.isNaN(t)) return null;
  const when = relativeDays(t - now.getTime());
  if (item.expired) return { label: 'expired', color: 'red', when };
  if (item.expiringSoon) return { label: 'expires soon', color: 'orange', when };
  return null;
}

const KIND_LABELS: Record<CredentialKind, string> = {
  'ca-key': 'CA private key',
  'private-key': 'Private key',
  'api-config': 'API client config',
  password: 'Password',
  passphrase: 'Passphrase',
  token: 'Token',
  other: 'Other (recovered)',
};

export function kindLabel(kind: CredentialKind): string {
  return KIND_LABELS[kind];
}

/** A CA key never leaves this machine, so it is never shown or copied; every other kind may be, after confirmation. */
export function canReveal(kind: CredentialKind): boolean {
  return kind !== 'ca-key';
}

export function ownerLabel(owner: CredentialMeta['owner']): string {
  const parts = [
    owner.serverName ? `server ${owner.serverName}` : '',
    owner.deploymentId ? `deployment ${owner.deploymentId}` : '',
  ].filter((p) => p !== '');
  return parts.length ? parts.join(' · ') : '—';
}

/** First and last bytes of a colon-separated fingerprint: `AB:CD:EF…12:34:56`. */
export function shortFingerprint(fp: string | null): string {
  if (!fp) return '—';
  const bytes = fp.split(':');
  return bytes.length <= 8 ? fp : `${bytes.slice(0, 3).join(':')}…${bytes.slice(-3).join(':')}`;
}

/** What a repair finding means, in the responder's words; `dryRun` says "would". */
export function findingText(f: RepairFinding, dryRun: boolean): string {
  const what = f.name ? `“${f.name}”` : f.id;
  switch (f.kind) {
    case 'missing-secret':
      return `${what} is listed but its secret is gone from the store: ${dryRun ? 'would remove' : 'removed'} the entry.`;
    case 'orphan-secret':
      return `A secret (${f.id}) is in the store but not listed: ${dryRun ? 'would list' : 'listed'} it as a recovered credential.`;
    case 'recovered-from-quarantine':
      return `${what} was in a damaged index and its secret still exists: ${dryRun ? 'would restore' : 'restored'} the entry.`;
  }
}

/** The page to show after the list shrank (a delete on the last page). */
export function clampPage(page: number, total: number, pageSize: number): number {
  return Math.max(1, Math.min(page, Math.ceil(total / pageSize)));
}
