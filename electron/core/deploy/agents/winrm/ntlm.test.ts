/**
 * MD4 and NTLMv2 against the published test vectors: RFC 1320 appendix A.5 and MS-NLMP 4.2.4
 * (User / Domain / Password, server challenge 0123456789abcdef, client challenge aa…, time 0).
 */
import { describe, expect, it } from 'vitest';
import { md4 } from './md4';
import {
  AV,
  authenticateMessage,
  challengeMessage,
  encodeAvPairs,
  negotiateMessage,
  ntlmv2Response,
  ntowfv2,
  parseAuthenticate,
  parseChallenge,
} from './ntlm';

const hex = (b: Buffer) => b.toString('hex');

describe('md4 (RFC 1320 A.5)', () => {
  it.each([
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    [
      '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
      'e33b4ddc9c38f2199c3e7b164fcc0536',
    ],
  ])('md4(%j)', (input, digest) => {
    expect(hex(md4(Buffer.from(input, 'latin1')))).toBe(digest);
  });
});

describe('NTLMv2 (MS-NLMP 4.2.4)', () => {
  const serverChallenge = Buffer.from('0123456789abcdef', 'hex');
  const clientChallenge = Buffer.alloc(8, 0xaa);
  const info = encodeAvPairs([
    { id: AV.NB_DOMAIN, value: Buffer.from('Domain', 'utf16le') },
    { id: AV.NB_COMPUTER, value: Buffer.from('Server', 'utf16le') },
  ]);

  it('NTOWFv2', () => {
    expect(hex(ntowfv2('Password', 'User', 'Domain'))).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
  });

  it('NTProofStr of the NTLMv2 response', () => {
    const { ntProof } = ntlmv2Response(
      ntowfv2('Password', 'User', 'Domain'),
      serverChallenge,
      clientChallenge,
      Buffer.alloc(8),
      info,
    );
    expect(hex(ntProof)).toBe('68cd0ab851e51c96aabc927bebef6a1c');
  });

  it('AUTHENTICATE answers a CHALLENGE: user, domain, the server time, channel binding and SPN', () => {
    expect(negotiateMessage().subarray(0, 12).toString('latin1')).toBe('NTLMSSP\0\x01\0\0\0');
    const time = Buffer.from('0090d336b734c301', 'hex');
    const ch = parseChallenge(
      challengeMessage(serverChallenge, 'Domain', [
        { id: AV.NB_DOMAIN, value: Buffer.from('Domain', 'utf16le') },
        { id: AV.TIMESTAMP, value: time },
      ]),
    );
    expect(ch.targetName).toBe('Domain');
    const msg = authenticateMessage(
      ch,
      { user: 'User', domain: 'Domain', password: 'Password' },
      { serverCertificate: Buffer.from('cert'), spn: 'HTTP/host', clientChallenge },
    );
    const a = parseAuthenticate(msg);
    expect(a).toMatchObject({ user: 'User', domain: 'Domain', workstation: '' });
    expect(a.lmResponse).toEqual(Buffer.alloc(24));
    // temp: version, reserved, the server's time, our challenge, then the AV pairs
    expect(hex(a.ntResponse.subarray(16, 24))).toBe('0101000000000000');
    expect(a.ntResponse.subarray(24, 32)).toEqual(time);
    expect(a.ntResponse.subarray(32, 40)).toEqual(clientChallenge);
    const text = a.ntResponse.toString('latin1');
    expect(text).toContain(Buffer.from('HTTP/host', 'utf16le').toString('latin1'));
  });

  it('refuses a server without target info (NTLMv1 only)', () => {
    const m = challengeMessage(serverChallenge, 'X', []);
    m.writeUInt32LE((m.readUInt32LE(20) & ~0x00800000) >>> 0, 20);
    expect(() => parseChallenge(m)).toThrow(/no target info/);
  });
});
