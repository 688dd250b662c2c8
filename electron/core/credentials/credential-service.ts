/**
 * The Credentials domain service: secrets in a SecretStore (the OS keychain, or the file vault the
 * responder explicitly chose), metadata in the CredentialIndex. Every change runs inside the index
 * lock, so the app and `megaraptor mcp` never interleave a secret write with another's repair.
 * Secret values leave this class only through `secret()` (for the core's own use) and `reveal()`
 * (for the responder, with an explicit confirmation).
 */
import { randomUUID } from 'node:crypto';
import type {
  CredentialKind,
  CredentialListItem,
  CredentialListOutput,
  CredentialMeta,
  CredentialStatus,
  RepairFinding,
  RepairReport,
} from '../../../shared/contracts/credentials';
import { AppError, isAppError } from '../../../shared/errors';
import type { KeychainStatus } from './keychain-probe';
import { CredentialIndex } from './metadata-index';
import { FileVaultSecretStore } from './file-vault';
import { isEnumerable, type SecretStore } from './secret-store';

const DAY_MS = 86_400_000;

export interface CredentialServiceOptions {
  /** The index file inside the app-data folder, e.g. `<dataDir>/credentials.json`. */
  indexPath: string;
  /** The OS keychain store (KeychainSecretStore in production). */
  keychain: SecretStore;
  /** Answers whether the keychain works (the foundation's probeKeychain). */
  probe: () => Promise<KeychainStatus>;
  /** Where the optional file vault lives, e.g. `<dataDir>/vault.json`. */
  vaultPath: string;
  clock?: () => Date;
}

export interface AddCredentialInput {
  id?: string;
  name: string;
  kind: CredentialKind;
  owner?: CredentialMeta['owner'];
  expiresAt?: Date | null;
  fingerprint?: string | null;
  secret: string;
}

/** What `register` lists: the metadata of a secret another core service stored under `id`. */
export type RegisterInput = Omit<AddCredentialInput, 'secret' | 'id'> & { id: string };

/** Whether `entry` already says what `input` would write (createdAt aside, which register keeps). */
function sameMeta(entry: CredentialMeta, input: RegisterInput): boolean {
  const owner = input.owner ?? {};
  return (
    entry.name === input.name &&
    entry.kind === input.kind &&
    entry.owner.serverName === owner.serverName &&
    entry.owner.deploymentId === owner.deploymentId &&
    entry.expiresAt === (input.expiresAt ? input.expiresAt.toISOString() : null) &&
    entry.fingerprint === (input.fingerprint ?? null)
  );
}

export interface ListInput {
  page?: number;
  pageSize?: number;
  kind?: CredentialKind;
  expiringWithinDays?: number;
  onlyExpiring?: boolean;
}

export class CredentialService {
  private readonly index: CredentialIndex;
  private readonly keychain: SecretStore;
  private readonly probe: () => Promise<KeychainStatus>;
  private readonly vaultPath: string;
  private readonly clock: () => Date;
  private vault: FileVaultSecretStore | undefined;

  constructor(options: CredentialServiceOptions) {
    this.index = new CredentialIndex(options.indexPath);
    this.keychain = options.keychain;
    this.probe = options.probe;
    this.vaultPath = options.vaultPath;
    this.clock = options.clock ?? (() => new Date());
  }

  /** The store secrets go to: the vault once the responder opened it, else the keychain. */
  get store(): SecretStore {
    return this.vault ?? this.keychain;
  }

  async add(input: AddCredentialInput): Promise<CredentialMeta> {
    const meta: CredentialMeta = {
      id: input.id ?? `cred-${randomUUID()}`,
      name: input.name,
      kind: input.kind,
      owner: input.owner ?? {},
      createdAt: this.clock().toISOString(),
      expiresAt: input.expiresAt ? input.expiresAt.toISOString() : null,
      fingerprint: input.fingerprint ?? null,
    };
    return this.index.update(async (entries) => {
      if (entries.some((e) => e.id === meta.id))
        throw new AppError('CONFLICT', `A credential with id ${meta.id} already exists.`);
      // Secret first: a crash between the two leaves an orphan secret, which repair adopts —
      // never an index entry pointing at nothing.
      await this.store.set(meta.id, input.secret);
      return { entries: [...entries, meta], result: meta };
    });
  }

