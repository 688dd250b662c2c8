import { createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError, isAppError, type ErrorCode } from '../../../../shared/errors';
import { createCertificateAuthority, issueCertificate } from '../../pki/certificates';
import {
  createTestPki,
  mintApiConfigFields,
  toYaml,
  type ApiConfigFields,
  type TestPki,
} from '../testing/mint';
import { API_CONFIG_KEYS, loadApiConfig } from './api-config';
import { grpcTarget, parseConnectionString } from './connection-string';

function codeOf(fn: () => unknown): ErrorCode | 'no-error' | 'not-app-error' {
  try {
    fn();
    return 'no-error';
  } catch (e) {
    return isAppError(e) ? e.code : 'not-app-error';
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e.message;
  }
  return '';
}

let pki: TestPki;
let good: ApiConfigFields;

beforeAll(async () => {
  pki = await createTestPki();
  good = await mintApiConfigFields(pki, 'alice', '127.0.0.1:8001');
});

describe('loadApiConfig', () => {
  it('loads the keys Velociraptor writes and derives identity and TLS name', () => {
    const cfg = loadApiConfig(toYaml(good));
    expect(cfg.commonName).toBe('alice');
    expect(cfg.name).toBe('alice');
    expect(cfg.serverName).toBe('VelociraptorServer');
    expect(cfg.endpoint).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8001 });
    expect(cfg.maxRecvBytes).toBe(64 * 1024 * 1024);
    expect(cfg.clientPrivateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(cfg.clientCertFingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('honours pinned_server_name, max_grpc_recv_size and unix sockets', () => {
    const cfg = loadApiConfig(
      toYaml({
        ...good,
        pinned_server_name: 'Other',
        max_grpc_recv_size: 200 * 1024 * 1024,
        api_connection_string: 'unix:///run/velo/api.sock',
      }),
    );
    expect(cfg.serverName).toBe('Other');
    expect(cfg.maxRecvBytes).toBe(200 * 1024 * 1024);
    expect(cfg.endpoint).toEqual({ kind: 'unix', path: '/run/velo/api.sock' });
  });

  it('rejects text that is not YAML or not a mapping', () => {
    expect(codeOf(() => loadApiConfig('ca_certificate: "unterminated'))).toBe('CONFIG_NOT_YAML');
    expect(codeOf(() => loadApiConfig('- a\n- b\n'))).toBe('CONFIG_NOT_YAML');
    expect(codeOf(() => loadApiConfig('just a string'))).toBe('CONFIG_NOT_YAML');
  });

  it('names the missing key', () => {
    for (const key of [
      'ca_certificate',
      'client_cert',
      'client_private_key',
      'api_connection_string',
    ] as const) {
      const { [key]: _omit, ...rest } = good;
      expect(codeOf(() => loadApiConfig(toYaml(rest)))).toBe('CONFIG_MISSING_KEY');
      expect(messageOf(() => loadApiConfig(toYaml(rest)))).toContain(key);
    }
  });

  it('rejects unknown keys like Velociraptor strict loader (property)', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter((k) => !(API_CONFIG_KEYS as readonly string[]).includes(k) && k !== '__proto__'),
        (key) => codeOf(() => loadApiConfig(toYaml({ ...good, [key]: 'x' }))) === 'CONFIG_UNKNOWN_KEY',
      ),
      { numRuns: 60 },
    );
  });

  it('only ever throws AppErrors for arbitrary text (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        (text) => codeOf(() => loadApiConfig(text)) !== 'not-app-error',
      ),
      { numRuns: 300 },
    );
  });

  it('survives arbitrary mutation of field values with an AppError (property)', () => {
    const keys = [
      'ca_certificate',
      'client_cert',
      'client_private_key',
      'api_connection_string',
      'name',
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string())),
        (key, v) => {
          const code = codeOf(() => loadApiConfig(toYaml({ ...good, [key]: v })));
          return code !== 'not-app-error';
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects invalid PEM blocks', () => {
    expect(codeOf(() => loadApiConfig(toYaml({ ...good, client_cert: 'not a cert' })))).toBe(
      'CONFIG_INVALID_PEM',
    );
    expect(
      codeOf(() =>
        loadApiConfig(
          toYaml({
            ...good,
            ca_certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
          }),
        ),
      ),
    ).toBe('CONFIG_INVALID_PEM');
    expect(
      codeOf(() =>
        loadApiConfig(
          toYaml({
            ...good,
            client_private_key: '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n',
          }),
        ),
      ),
    ).toBe('CONFIG_INVALID_PEM');
  });

  it('detects a key that does not belong to the certificate', async () => {
    const other = await mintApiConfigFields(pki, 'bob', '127.0.0.1:8001');
    expect(
      codeOf(() => loadApiConfig(toYaml({ ...good, client_private_key: other.client_private_key }))),
    ).toBe('CERT_KEY_MISMATCH');
  });

  it('detects a certificate from another CA', async () => {
    const otherCa = await createCertificateAuthority();
    expect(codeOf(() => loadApiConfig(toYaml({ ...good, ca_certificate: otherCa.certificatePem })))).toBe(
      'CERT_NOT_SIGNED_BY_CA',
    );
  });

  it('rejects expired and not-yet-valid certificates with both dates in the message', async () => {
    const expired = await mintApiConfigFields(pki, 'old', '127.0.0.1:8001', {
      notBefore: new Date('2020-01-01T00:00:00Z'),
      validityDays: 30,
    });
    expect(codeOf(() => loadApiConfig(toYaml(expired)))).toBe('CERT_EXPIRED');
    const msg = messageOf(() => loadApiConfig(toYaml(expired)));
    expect(msg).toContain('2020-01-01T00:00:00.000Z');
    expect(msg).toContain('2020-01-31T00:00:00.000Z');

    const future = await mintApiConfigFields(pki, 'early', '127.0.0.1:8001', {
      notBefore: new Date(Date.now() + 86_400_000 * 3),
    });
    expect(codeOf(() => loadApiConfig(toYaml(future)))).toBe('CERT_NOT_YET_VALID');
    expect(messageOf(() => loadApiConfig(toYaml(future)))).toMatch(/valid from \d{4}-.* to \d{4}-/);
  });

  it('needs the passphrase of legacy and PKCS#8 encrypted keys', () => {
    const key = createPrivateKey(good.client_private_key);
    const legacy = key
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 's3cret' })
      .toString();
    const pkcs8 = key
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 's3cret' })
      .toString();
    expect(legacy).toContain('Proc-Type: 4,ENCRYPTED');
    for (const pem of [legacy, pkcs8]) {
      const text = toYaml({ ...good, client_private_key: pem });
      expect(codeOf(() => loadApiConfig(text))).toBe('CONFIG_PASSPHRASE_REQUIRED');
      expect(codeOf(() => loadApiConfig(text, { passphrase: 'wrong' }))).toBe('CONFIG_WRONG_PASSPHRASE');
      const cfg = loadApiConfig(text, { passphrase: 's3cret' });
      expect(cfg.clientPrivateKeyPem).not.toContain('ENCRYPTED');
      expect(messageOf(() => loadApiConfig(text, { passphrase: 'wrong' }))).not.toContain('wrong');
    }
  });

  it('rejects bad connection strings', () => {
    for (const s of [
      'https://127.0.0.1:8001',
      'localhost',
      'host:0',
      'host:99999',
      'unix://relative',
      'a b:80',
    ]) {
      expect(codeOf(() => loadApiConfig(toYaml({ ...good, api_connection_string: s })))).toBe(
        'CONFIG_BAD_CONNECTION_STRING',
      );
    }
  });

  it('takes the user from the CN even when the name key is absent', async () => {
    const leaf = await issueCertificate(pki.ca, { commonName: 'carol@example.org' });
    const { name: _n, ...rest } = {
      ...good,
      client_cert: leaf.certificatePem,
      client_private_key: leaf.privateKeyPem,
    };
    expect(loadApiConfig(toYaml(rest)).name).toBe('carol@example.org');
  });
});

describe('parseConnectionString', () => {
  it('round-trips valid host:port pairs (property)', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.domain().filter((d) => d.length < 200),
    );
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65535 }), (h, p) => {
        const e = parseConnectionString(`${h}:${p}`);
        return e.kind === 'tcp' && e.host === h && e.port === p && grpcTarget(e) === `${h}:${p}`;
      }),
    );
  });

  it('handles bracketed IPv6', () => {
    expect(parseConnectionString('[::1]:8001')).toEqual({ kind: 'tcp', host: '::1', port: 8001 });
    expect(grpcTarget({ kind: 'tcp', host: '::1', port: 8001 })).toBe('[::1]:8001');
  });

  it('never throws anything but CONFIG_BAD_CONNECTION_STRING (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const c = codeOf(() => parseConnectionString(s));
        return c === 'no-error' || c === 'CONFIG_BAD_CONNECTION_STRING';
      }),
      { numRuns: 500 },
    );
  });
});
