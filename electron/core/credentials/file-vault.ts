/**
 * The passphrase-encrypted file vault: the explicit alternative the responder may choose when no OS
 * keychain exists (never a silent fallback). scrypt derives a key from the passphrase; every secret
 * is sealed on its own with AES-256-GCM, its reference as associated data (a swapped or edited entry
 * fails authentication), so opening the vault decrypts nothing but a verifier and each read decrypts
 * one secret. A wrong passphrase fails the verifier: VAULT_WRONG_PASSPHRASE, never an empty vault.
 * Same file discipline as the index: lock, re-read, atomic write.
 *
 * The KDF parameters come from the file, so they are bounded before use (KDF_BOUNDS: a doctored
 * file must not make opening it allocate gigabytes or run for hours). New vaults use scrypt
 * N = 2^17 (OWASP's floor); a vault made with weaker parameters still opens, and its next write
 * re-keys it (new salt, current parameters, every entry sealed again).
 */
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt as scryptCb,
  type ScryptOptions,
} from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic } from '../files/index';
import { withFileLock } from './file-lock';
import { SECRET_REF_PATTERN, type EnumerableSecretStore, type SecretRef } from './secret-store';

const VAULT_FORMAT = 'megaraptor-vault';
const VERIFIER_AAD = 'megaraptor-vault-verifier';
const VERIFIER_PLAINTEXT = 'megaraptor-vault-ok';

const Sealed = z.object({ iv: z.string(), ct: z.string(), tag: z.string() }).strict();
type Sealed = z.infer<typeof Sealed>;
const VaultFile = z
  .object({
    format: z.literal(VAULT_FORMAT),
    version: z.literal(1),
    kdf: z
      .object({
        name: z.literal('scrypt'),
        salt: z.string(),
        N: z.number().int(),
        r: z.number().int(),
        p: z.number().int(),
      })
      .strict(),
    verifier: Sealed,
    entries: z.record(z.string(), Sealed),
  })
  .strict();
type VaultFile = z.infer<typeof VaultFile>;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
/** OWASP's scrypt floor: N=2^17, r=8, p=1 (128 MiB, about half a second). Tests may lower it. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** What a vault file may ask for: N a power of two in [2^10, 2^20], at most 1 GiB and 2^24 N·r·p. */
export const KDF_BOUNDS = {
  minLogN: 10,
  maxLogN: 20,
  maxR: 32,
  maxP: 16,
  maxMemBytes: 2 ** 30,
  maxWork: 2 ** 24,
};

/** Why the parameters are refused, or null. */
export function kdfProblem(k: ScryptParams & { salt?: string }): string | null {
  const logN = Math.log2(k.N);
  if (!Number.isInteger(logN) || logN < KDF_BOUNDS.minLogN || logN > KDF_BOUNDS.maxLogN)
    return `scrypt N=${k.N} is not a power of two between 2^${KDF_BOUNDS.minLogN} and 2^${KDF_BOUNDS.maxLogN}`;
  if (k.r < 1 || k.r > KDF_BOUNDS.maxR) return `scrypt r=${k.r} is outside 1..${KDF_BOUNDS.maxR}`;
  if (k.p < 1 || k.p > KDF_BOUNDS.maxP) return `scrypt p=${k.p} is outside 1..${KDF_BOUNDS.maxP}`;
  if (128 * k.N * k.r > KDF_BOUNDS.maxMemBytes) return `scrypt N=${k.N}, r=${k.r} needs more than 1 GiB`;
  if (k.N * k.r * k.p > KDF_BOUNDS.maxWork)
    return `scrypt N·r·p=${k.N * k.r * k.p} is more work than allowed`;
  if (k.salt !== undefined) {
    const bytes = Buffer.from(k.salt, 'base64').length;
    if (bytes < 16 || bytes > 64) return `the salt is ${bytes} bytes (16..64 expected)`;
  }
  return null;
}

/** A vault whose parameters are below the current ones is re-keyed on its next write. */
function weaker(k: ScryptParams, than: ScryptParams = DEFAULT_SCRYPT): boolean {
  return k.N < than.N || k.r < than.r;
}

