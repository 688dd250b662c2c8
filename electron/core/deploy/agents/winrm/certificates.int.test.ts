/**
 * Pin on first use of WinRM listener certificates, against the local HTTPS WS-Management test
 * listener (testing/winrm-fake.ts, checked against pywinrm in winrm.int.test.ts): the scan shows what
 * a host presents (SHA-256, subject, issuer, validity) and whether it is new, pinned or changed, or
 * chains to a CA given; trusting pins only the certificate the responder saw and never a changed one;
 * the client with the pin logs in, and one whose listener's certificate was replaced sends nothing.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appErrorOf } from '../../../../../test/app-error-of';
import { createCertificateAuthority } from '../../../pki/certificates';
import { startWinRmFake, type WinRmFake } from '../testing/winrm-fake';
import { WinRmCertStore } from './cert-store';
import { scanCertificate, scanCertificates, trustCertificates } from './certificates';
import { WinRmClient } from './client';

const ACCOUNT = { user: 'Administrator', password: 'Pa55-w0rd!', domain: 'CORP' };
const listener = (port?: number) =>
  startWinRmFake({
    accounts: [ACCOUNT],
    requireChannelBinding: true,
    onCommand: () => ({ stdout: 'ok\r\n', exitCode: 0 }),
    ...(port ? { port } : {}),
  });

let dir: string;
let store: WinRmCertStore;
let fake: WinRmFake;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-winrm-pin-'));
  store = new WinRmCertStore(join(dir, 'winrm', 'known_certificates'));
  fake = await listener();
});

afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const hop = () => ({ host: '127.0.0.1', port: fake.port });
const client = (pin: string) =>
  new WinRmClient({
    ...hop(),
    auth: 'ntlm',
    user: ACCOUNT.user,
    domain: ACCOUNT.domain,
    password: ACCOUNT.password,
    certificate: { kind: 'pinned', sha256: pin },
    timeoutMs: 10_000,
  });

describe('WinRM certificates: scan, trust, pin', () => {
  it('an unknown listener is new, shown with its fingerprint, subject, issuer and validity', async () => {
    const scan = await scanCertificate(store, hop());
    const cert = new X509Certificate(fake.certificateDer);
    expect(scan).toMatchObject({
      ...hop(),
      status: 'new',
      fingerprint: fake.fingerprint256,
      subject: 'CN=localhost, O=Velociraptor',
      issuer: expect.stringContaining('O=Megaraptor test WinRM CA') as string,
      validFrom: new Date(cert.validFrom).toISOString(),
      validTo: new Date(cert.validTo).toISOString(),
    });
    expect(await store.pinned('127.0.0.1', fake.port)).toBeUndefined();
  });

  it('against the CA given: valid for the address it was issued for, invalid for another CA', async () => {
    expect(await scanCertificate(store, hop(), { caPem: fake.caPem })).toMatchObject({ status: 'ca-valid' });
    const other = await createCertificateAuthority({ organization: 'Someone else' });
    const bad = await scanCertificate(store, hop(), { caPem: other.certificatePem });
    expect(bad).toMatchObject({ status: 'ca-invalid', fingerprint: fake.fingerprint256 });
    expect(bad.message).toMatch(/Not issued by the CA given/);
  });

  it('trusting a fingerprint the host does not present pins nothing', async () => {
    const wrong = 'AB:'.repeat(31) + 'AB';
    const r = await trustCertificates(store, [{ ...hop(), fingerprint: wrong }]);
    expect(r.trusted).toBe(0);
    expect(r.refused[0]!.status).toBe('changed');
    expect(r.refused[0]!.message).toContain(fake.fingerprint256);
    expect(r.refused[0]!.message).toContain(wrong);
    expect(await store.pinned('127.0.0.1', fake.port)).toBeUndefined();
  });

  it('trusting the fingerprint seen pins it (hashed in the file); the pinned client logs in', async () => {
    const r = await trustCertificates(store, [{ ...hop(), fingerprint: `SHA256:${fake.fingerprint256}` }]);
    expect(r).toEqual({ trusted: 1, refused: [] });
    expect(await store.pinned('127.0.0.1', fake.port)).toBe(fake.fingerprint256);
    expect(await readFile(store.file, 'utf8')).not.toContain('127.0.0.1');
    const [scan] = await scanCertificates(store, [hop()]);
    expect(scan).toMatchObject({ status: 'known', fingerprint: fake.fingerprint256 });
    const c = client((await store.pinned('127.0.0.1', fake.port))!);
    try {
      expect((await c.run('whoami')).stdout).toBe('ok\r\n');
    } finally {
      c.close();
    }
    expect(fake.auths.at(-1)).toMatchObject({ ok: true, channelBinding: 'match' });
  });

  it('a replaced certificate on the same port is changed (both shown), never pinned, and gets nothing', async () => {
    const pinned = fake.fingerprint256;
    const port = fake.port;
    await fake.close();
    fake = await listener(port);
    expect(fake.fingerprint256).not.toBe(pinned);
    const scan = await scanCertificate(store, hop());
    expect(scan).toMatchObject({ status: 'changed', fingerprint: fake.fingerprint256, pinned });
    expect(scan.message).toContain(fake.fingerprint256);
    expect(scan.message).toContain(pinned);
    const r = await trustCertificates(store, [{ ...hop(), fingerprint: fake.fingerprint256 }]);
    expect(r.trusted).toBe(0);
    expect(r.refused[0]).toMatchObject({ status: 'changed', pinned });
    expect(await store.pinned('127.0.0.1', port)).toBe(pinned);
    const c = client(pinned);
    try {
      const e = await appErrorOf(c.run('whoami'), 'with the old pin');
      expect(e.code).toBe('WINRM_CERT_UNTRUSTED');
      expect(e.message).toContain(fake.fingerprint256);
      expect(e.message).toContain(pinned);
    } finally {
      c.close();
    }
    expect(fake.auths).toHaveLength(0);
    expect(fake.actions).toHaveLength(0);
  });

  it('an unreachable listener is reported as such, and nothing is pinned for it', async () => {
    const [scan] = await scanCertificates(store, [{ host: '127.0.0.1', port: 1 }], { timeoutMs: 3000 });
    expect(scan).toMatchObject({ status: 'unreachable' });
    expect(
      (await trustCertificates(store, [{ host: '127.0.0.1', port: 1, fingerprint: fake.fingerprint256 }]))
        .trusted,
    ).toBe(0);
    expect(await store.pinned('127.0.0.1', 1)).toBeUndefined();
  });
});
