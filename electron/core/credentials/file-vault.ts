/**
 * The passphrase-encrypted file vault: the explicit alternative the responder may choose when no OS
 * keychain exists (never a silent fallback). scrypt derives a key from the passphrase; every secret
 * is sealed on its own with AES-256-GCM, its reference as associated data (a swapped or edited entry
 * fails authentication), so opening the vault decrypts nothing but a verifier and each read decrypts
 * one secret. A wrong passphrase fails the verifier: VAULT_WRONG_PASSPHRASE, never an empty vault.
 * Same file discipline as the index: lock, re-read, atomic write.
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
/** OWASP's scrypt floor is N=2^17; 2^15 keeps unlock under ~0.2 s on slow machines. Tests may lower it. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

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
  return parsed.data;
}

export class FileVaultSecretStore implements EnumerableSecretStore {
  readonly backend = 'file vault';
  private key: Buffer | undefined;

  private constructor(
    readonly path: string,
    key: Buffer,
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
    return new FileVaultSecretStore(path, key);
  }

  /** Opens an existing vault: VAULT_WRONG_PASSPHRASE when the passphrase does not fit. */
  static async open(path: string, passphrase: string): Promise<FileVaultSecretStore> {
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
    return new FileVaultSecretStore(path, key);
  }

  get locked(): boolean {
    return this.key === undefined;
  }

  /** Forgets the derived key; the vault must be opened again. */
  lock(): void {
    this.key?.fill(0);
    this.key = undefined;
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
    return file;
  }

  private async mutate(fn: (file: VaultFile) => void): Promise<void> {
    await withFileLock(`${this.path}.lock`, async () => {
      const file = await this.requireFile();
      fn(file);
      await writeFileAtomic(this.path, JSON.stringify(file, null, 1));
    });
  }
}
