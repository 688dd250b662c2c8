/**
 * NTLMv2 authentication (MS-NLMP) for WinRM over HTTPS, in plain TypeScript: NEGOTIATE, the server's
 * CHALLENGE, and AUTHENTICATE with the NTLMv2 response (HMAC-MD5 over the NT hash, MD4 of our own as
 * OpenSSL 3 has none). The AUTHENTICATE message carries the TLS channel binding (MsvAvChannelBindings,
 * RFC 5929 tls-server-end-point) for listeners with Extended Protection. Over HTTPS nothing is signed
 * or sealed (TLS protects the channel); over plain HTTP the AUTHENTICATE message also carries a random
 * session key, encrypted under the key exchange key, for the session security of ntlm-session.ts. No
 * MIC. NTLMv1 and LM are never sent. The password is only an input of the hash; nothing here logs.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { AppError } from '../../../../../shared/errors';
import { md4 } from './md4';
import { rc4 } from './rc4';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const FLAGS = {
  UNICODE: 0x00000001,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  NTLM: 0x00000200,
  ALWAYS_SIGN: 0x00008000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  N128: 0x20000000,
  KEY_EXCH: 0x40000000,
  N56: 0x80000000,
} as const;

const CLIENT_FLAGS =
  (FLAGS.UNICODE |
    FLAGS.REQUEST_TARGET |
    FLAGS.NTLM |
    FLAGS.ALWAYS_SIGN |
    FLAGS.EXTENDED_SESSIONSECURITY |
    FLAGS.TARGET_INFO |
    FLAGS.N128 |
    FLAGS.N56) >>>
  0;

/** What sealing over plain HTTP needs the server to grant (MS-NLMP 3.4 with a 128-bit exported key). */
export const SEALING_FLAGS =
  (FLAGS.SIGN | FLAGS.SEAL | FLAGS.KEY_EXCH | FLAGS.EXTENDED_SESSIONSECURITY | FLAGS.N128) >>> 0;

/** AV pair ids (MS-NLMP 2.2.2.1). */
export const AV = {
  EOL: 0,
  NB_COMPUTER: 1,
  NB_DOMAIN: 2,
  DNS_COMPUTER: 3,
  DNS_DOMAIN: 4,
  FLAGS: 6,
  TIMESTAMP: 7,
  TARGET_NAME: 9,
  CHANNEL_BINDINGS: 10,
} as const;

function bad(message: string): never {
  throw new AppError('WINRM_AUTH_FAILED', `The host's NTLM message is not valid: ${message}.`);
}

const utf16 = (s: string) => Buffer.from(s, 'utf16le');

/** NTOWFv2 (MS-NLMP 3.3.2): HMAC-MD5 keyed with MD4(UTF-16LE(password)) over UPPER(user) + domain. */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return createHmac('md5', md4(utf16(password)))
    .update(utf16(user.toUpperCase() + domain))
    .digest();
}

export interface AvPair {
  id: number;
  value: Buffer;
}

export function parseAvPairs(buf: Buffer): AvPair[] {
  const out: AvPair[] = [];
  let i = 0;
  for (;;) {
    if (i + 4 > buf.length) bad('target info ends without MsvAvEOL');
    const id = buf.readUInt16LE(i);
    const len = buf.readUInt16LE(i + 2);
    if (id === AV.EOL) return out;
    if (i + 4 + len > buf.length) bad('an AV pair runs past the target info');
    out.push({ id, value: buf.subarray(i + 4, i + 4 + len) });
    i += 4 + len;
  }
}

export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of [...pairs.filter((x) => x.id !== AV.EOL), { id: AV.EOL, value: Buffer.alloc(0) }]) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(p.id, 0);
    head.writeUInt16LE(p.value.length, 2);
    parts.push(head, p.value);
  }
  return Buffer.concat(parts);
}

/**
 * MsvAvChannelBindings: MD5 of gss_channel_bindings_struct with empty addresses and application data
 * "tls-server-end-point:" + the hash of the server certificate (RFC 5929: SHA-256 for certificates
 * signed with SHA-256, MD5 or SHA-1; SHA-384/512 when the certificate's signature uses them).
 */
export function channelBindingHash(
  certDer: Buffer,
  certHash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): Buffer {
  const app = Buffer.concat([
    Buffer.from('tls-server-end-point:', 'latin1'),
    createHash(certHash).update(certDer).digest(),
  ]);
  const struct = Buffer.alloc(20);
  struct.writeUInt32LE(app.length, 16);
  return createHash('md5')
    .update(Buffer.concat([struct, app]))
    .digest();
}

