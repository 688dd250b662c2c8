/**
 * WinZip AES (AE-1/AE-2) entries, the encryption Velociraptor's collector uses for the `data.zip` of a
 * protected container (github.com/alexmullins/zip: AES-256, AE-2, stored). Facts: keys from
 * PBKDF2-HMAC-SHA1(password, salt, 1000 iterations) split into cipher key, HMAC key and a 2-byte
 * password verifier; the data is AES-CTR with a little-endian counter starting at 1 (Node's `aes-*-ctr`
 * counts big-endian, so the key stream is made here from AES-ECB blocks); the last 10 bytes are the
 * first 10 of HMAC-SHA1 over the encrypted data. Layout on disk: salt (keyLen/2) | verifier (2) | data
 * | authentication code (10). OpenSSL 3 has all of these primitives, so nothing here is pure-JS crypto.
 * `passwordContainer` writes upstream's container (for the simulator's collector); the app only reads.
 */
import {
  createCipheriv,
  createHmac,
  pbkdf2,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
  type Cipher,
  type Hmac,
} from 'node:crypto';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';

export const WINZIP_AES_EXTRA = 0x9901;
const ITERATIONS = 1000;
const AUTH_CODE = 10;
const pbkdf2Async = promisify(pbkdf2);

/** The 0x9901 extra field: AES strength (1/2/3 → 128/192/256) and the real compression method. */
export interface WinZipAesField {
  vendorVersion: number;
  keyBytes: 16 | 24 | 32;
  method: number;
}

export function winZipAesField(extra: Buffer): WinZipAesField | null {
  for (let p = 0; p + 4 <= extra.length;) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === WINZIP_AES_EXTRA && len >= 7 && p + 4 + len <= extra.length) {
      const strength = extra.readUInt8(p + 8);
      const keyBytes = strength === 1 ? 16 : strength === 2 ? 24 : strength === 3 ? 32 : 0;
      if (!keyBytes) return null;
      return { vendorVersion: extra.readUInt16LE(p + 4), keyBytes, method: extra.readUInt16LE(p + 9) };
    }
    p += 4 + len;
  }
  return null;
}

export const saltBytes = (f: WinZipAesField): number => f.keyBytes / 2;
/** Bytes before and after the encrypted data within the entry. */
export const overhead = (f: WinZipAesField): number => saltBytes(f) + 2 + AUTH_CODE;

export interface WinZipAesKeys {
  cipherKey: Buffer;
  authKey: Buffer;
  verifier: Buffer;
}

export async function deriveKeys(password: string, salt: Buffer, keyBytes: number): Promise<WinZipAesKeys> {
  const k = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, ITERATIONS, keyBytes * 2 + 2, 'sha1');
  return {
    cipherKey: k.subarray(0, keyBytes),
    authKey: k.subarray(keyBytes, keyBytes * 2),
    verifier: k.subarray(keyBytes * 2),
  };
}

/** AES-CTR with WinZip's little-endian counter (from 1); the same transform encrypts and decrypts. */
export class WinZipCtr {
  private readonly ecb: Cipher;
  private readonly counter = Buffer.alloc(16);
  private stream = Buffer.alloc(0);

  constructor(key: Buffer) {
    this.ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  }

  transform(data: Buffer): Buffer {
    if (this.stream.length < data.length) {
      const blocks = Math.ceil((data.length - this.stream.length) / 16);
      const counters = Buffer.alloc(blocks * 16);
      for (let b = 0; b < blocks; b++) {
        for (let i = 0; i < 16; i++) if (++this.counter[i]! & 0xff) break;
        this.counter.copy(counters, b * 16);
      }
      this.stream = Buffer.concat([this.stream, this.ecb.update(counters)]);
    }
    const out = Buffer.allocUnsafe(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ this.stream[i]!;
    this.stream = this.stream.subarray(data.length);
    return out;
  }
}

/** Decrypts an entry's data chunk by chunk; `finish` checks the authentication code. */
export class WinZipAesDecipher {
  private readonly ctr: WinZipCtr;
  private readonly mac: Hmac;

  constructor(keys: WinZipAesKeys) {
    this.ctr = new WinZipCtr(keys.cipherKey);
    this.mac = createHmac('sha1', keys.authKey);
  }

  update(encrypted: Buffer): Buffer {
    this.mac.update(encrypted);
    return this.ctr.transform(encrypted);
  }

  /** True when the data is what was encrypted with this password (not damaged, not changed). */
  finish(authCode: Buffer): boolean {
    const expected = this.mac.digest().subarray(0, AUTH_CODE);
    return authCode.length === AUTH_CODE && timingSafeEqual(expected, authCode);
  }
}

export function verifierMatches(keys: WinZipAesKeys, stored: Buffer): boolean {
  return stored.length === 2 && timingSafeEqual(keys.verifier, stored);
}

/**
 * Upstream's encrypted container around a plain collection ZIP: an outer ZIP with `metadata.json`
 * (stored, only when given: X509/PGP) and `data.zip`, stored and encrypted (method 99 + the 0x9901
 * extra: AE-2, AES-256, real method 0, CRC 0 as AE-2 has it).
 */
export function passwordContainer(inner: Buffer, password: string, metadata?: Buffer): Buffer {
  const salt = randomBytes(16);
  const k = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 66, 'sha1');
  const encrypted = new WinZipCtr(k.subarray(0, 32)).transform(inner);
  const code = createHmac('sha1', k.subarray(32, 64)).update(encrypted).digest().subarray(0, AUTH_CODE);
  const aes = Buffer.alloc(11);
  aes.writeUInt16LE(WINZIP_AES_EXTRA, 0);
  aes.writeUInt16LE(7, 2);
  aes.writeUInt16LE(2, 4);
  aes.write('AE', 6, 'latin1');
  aes.writeUInt8(3, 8);
  aes.writeUInt16LE(0, 9);
  const entries = [
    ...(metadata
      ? [
          {
            name: 'metadata.json',
            flags: 0,
            method: 0,
            crc: crc32(metadata),
            data: metadata,
            size: metadata.length,
            extra: Buffer.alloc(0),
          },
        ]
      : []),
    {
      name: 'data.zip',
      flags: 1,
      method: 99,
      crc: 0,
      data: Buffer.concat([salt, k.subarray(64), encrypted, code]),
      size: inner.length,
      extra: aes,
    },
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const header = (central: boolean) => {
      const h = Buffer.alloc(central ? 46 : 30);
      const o = central ? 2 : 0; // the central record has "version made by" first
      h.writeUInt32LE(central ? 0x02014b50 : 0x04034b50, 0);
      if (central) h.writeUInt16LE(51, 4);
      h.writeUInt16LE(51, 4 + o);
      h.writeUInt16LE(e.flags, 6 + o);
      h.writeUInt16LE(e.method, 8 + o);
      h.writeUInt32LE(e.crc, 14 + o);
      h.writeUInt32LE(e.data.length, 18 + o);
      h.writeUInt32LE(e.size, 22 + o);
      h.writeUInt16LE(name.length, 26 + o);
      h.writeUInt16LE(e.extra.length, 28 + o);
      if (central) h.writeUInt32LE(offset, 42);
      return h;
    };
    const local = Buffer.concat([header(false), name, e.extra, e.data]);
    centrals.push(header(true), name, e.extra);
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, central, end]);
}
