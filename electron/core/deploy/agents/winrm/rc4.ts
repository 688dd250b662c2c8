/**
 * RC4 (ARCFOUR), only for NTLM session security (MS-NLMP 3.4: sealing and the key exchange): OpenSSL 3
 * here has no RC4 (legacy provider not loaded), so `createCipheriv('rc4')` fails. NTLM keeps one RC4
 * stream per direction for the whole connection, so a handle keeps its state across `update` calls.
 * Never use it for anything else.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError('RC4 keys are 1 to 256 bytes');
    for (let n = 0; n < 256; n++) this.s[n] = n;
    for (let n = 0, j = 0; n < 256; n++) {
      j = (j + this.s[n]! + key[n % key.length]!) & 0xff;
      [this.s[n], this.s[j]] = [this.s[j]!, this.s[n]!];
    }
  }

  /** Encrypts or decrypts (the same operation) the next bytes of the stream. */
  update(data: Uint8Array): Buffer {
    const out = Buffer.alloc(data.length);
    const s = this.s;
    let { i, j } = this;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
      out[n] = data[n]! ^ s[(s[i]! + t) & 0xff]!;
    }
    this.i = i;
    this.j = j;
    return out;
  }
}

/** RC4K (MS-NLMP 6): one message under a fresh key, as the key exchange uses it. */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).update(data);
}