/** The NEGOTIATE message (type 1): flags only, no domain or workstation; `seal` asks for sealing. */
export function negotiateMessage(o: { seal?: boolean } = {}): Buffer {
  const m = Buffer.alloc(32);
  SIGNATURE.copy(m, 0);
  m.writeUInt32LE(1, 8);
  m.writeUInt32LE((CLIENT_FLAGS | (o.seal ? SEALING_FLAGS : 0)) >>> 0, 12);
  return m;
}

function field(buf: Buffer, at: number): Buffer {
  const len = buf.readUInt16LE(at);
  const off = buf.readUInt32LE(at + 4);
  if (off + len > buf.length) bad('a field points past the message');
  return buf.subarray(off, off + len);
}

export interface Challenge {
  flags: number;
  serverChallenge: Buffer;
  targetName: string;
  targetInfo: AvPair[];
}

export function parseChallenge(buf: Buffer): Challenge {
  if (buf.length < 48 || !buf.subarray(0, 8).equals(SIGNATURE) || buf.readUInt32LE(8) !== 2)
    bad('it is not a CHALLENGE message');
  const flags = buf.readUInt32LE(20);
  const targetInfo = flags & FLAGS.TARGET_INFO ? parseAvPairs(field(buf, 40)) : [];
  if (!targetInfo.length) bad('it has no target info (an NTLMv1-only server is refused)');
  return {
    flags,
    serverChallenge: Buffer.from(buf.subarray(24, 32)),
    targetName: field(buf, 12).toString(flags & FLAGS.UNICODE ? 'utf16le' : 'latin1'),
    targetInfo,
  };
}

/** Windows FILETIME (100 ns since 1601) of `ms` since the Unix epoch, little-endian. */
export function fileTime(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(Math.round(ms)) + 11644473600000n) * 10000n);
  return b;
}

export interface Credentials {
  user: string;
  /** NetBIOS or DNS domain; '' for a local account (the host's name is then taken from the challenge). */
  domain: string;
  password: string;
}

/** The NTLMv2 response blob ("temp") and NTProofStr for a challenge. */
export function ntlmv2Response(
  key: Buffer,
  serverChallenge: Buffer,
  clientChallenge: Buffer,
  timestamp: Buffer,
  targetInfo: Buffer,
): { ntProof: Buffer; response: Buffer } {
  const temp = Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    timestamp,
    clientChallenge,
    Buffer.alloc(4),
    targetInfo,
    Buffer.alloc(4),
  ]);
  const ntProof = createHmac('md5', key)
    .update(Buffer.concat([serverChallenge, temp]))
    .digest();
  return { ntProof, response: Buffer.concat([ntProof, temp]) };
}

export interface AuthenticateOptions {
  /**
   * The random exported session key for sealing (plain HTTP): sent encrypted under the key exchange
   * key, with SIGN, SEAL and KEY_EXCH, which the challenge must have granted.
   */
  exportedSessionKey?: Buffer;
  /** DER of the server's TLS certificate: its channel binding goes into the response. */
  serverCertificate?: Buffer;
  /** SPN of the target, e.g. HTTP/host (MsvAvTargetName). */
  spn?: string;
  workstation?: string;
  /** Tests: fixed client challenge and time. */
  clientChallenge?: Buffer;
  now?: number;
}

