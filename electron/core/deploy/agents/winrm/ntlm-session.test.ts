/**
 * RC4, NTLM session security and WinRM's sealed HTTP bodies. RC4 against the RFC 6229 keystream and
 * the classic ARCFOUR vectors; sealing against MS-NLMP 4.2.4 (NTLMv2: User / Domain / Password,
 * server challenge 0123456789abcdef, client challenge aa…, random session key 55…, "Plaintext" in
 * UTF-16LE with sequence number 0).
 */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appErrorOf } from '../../../../../test/app-error-of';
import { decryptBody, encryptBody } from './http-encryption';
import {
  AV,
  authenticateMessage,
  challengeMessage,
  encodeAvPairs,
  FLAGS,
  negotiateMessage,
  ntlmv2Response,
  ntowfv2,
  parseAuthenticate,
  parseChallenge,
  SEALING_FLAGS,
  sessionBaseKey,
} from './ntlm';
import { NtlmSession, sessionKeys } from './ntlm-session';
import { Rc4, rc4 } from './rc4';

const hex = (b: Buffer) => b.toString('hex');
const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('rc4', () => {
  it('is not in this OpenSSL (why ours exists)', () => {
    expect(() => createCipheriv('rc4', Buffer.alloc(16), null)).toThrow();
  });

  it.each([
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ])('ARCFOUR(%j, %j)', (key, text, out) => {
    expect(hex(rc4(Buffer.from(key), Buffer.from(text)))).toBe(out);
  });

  it('RFC 6229 keystream, key 0102030405: offsets 0 and 16, across update calls', () => {
    const r = new Rc4(h('0102030405'));
    expect(hex(r.update(Buffer.alloc(7)))).toBe('b2396305f03dc0');
    expect(hex(r.update(Buffer.alloc(9)))).toBe('27ccc3524a0a1118a8');
    expect(hex(r.update(Buffer.alloc(16)))).toBe('6982944f18fc82d589c403a47a0d0919');
  });
});