  /**
   * Lists a secret another core service already wrote to `this.store` under `id` (the connection
   * registry saves API configs itself): index entry only, created or replaced. A replaced entry
   * keeps its `createdAt`. Secret first, then the entry, as in `add`. Idempotent: an entry already
   * listed exactly so is returned as it is, without a write (owners re-register at every start).
   */
  async register(input: RegisterInput): Promise<CredentialMeta> {
    const listed = (await this.index.read()).find((e) => e.id === input.id);
    if (listed && sameMeta(listed, input)) return listed;
    return this.index.update((entries) => {
      const old = entries.find((e) => e.id === input.id);
      const meta: CredentialMeta = {
        id: input.id,
        name: input.name,
        kind: input.kind,
        owner: input.owner ?? {},
        createdAt: old?.createdAt ?? this.clock().toISOString(),
        expiresAt: input.expiresAt ? input.expiresAt.toISOString() : null,
        fingerprint: input.fingerprint ?? null,
      };
      return { entries: [...entries.filter((e) => e.id !== input.id), meta], result: meta };
    });
  }

  /** Removes an index entry only (its owner already deleted the secret); false when it was not listed (nothing is written then). */
  async unregister(id: string): Promise<boolean> {
    if (!(await this.index.read()).some((e) => e.id === id)) return false;
    return this.index.update((entries) => ({
      entries: entries.filter((e) => e.id !== id),
      result: entries.some((e) => e.id === id),
    }));
  }

  async get(id: string): Promise<CredentialMeta> {
    const found = (await this.index.read()).find((e) => e.id === id);
    if (!found) throw new AppError('NOT_FOUND', `No credential with id ${id}.`);
    return found;
  }

  /** The secret value, for core services (connection registry, deployers). Never for IPC output. */
  async secret(id: string): Promise<string> {
    const meta = await this.get(id);
    const value = await this.store.get(id);
    if (value === undefined) {
      throw new AppError(
        'SECRET_MISSING',
        `The secret of "${meta.name}" is listed but missing from the ${this.store.backend}. Run Repair, then re-create it.`,
        {
          details: { id, name: meta.name },
        },
      );
    }
    return value;
  }

  async reveal(id: string, confirm: boolean): Promise<{ id: string; value: string }> {
    if (confirm !== true)
      throw new AppError('INVALID_ARGUMENT', 'Revealing a secret needs an explicit confirmation.');
    return { id, value: await this.secret(id) };
  }

  async list(input: ListInput = {}): Promise<CredentialListOutput> {
    const page = input.page ?? 1;
    const pageSize = input.pageSize ?? 50;
    const windowMs = (input.expiringWithinDays ?? 30) * DAY_MS;
    const now = this.clock().getTime();
    const all = (await this.index.read())
      .filter((e) => !input.kind || e.kind === input.kind)
      .map((e): CredentialListItem => {
        const expires = e.expiresAt === null ? Infinity : Date.parse(e.expiresAt);
        return { ...e, expired: expires <= now, expiringSoon: expires - now <= windowMs };
      })
      .sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
    const expiringCount = all.filter((e) => e.expiringSoon).length;
    const selected = input.onlyExpiring ? all.filter((e) => e.expiringSoon) : all;
    return {
      items: selected.slice((page - 1) * pageSize, page * pageSize),
      total: selected.length,
      page,
      pageSize,
      expiringCount,
    };
  }

  /** Deletes the secret and its index entry; `deleted` is false when the id was unknown. */
  async delete(id: string): Promise<{ deleted: boolean }> {
    return this.index.update(async (entries) => {
      const present = entries.some((e) => e.id === id);
      await this.store.delete(id);
      return { entries: entries.filter((e) => e.id !== id), result: { deleted: present } };
    });
  }