/** The AUTHENTICATE message (type 3) answering `challenge`. */
export function authenticateMessage(
  challenge: Challenge,
  creds: Credentials,
  o: AuthenticateOptions = {},
): Buffer {
  const serverTime = challenge.targetInfo.find((p) => p.id === AV.TIMESTAMP)?.value;
  const timestamp = serverTime ? Buffer.from(serverTime) : fileTime(o.now ?? Date.now());
  const pairs: AvPair[] = challenge.targetInfo.filter(
    (p) => p.id !== AV.CHANNEL_BINDINGS && p.id !== AV.TARGET_NAME,
  );
  if (o.serverCertificate)
    pairs.push({ id: AV.CHANNEL_BINDINGS, value: channelBindingHash(o.serverCertificate) });
  if (o.spn) pairs.push({ id: AV.TARGET_NAME, value: utf16(o.spn) });
  const clientChallenge = o.clientChallenge ?? randomBytes(8);
  const responseKey = ntowfv2(creds.password, creds.user, creds.domain);
  const { response, ntProof } = ntlmv2Response(
    responseKey,
    challenge.serverChallenge,
    clientChallenge,
    timestamp,
    encodeAvPairs(pairs),
  );
  // With a server timestamp the LM response must be zeros (MS-NLMP 3.1.5.1.2).
  const lm = serverTime
    ? Buffer.alloc(24)
    : Buffer.concat([
        createHmac('md5', ntowfv2(creds.password, creds.user, creds.domain))
          .update(Buffer.concat([challenge.serverChallenge, clientChallenge]))
          .digest(),
        clientChallenge,
      ]);
  let flags = ((challenge.flags & CLIENT_FLAGS) | FLAGS.UNICODE | FLAGS.NTLM) >>> 0;
  let encryptedSessionKey: Buffer = Buffer.alloc(0);
  if (o.exportedSessionKey) {
    if ((challenge.flags & SEALING_FLAGS) >>> 0 !== SEALING_FLAGS)
      throw new AppError(
        'WINRM_AUTH_FAILED',
        'The host does not offer NTLM sealing (128-bit, with key exchange), which WinRM over plain HTTP needs. Use the HTTPS listener.',
      );
    flags = (flags | SEALING_FLAGS) >>> 0;
    // NTLMv2: the key exchange key is the session base key (MS-NLMP 3.3.2, 3.4.5.1).
    encryptedSessionKey = rc4(sessionBaseKey(responseKey, ntProof), o.exportedSessionKey);
  }
  const payload = [
    lm,
    response,
    utf16(creds.domain),
    utf16(creds.user),
    utf16(o.workstation ?? ''),
    encryptedSessionKey,
  ];
  const header = Buffer.alloc(64);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let off = header.length;
  payload.forEach((p, i) => {
    const at = 12 + i * 8;
    header.writeUInt16LE(p.length, at);
    header.writeUInt16LE(p.length, at + 2);
    header.writeUInt32LE(off, at + 4);
    off += p.length;
  });
  header.writeUInt32LE(flags, 60);
  return Buffer.concat([header, ...payload]);
}

/** NTLMv2's SessionBaseKey (MS-NLMP 3.3.2): HMAC-MD5 keyed with NTOWFv2 over the NTProofStr. */
export function sessionBaseKey(responseKeyNt: Buffer, ntProof: Buffer): Buffer {
  return createHmac('md5', responseKeyNt).update(ntProof).digest();
}

export interface Authenticate {
  flags: number;
  user: string;
  domain: string;
  workstation: string;
  lmResponse: Buffer;
  ntResponse: Buffer;
  /** EncryptedRandomSessionKey (empty without KEY_EXCH). */
  encryptedSessionKey: Buffer;
}

/** Reads an AUTHENTICATE message (the WinRM test endpoint checks clients with it). */
export function parseAuthenticate(buf: Buffer): Authenticate {
  if (buf.length < 64 || !buf.subarray(0, 8).equals(SIGNATURE) || buf.readUInt32LE(8) !== 3)
    bad('it is not an AUTHENTICATE message');
  const flags = buf.readUInt32LE(60);
  const text = (b: Buffer) => b.toString(flags & FLAGS.UNICODE ? 'utf16le' : 'latin1');
  return {
    flags,
    lmResponse: Buffer.from(field(buf, 12)),
    ntResponse: Buffer.from(field(buf, 20)),
    domain: text(field(buf, 28)),
    user: text(field(buf, 36)),
    workstation: text(field(buf, 44)),
    encryptedSessionKey: Buffer.from(field(buf, 52)),
  };
}

/**
 * The CHALLENGE message a server sends (the WinRM test endpoint's). Like Windows it grants signing,
 * sealing and key exchange when the client's NEGOTIATE (`requested` flags) asked for them.
 */
export function challengeMessage(
  serverChallenge: Buffer,
  targetName: string,
  targetInfo: AvPair[],
  requested = 0,
): Buffer {
  const name = utf16(targetName);
  const info = encodeAvPairs(targetInfo);
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(name.length, 12);
  header.writeUInt16LE(name.length, 14);
  header.writeUInt32LE(56, 16);
  header.writeUInt32LE(
    (CLIENT_FLAGS | FLAGS.TARGET_INFO | FLAGS.VERSION | (requested & SEALING_FLAGS)) >>> 0,
    20,
  );
  serverChallenge.copy(header, 24);
  header.writeUInt16LE(info.length, 40);
  header.writeUInt16LE(info.length, 42);
  header.writeUInt32LE(56 + name.length, 44);
  // Version 10.0 build 17763, NTLM revision 15 (what a Windows Server 2019 sends).
  Buffer.from([10, 0, 0x63, 0x45, 0, 0, 0, 15]).copy(header, 48);
  return Buffer.concat([header, name, info]);
}