describe('NTLMv2 session security (MS-NLMP 4.2.4)', () => {
  const serverChallenge = h('0123456789abcdef');
  const clientChallenge = Buffer.alloc(8, 0xaa);
  const randomSessionKey = Buffer.alloc(16, 0x55);
  const responseKey = ntowfv2('Password', 'User', 'Domain');
  const { ntProof } = ntlmv2Response(
    responseKey,
    serverChallenge,
    clientChallenge,
    Buffer.alloc(8),
    encodeAvPairs([
      { id: AV.NB_DOMAIN, value: Buffer.from('Domain', 'utf16le') },
      { id: AV.NB_COMPUTER, value: Buffer.from('Server', 'utf16le') },
    ]),
  );

  it('session base key (4.2.4.1.3) and the encrypted random session key (4.2.4.2.3)', () => {
    const base = sessionBaseKey(responseKey, ntProof);
    expect(hex(base)).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
    expect(hex(rc4(base, randomSessionKey))).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
  });

  it('client-to-server sealing and signing keys (4.2.4.4)', () => {
    const k = sessionKeys(randomSessionKey);
    expect(hex(k.clientSealing)).toBe('59f600973cc4960a25480a7c196e4c58');
    expect(hex(k.clientSigning)).toBe('4788dc861b4782f35d43fd98fe1a2d39');
  });

  it('SEAL of "Plaintext": the sealed data and the signature (4.2.4.4)', () => {
    const { sealed, signature } = new NtlmSession(randomSessionKey, 'client').seal(
      Buffer.from('Plaintext', 'utf16le'),
    );
    expect(hex(sealed)).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(hex(signature)).toBe('010000007fb38ec5c55d497600000000');
  });

  it('the server unseals the vector; each direction keeps its own stream and sequence', () => {
    const key = Buffer.alloc(16, 0x55);
    const client = new NtlmSession(key, 'client');
    const server = new NtlmSession(key, 'server');
    expect(
      server.unseal(h('54e50165bf1936dc996020c1811b0f06fb5f'), h('010000007fb38ec5c55d497600000000')),
    ).toEqual(Buffer.from('Plaintext', 'utf16le'));
    client.seal(Buffer.from('Plaintext', 'utf16le'));
    for (let i = 1; i <= 3; i++) {
      const m = client.seal(Buffer.from(`request ${i}`));
      expect(m.signature.readUInt32LE(12)).toBe(i);
      expect(server.unseal(m.sealed, m.signature).toString()).toBe(`request ${i}`);
      const a = server.seal(Buffer.from(`answer ${i}`));
      expect(a.signature.readUInt32LE(12)).toBe(i - 1);
      expect(client.unseal(a.sealed, a.signature).toString()).toBe(`answer ${i}`);
    }
  });

  it.each([
    ['a flipped bit in the sealed data', (m: { sealed: Buffer; signature: Buffer }) => (m.sealed[3]! ^= 1)],
    ['a flipped bit in the checksum', (m: { sealed: Buffer; signature: Buffer }) => (m.signature[6]! ^= 1)],
    [
      'another sequence number',
      (m: { sealed: Buffer; signature: Buffer }) => m.signature.writeUInt32LE(7, 12),
    ],
  ])('refuses %s', async (_, tamper) => {
    const key = Buffer.alloc(16, 0x11);
    const m = new NtlmSession(key, 'client').seal(Buffer.from('<s:Envelope/>'));
    tamper(m);
    const e = await appErrorOf(
      Promise.resolve().then(() => new NtlmSession(key, 'server').unseal(m.sealed, m.signature)),
    );
    expect(e.code).toBe('WINRM_SEAL_INVALID');
  });

  it('refuses a replayed message', async () => {
    const key = Buffer.alloc(16, 0x22);
    const client = new NtlmSession(key, 'client');
    const server = new NtlmSession(key, 'server');
    const m = client.seal(Buffer.from('once'));
    server.unseal(Buffer.from(m.sealed), Buffer.from(m.signature));
    const e = await appErrorOf(Promise.resolve().then(() => server.unseal(m.sealed, m.signature)));
    expect(e.code).toBe('WINRM_SEAL_INVALID');
  });

  it('AUTHENTICATE with a key exchange: the server recovers the exported session key', () => {
    const negotiate = negotiateMessage({ seal: true });
    const requested = negotiate.readUInt32LE(12);
    expect(requested & SEALING_FLAGS).toBe(SEALING_FLAGS);
    const challenge = parseChallenge(
      challengeMessage(
        serverChallenge,
        'Server',
        [{ id: AV.NB_COMPUTER, value: Buffer.from('Server', 'utf16le') }],
        requested,
      ),
    );
    const exported = Buffer.alloc(16, 0x55);
    const a = parseAuthenticate(
      authenticateMessage(
        challenge,
        { user: 'User', domain: 'Domain', password: 'Password' },
        { exportedSessionKey: exported, clientChallenge },
      ),
    );
    expect(a.flags & SEALING_FLAGS).toBe(SEALING_FLAGS);
    const base = sessionBaseKey(responseKey, a.ntResponse.subarray(0, 16));
    expect(rc4(base, a.encryptedSessionKey)).toEqual(exported);
  });

  it('refuses to seal when the host did not grant sealing', () => {
    const challenge = parseChallenge(
      challengeMessage(serverChallenge, 'Server', [
        { id: AV.NB_COMPUTER, value: Buffer.from('Server', 'utf16le') },
      ]),
    );
    expect(challenge.flags & FLAGS.SEAL).toBe(0);
    expect(() =>
      authenticateMessage(
        challenge,
        { user: 'u', domain: '', password: 'p' },
        { exportedSessionKey: Buffer.alloc(16) },
      ),
    ).toThrow(/does not offer NTLM sealing/);
  });
});

describe('WinRM sealed HTTP bodies (MS-WSMV 2.2.9.1.1)', () => {
  const key = Buffer.alloc(16, 0x33);
  const envelope = Buffer.from(
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">é</s:Envelope>',
  );

  it('frames the envelope as Windows does and reads it back', () => {
    const body = encryptBody(new NtlmSession(key, 'client'), envelope);
    const text = body.toString('latin1');
    expect(
      text.startsWith(
        `--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=${envelope.length}\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x10\0\0\0\x01\0\0\0`,
      ),
    ).toBe(true);
    expect(text.endsWith('--Encrypted Boundary--\r\n')).toBe(true);
    expect(body.length).toBe(text.indexOf('\x10\0\0\0') + 4 + 16 + envelope.length + 24);
    expect(body.includes(envelope)).toBe(false);
    expect(decryptBody(new NtlmSession(key, 'server'), body)).toEqual(envelope);
  });

  it('refuses a body whose declared length is changed or whose data is tampered', async () => {
    const body = encryptBody(new NtlmSession(key, 'client'), envelope);
    const shorter = Buffer.from(
      body.toString('latin1').replace(`Length=${envelope.length}`, `Length=${envelope.length - 1}`),
      'latin1',
    );
    expect(
      (await appErrorOf(Promise.resolve().then(() => decryptBody(new NtlmSession(key, 'server'), shorter))))
        .code,
    ).toBe('WINRM_SEAL_INVALID');
    const flipped = Buffer.from(body);
    flipped[flipped.length - 30]! ^= 0x40;
    const e = await appErrorOf(
      Promise.resolve().then(() => decryptBody(new NtlmSession(key, 'server'), flipped)),
    );
    expect(e.message).toMatch(/failed its NTLM signature check/);
  });
});
