import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../credentials/memory-store';
import { issueApiClientCertificate, issueGatewayCertificate, renewCertificate } from '../certificates';
import { writeServerConfig } from '../config-files';
import { testChain } from '../testing/fixtures';
import { RotationService } from './rotation-service';

type Cfg = {
  Frontend: { certificate: string; private_key: string };
  GUI: { gw_certificate: string; gw_private_key: string };
};

const DAY = 86_400_000;
const spki = (pem: string) =>
  new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');

let dir: string;
let secrets: MemorySecretStore;
let service: RotationService;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-renewal-'));
  secrets = new MemorySecretStore();
  service = new RotationService({ journalPath: join(dir, 'rotations.jsonl'), secrets });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renewal keeps the key', () => {
  it('reissues a leaf with the same key, names and issuer and the new validity', async () => {
    const { ca, frontend } = await testChain(2048);
    const notBefore = new Date('2031-02-03T04:05:06Z');
    const renewed = await renewCertificate(ca, frontend, { validityDays: 30, notBefore });
    const before = new X509Certificate(frontend.certificatePem);
    const after = new X509Certificate(renewed.certificatePem);
    expect(renewed.privateKeyPem).toBe(frontend.privateKeyPem);
    expect(spki(renewed.certificatePem)).toBe(spki(frontend.certificatePem));
    expect(after.subject).toBe(before.subject);
    expect(after.subjectAltName).toBe(before.subjectAltName);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    expect(after.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(new Date(after.validFrom).getTime()).toBe(notBefore.getTime());
    expect(new Date(after.validTo).getTime()).toBe(notBefore.getTime() + 30 * DAY);
    expect(after.checkPrivateKey(createPrivateKey(frontend.privateKeyPem))).toBe(true);
  });

  it('keeps P-256 keys too, and refuses a key that is not the certificate’s', async () => {
    const { ca, frontend } = await testChain(2048);
    const ec = await issueGatewayCertificate(ca, { algorithm: { kind: 'ecdsa-p256' } });
    const renewed = await renewCertificate(ca, ec, { validityDays: 10 });
    expect(spki(renewed.certificatePem)).toBe(spki(ec.certificatePem));
    await expect(
      renewCertificate(
        ca,
        { certificatePem: ec.certificatePem, privateKeyPem: frontend.privateKeyPem },
        {
          validityDays: 10,
        },
      ),
    ).rejects.toMatchObject({ code: 'CERT_KEY_MISMATCH' });
  });

  it('renews Frontend and gateway in a server config, journaled, reversible until confirmed', async () => {
    const { ca, frontend, gateway } = await testChain(2048);
    const config = writeServerConfig({
      caCertificatePem: ca.certificatePem,
      frontend,
      gateway,
      frontendHostname: 'vr.test',
      placement: 'host',
      datastoreDir: '/d',
    }).config;
    const front = await service.renewFrontend(config, ca, { validityDays: 400 });
    const both = await service.renewGui(front.config, ca, { validityDays: 400 });
    const after = both.config as unknown as Cfg;
    const before = config as unknown as Cfg;
    expect(after.Frontend.private_key).toBe(before.Frontend.private_key);
    expect(after.GUI.gw_private_key).toBe(before.GUI.gw_private_key);
    expect(after.Frontend.certificate).not.toBe(before.Frontend.certificate);
    expect(spki(after.Frontend.certificate)).toBe(spki(before.Frontend.certificate));
    const validTo = new Date(new X509Certificate(after.GUI.gw_certificate).validTo).getTime();
    expect(Math.abs(validTo - (Date.now() + 400 * DAY))).toBeLessThan(10 * 60_000);
    const history = await service.history();
    expect(history.map((h) => [h.kind, h.state, h.details.renewal])).toEqual([
      ['frontend', 'applied', true],
      ['gui', 'applied', true],
    ]);
    const { config: back } = await service.rollback(both.rotationId, { config: both.config });
    expect((back as unknown as Cfg).GUI).toEqual(before.GUI);
    await service.confirm(front.rotationId);
    expect([...secrets.data.keys()]).toEqual([]);
  });

  it('renews the app’s API identity under the same name without an administrator', async () => {
    const { ca } = await testChain(2048);
    const identity = await issueApiClientCertificate(ca, 'megaraptor-app', { validityDays: 7 });
    const r = await service.renewApiClient(identity, ca, { validityDays: 90 });
    expect(r.identity.privateKeyPem).toBe(identity.privateKeyPem);
    expect(new X509Certificate(r.identity.certificatePem).subject).toContain('CN=megaraptor-app');
    await service.confirm(r.rotationId);
    const again = await service.renewApiClient(r.identity, ca, { validityDays: 90 });
    const { identity: restored } = await service.rollback(again.rotationId);
    expect(restored).toEqual(r.identity);
    expect([...secrets.data.keys()]).toEqual([]);
  });
});
