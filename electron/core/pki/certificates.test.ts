import { execFileSync } from 'node:child_process';
import { webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  issueApiClientCertificate,
  issueCertificate,
  loadCertificateAuthority,
  validateUserName,
} from './certificates';
import { testChain } from './testing/fixtures';
import {
  assertSignedBy,
  assertValidAt,
  checkLeaf,
  fingerprintSha256,
  parseCertificate,
  parseCertificateBundle,
  parsePrivateKey,
} from './validate';

// Certificates are public: writing them (never keys) to a temp dir for openssl is fine.
const dir = mkdtempSync(join(tmpdir(), 'megaraptor-pki-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opensslVerify(caPem: string, leafPem: string): string {
  writeFileSync(join(dir, 'ca.pem'), caPem);
  writeFileSync(join(dir, 'leaf.pem'), leafPem);
  return execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'leaf.pem')], {
    encoding: 'utf8',
  });
}

function sans(cert: X509Certificate): string | undefined {
  return cert.subjectAltName;
}

describe('certificates shaped like Velociraptor (docs/velociraptor/certificates.md)', () => {
  it('CA: O=Velociraptor CA without CN, SAN Velociraptor_ca.velocidex.com, 10 years, PKCS#1 key', async () => {
    const { ca } = await testChain(2048);
    const cert = new X509Certificate(ca.certificatePem);
    expect(cert.subject).toBe('O=Velociraptor CA');
    expect(cert.ca).toBe(true);
    expect(sans(cert)).toBe('DNS:Velociraptor_ca.velocidex.com');
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(ca.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    await expect(createCertificateAuthority({ algorithm: { kind: 'ecdsa-p256' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('Frontend, gateway and API client leaves', async () => {
    const { frontend, gateway, apiClient } = await testChain(2048);
    const f = new X509Certificate(frontend.certificatePem);
    expect(f.subject).toBe('CN=VelociraptorServer\nO=Velociraptor');
    expect(sans(f)).toBe('DNS:VelociraptorServer');
    expect(f.ca).toBe(false);
    const days = (Date.parse(f.validTo) - Date.parse(f.validFrom)) / 86_400_000;
    expect(days).toBe(365);
    expect(new X509Certificate(gateway.certificatePem).subject).toBe('CN=GRPC_GW\nO=Velociraptor');
    expect(new X509Certificate(apiClient.certificatePem).subject).toBe('CN=responder\nO=Velociraptor');
    expect(apiClient.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  });

  it('ECDSA P-256 is available for API clients (SEC1 key) and verifies under the RSA CA', async () => {
    const { ca } = await testChain(2048);
    const ec = await issueApiClientCertificate(ca, 'ec-user', { algorithm: { kind: 'ecdsa-p256' } });
    expect(ec.privateKeyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(checkLeaf({ ...ec, caPem: ca.certificatePem }).certificate.publicKey.asymmetricKeyType).toBe('ec');
    expect(opensslVerify(ca.certificatePem, ec.certificatePem)).toMatch(/: OK/);
  });

  it('RSA-4096 chain verifies with openssl and Node X509Certificate', async () => {
    const { ca, frontend, apiClient } = await testChain(4096);
    expect(parsePrivateKey(ca.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(4096);
    for (const leaf of [frontend, apiClient]) {
      expect(opensslVerify(ca.certificatePem, leaf.certificatePem)).toMatch(/leaf\.pem: OK/);
      const cert = new X509Certificate(leaf.certificatePem);
      expect(cert.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
      expect(checkLeaf({ ...leaf, caPem: ca.certificatePem }).issuer.subject).toBe('O=Velociraptor CA');
    }
  }, 120_000);

  it('loads a CA from PEM and signs with it; refuses a key that does not fit', async () => {
    const { ca } = await testChain(2048);
    const other = await createCertificateAuthority();
    const loaded = await loadCertificateAuthority(ca.certificatePem, ca.privateKeyPem);
    const leaf = await issueCertificate(loaded, { commonName: 'x' });
    expect(opensslVerify(ca.certificatePem, leaf.certificatePem)).toMatch(/OK/);
    await expect(loadCertificateAuthority(ca.certificatePem, other.privateKeyPem)).rejects.toMatchObject({
      code: 'CERT_KEY_MISMATCH',
    });
  });

  it('user names follow Velociraptor rules and reserved names are refused', () => {
    expect(validateUserName('alice@corp.example')).toBe('alice@corp.example');
    for (const bad of ['VelociraptorServer', 'GRPC_GW', 'bad name', 'x/y', ''])
      expect(() => validateUserName(bad)).toThrow();
  });
});

describe('validation helpers', () => {
  it('detects a key that is not the certificate’s', async () => {
    const { ca, frontend, apiClient } = await testChain(2048);
    expect(() =>
      checkLeaf({
        certificatePem: frontend.certificatePem,
        privateKeyPem: apiClient.privateKeyPem,
        caPem: ca.certificatePem,
      }),
    ).toThrow(expect.objectContaining({ code: 'CERT_KEY_MISMATCH' }));
  });

  it('detects a certificate from another CA, and accepts it from a bundle holding both CAs', async () => {
    const { ca, apiClient } = await testChain(2048);
    const other = await createCertificateAuthority();
    const cert = parseCertificate(apiClient.certificatePem);
    expect(() => assertSignedBy(cert, parseCertificateBundle(other.certificatePem))).toThrow(
      expect.objectContaining({ code: 'CERT_NOT_SIGNED_BY_CA' }),
    );
    const bundle = other.certificatePem + ca.certificatePem;
    expect(assertSignedBy(cert, parseCertificateBundle(bundle)).subject).toBe('O=Velociraptor CA');
  });

  it('checks the validity window', async () => {
    const { ca } = await testChain(2048);
    const old = await issueCertificate(ca, {
      commonName: 'old',
      validityDays: 1,
      notBefore: new Date(Date.now() - 3 * 86_400_000),
    });
    const cert = parseCertificate(old.certificatePem);
    expect(() => assertValidAt(cert)).toThrow(expect.objectContaining({ code: 'CERT_EXPIRED' }));
    expect(() => assertValidAt(cert, new Date(Date.now() - 4 * 86_400_000))).toThrow(
      expect.objectContaining({ code: 'CERT_NOT_YET_VALID' }),
    );
    expect(() => assertValidAt(cert, new Date(Date.now() - 2.5 * 86_400_000))).not.toThrow();
  });

  it('fingerprint equals openssl’s SHA-256 fingerprint; junk PEM is CONFIG_INVALID_PEM', async () => {
    const { frontend } = await testChain(2048);
    writeFileSync(join(dir, 'f.pem'), frontend.certificatePem);
    const out = execFileSync(
      'openssl',
      ['x509', '-noout', '-fingerprint', '-sha256', '-in', join(dir, 'f.pem')],
      { encoding: 'utf8' },
    );
    expect(out.trim().split('=')[1]).toBe(fingerprintSha256(frontend.certificatePem));
    expect(() => parseCertificate('-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID_PEM' }),
    );
  });
});

describe('minting from a CA Velociraptor generated', () => {
  it('chains to a CA named with a PrintableString and its own key identifier (as Go writes it)', async () => {
    // Shaped like `velociraptor config generate`'s CA: the name is a PrintableString and the
    // Subject Key Identifier is not what this library would compute from the key.
    const keys = await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        publicExponent: new Uint8Array([1, 0, 1]),
        modulusLength: 2048,
      },
      true,
      ['sign', 'verify'],
    );
    const name = new x509.Name([{ '2.5.4.10': [{ printableString: 'Velociraptor CA' }] }]);
    const goCa = await x509.X509CertificateGenerator.create({
      serialNumber: '01',
      subject: name,
      issuer: name,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign |
            x509.KeyUsageFlags.digitalSignature |
            x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.SubjectKeyIdentifierExtension('d451dfa2342d362160d121ada25a00ad00a460fd'),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
    const ca = await loadCertificateAuthority(goCa.toString('pem'), keyPem);
    const leaf = await issueApiClientCertificate(ca, 'assistant-ro');
    const cert = new X509Certificate(leaf.certificatePem);
    expect(cert.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
    expect(opensslVerify(ca.certificatePem, leaf.certificatePem)).toMatch(/OK/);
  });
});
