/**
 * WinZip AES as Velociraptor's collector writes it: the key stream checked block by block against
 * AES-ECB of WinZip's little-endian counter (the carry into the second byte included), and the layout
 * of the container the simulator's collector writes (opened in collection-decrypt.test.ts, and by the
 * real 0.77.2 server: docs/real-server-conformance.md).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildZip, readZipEntries } from './zip';
import { passwordContainer, WinZipCtr, winZipAesField } from './winzip-aes';

describe('WinZipCtr', () => {
  it('counts little-endian from 1, so block 256 carries into the second byte', () => {
    const key = randomBytes(32);
    const blocks = 300;
    const stream = new WinZipCtr(key).transform(Buffer.alloc(blocks * 16));
    const ecb = (n: number) => {
      const counter = Buffer.alloc(16);
      counter.writeUInt32LE(n, 0);
      return createCipheriv('aes-256-ecb', key, null).setAutoPadding(false).update(counter);
    };
    for (const n of [1, 2, 255, 256, 257, 300]) expect(stream.subarray((n - 1) * 16, n * 16)).toEqual(ecb(n));
  });

  it('gives the same stream however the data is cut', () => {
    const key = randomBytes(32);
    const data = randomBytes(1000);
    const whole = new WinZipCtr(key).transform(data);
    const ctr = new WinZipCtr(key);
    const parts = Buffer.concat([
      ctr.transform(data.subarray(0, 7)),
      ctr.transform(data.subarray(7, 500)),
      ctr.transform(data.subarray(500)),
    ]);
    expect(parts).toEqual(whole);
  });
});

describe('passwordContainer', () => {
  it('writes one stored data.zip with the AE-2 AES-256 field', () => {
    const inner = buildZip([{ name: 'collection_context.json', data: Buffer.from('{"session_id":"F.1"}') }]);
    const outer = passwordContainer(inner, 'pässword');
    const raw = readZipEntries(outer).get('data.zip');
    // salt 16 + verifier 2 + the data + authentication code 10 (stored: no compression).
    expect(raw?.length).toBe(inner.length + 16 + 2 + 10);
    const extraAt = outer.indexOf(Buffer.from([0x01, 0x99]));
    expect(winZipAesField(outer.subarray(extraAt, extraAt + 11))).toEqual({
      vendorVersion: 2,
      keyBytes: 32,
      method: 0,
    });
    expect(outer.readUInt16LE(6)).toBe(1); // the encrypted flag
    expect(outer.readUInt16LE(8)).toBe(99); // method: AES
  });
});