function deriveKey(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scryptCb(passphrase.normalize('NFC'), salt, 32, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function seal(key: Buffer, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Throws when authentication fails (wrong key or altered data). */
function open(key: Buffer, sealed: Sealed, aad: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString(
    'utf8',
  );
}

async function readVault(path: string): Promise<VaultFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError(
      'STORE_CORRUPT',
      `The file vault ${path} is damaged (not valid JSON). Restore it from a backup.`,
      { details: { path } },
    );
  }
  const parsed = VaultFile.safeParse(json);
  if (!parsed.success)
    throw new AppError('STORE_CORRUPT', `The file vault ${path} is damaged (unexpected structure).`, {
      details: { path },
    });
  const problem = kdfProblem(parsed.data.kdf);
  if (problem)
    throw new AppError(
      'STORE_CORRUPT',
      `The file vault ${path} asks for key-derivation parameters no vault of this app uses (${problem}); it is damaged or was altered. Restore it from a backup.`,
      { details: { path } },
    );
  return parsed.data;
}

/** A key from the current parameters, derived while the passphrase is at hand, for the next write. */
interface Rekey {
  key: Buffer;
  salt: string;
  params: ScryptParams;
}

/**
 * The file with every entry and the verifier sealed again under `to` (the current parameters), or
 * undefined when an entry does not open (a damaged entry: the write goes ahead without the upgrade).
 */
function resealed(file: VaultFile, key: Buffer, to: Rekey): { file: VaultFile; to: Rekey } | undefined {
  const entries: Record<string, Sealed> = {};
  try {
    for (const [ref, sealed] of Object.entries(file.entries))
      entries[ref] = seal(to.key, open(key, sealed, ref), ref);
  } catch {
    return undefined;
  }
  return {
    to,
    file: {
      ...file,
      kdf: { name: 'scrypt', salt: to.salt, ...to.params },
      verifier: seal(to.key, VERIFIER_PLAINTEXT, VERIFIER_AAD),
      entries,
    },
  };
}

export class FileVaultSecretStore implements EnumerableSecretStore {
  readonly backend = 'file vault';
  private key: Buffer | undefined;

  private constructor(
    readonly path: string,
    key: Buffer,
    /** The salt the key was derived with: another process may re-key the file meanwhile. */
    private salt: string,
    private rekey?: Rekey,
  ) {
    this.key = key;
  }

  static async exists(path: string): Promise<boolean> {
    return (await readVault(path).catch(() => ({}))) !== undefined;
  }

  /** Creates a new, empty vault. Refuses to replace an existing one. */
  static async create(
    path: string,
    passphrase: string,
    params: ScryptParams = DEFAULT_SCRYPT,
  ): Promise<FileVaultSecretStore> {
    if (passphrase.length < 8)
      throw new AppError('INVALID_ARGUMENT', 'Choose a vault passphrase of at least 8 characters.');
    const problem = kdfProblem(params);
    if (problem) throw new AppError('INVALID_ARGUMENT', `Refusing to create a vault: ${problem}.`);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const salt = randomBytes(16);
    const key = await deriveKey(passphrase, salt, params);
    await withFileLock(`${path}.lock`, async () => {
      if ((await readVault(path)) !== undefined)
        throw new AppError('CONFLICT', `A file vault already exists at ${path}; open it instead.`);
      const file: VaultFile = {
        format: VAULT_FORMAT,
        version: 1,
        kdf: { name: 'scrypt', salt: salt.toString('base64'), ...params },
        verifier: seal(key, VERIFIER_PLAINTEXT, VERIFIER_AAD),
        entries: {},
      };
      await writeFileAtomic(path, JSON.stringify(file, null, 1));
    });
    return new FileVaultSecretStore(path, key, salt.toString('base64'));
  }

  /**
   * Opens an existing vault: VAULT_WRONG_PASSPHRASE when the passphrase does not fit. A vault below
   * the current KDF parameters is re-keyed on its next write unless `upgrade` is false — for tests
   * whose processes share a vault made with cheap parameters (a re-key by one locks out the others).
   */
  static async open(
    path: string,
    passphrase: string,
    { upgrade = true }: { upgrade?: boolean } = {},
  ): Promise<FileVaultSecretStore> {
    const file = await readVault(path);
    if (!file) throw new AppError('NOT_FOUND', `There is no file vault at ${path}.`);
    const key = await deriveKey(passphrase, Buffer.from(file.kdf.salt, 'base64'), file.kdf);
    let plain: string;
    try {
      plain = open(key, file.verifier, VERIFIER_AAD);
    } catch {
      throw new AppError(
        'VAULT_WRONG_PASSPHRASE',
        'The passphrase does not open the file vault. Check it and try again.',
      );
    }
    if (plain !== VERIFIER_PLAINTEXT)
      throw new AppError('VAULT_WRONG_PASSPHRASE', 'The passphrase does not open the file vault.');
    let rekey: Rekey | undefined;
    if (upgrade && weaker(file.kdf)) {
      const salt = randomBytes(16);
      rekey = {
        key: await deriveKey(passphrase, salt, DEFAULT_SCRYPT),
        salt: salt.toString('base64'),
        params: DEFAULT_SCRYPT,
      };
    }
    return new FileVaultSecretStore(path, key, file.kdf.salt, rekey);
  }

  /** True while the vault waits for its next write to move to the current KDF parameters. */
  get upgradePending(): boolean {
    return this.rekey !== undefined;
  }

  get locked(): boolean {
    return this.key === undefined;
  }

  /** Forgets the derived key; the vault must be opened again. */
  lock(): void {
    this.key?.fill(0);
    this.key = undefined;
    this.rekey?.key.fill(0);
    this.rekey = undefined;
  }

  async get(ref: SecretRef): Promise<string | undefined> {
    const key = this.requireKey(ref);
    const file = await this.requireFile();
    const sealed = file.entries[ref];
    if (!sealed) return undefined;
    try {
      return open(key, sealed, ref);
    } catch {
      throw new AppError(
        'STORE_CORRUPT',
        `The vault entry ${ref} fails authentication: it was altered or damaged.`,
        { details: { ref } },
      );
    }
  }

  async set(ref: SecretRef, value: string): Promise<void> {
    const key = this.requireKey(ref);
    await this.mutate((file) => {
      file.entries[ref] = seal(key, value, ref);
    });
  }

  async delete(ref: SecretRef): Promise<void> {
    this.requireKey(ref);
    await this.mutate((file) => {
      delete file.entries[ref];
    });
  }

  async listRefs(): Promise<SecretRef[]> {
    return Object.keys((await this.requireFile()).entries).sort();
  }

  private requireKey(ref: SecretRef): Buffer {
    if (!SECRET_REF_PATTERN.test(ref))
      throw new AppError(
        'INVALID_ARGUMENT',
        'A secret reference may only hold letters, digits and . _ : - (1–200 characters).',
      );
    if (!this.key)
      throw new AppError('KEYCHAIN_LOCKED', 'The file vault is locked: open it with its passphrase first.');
    return this.key;
  }

  private async requireFile(): Promise<VaultFile> {
    const file = await readVault(this.path);
    if (!file)
      throw new AppError('STORE_CORRUPT', `The file vault ${this.path} has disappeared.`, {
        details: { path: this.path },
      });
    if (file.kdf.salt !== this.salt)
      throw new AppError(
        'KEYCHAIN_LOCKED',
        'The file vault was re-keyed by another process (its key-derivation settings were upgraded): open it again with its passphrase.',
      );
    return file;
  }

  private async mutate(fn: (file: VaultFile) => void): Promise<void> {
    await withFileLock(`${this.path}.lock`, async () => {
      const file = await this.requireFile();
      fn(file);
      const key = this.key;
      const rekey = this.rekey && key ? resealed(file, key, this.rekey) : undefined;
      await writeFileAtomic(this.path, JSON.stringify(rekey?.file ?? file, null, 1));
      if (rekey && key) {
        key.fill(0);
        this.key = rekey.to.key;
        this.salt = rekey.to.salt;
        this.rekey = undefined;
      }
    });
  }
}