  /**
   * Reconciles index and store: restores entries from quarantined (damaged) indexes whose secrets
   * still exist, drops index entries whose secret is gone, and adopts secrets the index lost.
   * `dryRun` reports without changing anything.
   */
  async repair(options: { dryRun: boolean }): Promise<RepairReport> {
    try {
      await this.index.read();
    } catch (e) {
      // A damaged index is moved aside by that read; repair then works from the quarantined copy.
      if (!isAppError(e, 'STORE_CORRUPT')) throw e;
    }
    const quarantined = await this.index.quarantined();
    const store = this.store;
    const existing = isEnumerable(store) ? new Set(await store.listRefs()) : undefined;
    const has = async (id: string): Promise<boolean> =>
      existing ? existing.has(id) : (await store.get(id)) !== undefined;
    const findings: RepairFinding[] = [];
    const now = this.clock().toISOString();
    const act = <A extends RepairFinding['action']>(a: A): A | 'none' => (options.dryRun ? 'none' : a);

    const write = async (entries: CredentialMeta[]) => {
      const byId = new Map(entries.map((e) => [e.id, e]));
      for (const q of quarantined) {
        for (const r of q.recoverable) {
          if (byId.has(r.id) || !(await has(r.id))) continue;
          byId.set(r.id, r);
          findings.push({
            kind: 'recovered-from-quarantine',
            id: r.id,
            name: r.name,
            action: act('added-to-index'),
          });
        }
      }
      for (const e of [...byId.values()]) {
        if (await has(e.id)) continue;
        byId.delete(e.id);
        findings.push({ kind: 'missing-secret', id: e.id, name: e.name, action: act('removed-from-index') });
      }
      for (const ref of existing ?? []) {
        if (byId.has(ref)) continue;
        byId.set(ref, {
          id: ref,
          name: `Recovered secret ${ref}`,
          kind: 'other',
          owner: {},
          createdAt: now,
          expiresAt: null,
          fingerprint: null,
        });
        findings.push({ kind: 'orphan-secret', id: ref, action: act('added-to-index') });
      }
      return { entries: options.dryRun ? entries : [...byId.values()], result: undefined };
    };
    await this.index.update(write);
    return { dryRun: options.dryRun, findings, quarantined: quarantined.map((q) => q.path) };
  }

  async status(): Promise<CredentialStatus> {
    let count = 0;
    let expiringCount = 0;
    try {
      const listed = await this.list({ pageSize: 1 });
      count = listed.total;
      expiringCount = listed.expiringCount;
    } catch (e) {
      if (!isAppError(e, 'STORE_CORRUPT')) throw e;
    }
    const quarantinedIndexes = (await this.index.quarantined()).length;
    const vaultExists = await FileVaultSecretStore.exists(this.vaultPath);
    if (this.vault) {
      return {
        store: 'vault',
        backend: this.vault.backend,
        available: true,
        vaultOffered: true,
        vaultLocked: false,
        count,
        expiringCount,
        quarantinedIndexes,
      };
    }
    const probe = await this.probe();
    if (probe.available) {
      return {
        store: 'keychain',
        backend: probe.backend,
        available: true,
        vaultOffered: false,
        vaultLocked: vaultExists,
        count,
        expiringCount,
        quarantinedIndexes,
      };
    }
    return {
      store: 'none',
      backend: probe.backend,
      available: false,
      detail: `${probe.detail ?? 'No OS keychain answered.'} You can instead keep secrets in a file vault encrypted with a passphrase you choose.`,
      vaultOffered: true,
      vaultLocked: vaultExists,
      count,
      expiringCount,
      quarantinedIndexes,
    };
  }

  /** The responder chose the file vault: create it or open the existing one. */
  async openVault(passphrase: string, create: boolean): Promise<CredentialStatus> {
    this.vault?.lock();
    this.vault = create
      ? await FileVaultSecretStore.create(this.vaultPath, passphrase)
      : await FileVaultSecretStore.open(this.vaultPath, passphrase);
    return this.status();
  }

  dispose(): void {
    this.vault?.lock();
    this.vault = undefined;
  }
}
