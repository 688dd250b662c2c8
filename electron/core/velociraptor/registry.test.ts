import { createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import type { ApiConfig } from './config/api-config';
import type { ApiStub } from './query/wire';
import { ConnectionRegistry } from './registry';
import { MemorySecretStore, secretRefs } from './secret-store';
import {
  createTestPki,
  mintApiConfigFields,
  toYaml,
  type ApiConfigFields,
  type TestPki,
} from './testing/mint';

let pki: TestPki;
let alice: ApiConfigFields;
let bob: ApiConfigFields;

beforeAll(async () => {
  pki = await createTestPki();
  alice = await mintApiConfigFields(pki, 'alice', '127.0.0.1:8001');
  bob = await mintApiConfigFields(pki, 'bob', '127.0.0.1:8001');
});

function fakeClients(): { create: (c: ApiConfig) => ApiStub; created: string[]; closed: string[] } {
  const created: string[] = [];
  const closed: string[] = [];
  return {
    created,
    closed,
    create: (c) => {
      created.push(c.commonName);
      return { close: () => closed.push(c.commonName) } as unknown as ApiStub;
    },
  };
}

describe('ConnectionRegistry', () => {
  it('holds many servers, one client per endpoint + identity, created lazily and shared by orgs', async () => {
    const f = fakeClients();
    const reg = new ConnectionRegistry({ secrets: new MemorySecretStore(), createClient: f.create });
    await reg.add('a', toYaml(alice));
    await reg.add('a2', toYaml(alice));
    await reg.add('b', toYaml(bob));
    expect(f.created).toEqual([]);
    reg.connection('a');
    reg.connection('a', 'O1');
    reg.connection('a2');
    reg.connection('b');
    expect(f.created).toEqual(['alice', 'bob']);
    expect(reg.list().map((s) => [s.name, s.user])).toEqual([
      ['a', 'alice'],
      ['a2', 'alice'],
      ['b', 'bob'],
    ]);
    await reg.remove('a');
    expect(f.closed).toEqual([]); // a2 still uses alice's channel
    await reg.remove('a2');
    expect(f.closed).toEqual(['alice']);
    reg.close();
    expect(f.closed).toEqual(['alice', 'bob']);
  });

  it('keeps secrets in the store, restores them and deletes them on remove', async () => {
    const secrets = new MemorySecretStore();
    const key = createPrivateKey(alice.client_private_key)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    const reg = new ConnectionRegistry({ secrets, createClient: fakeClients().create });
    await reg.add('enc', toYaml({ ...alice, client_private_key: key }), { passphrase: 'pw' });
    expect(secrets.refs().sort()).toEqual([secretRefs.apiConfig('enc'), secretRefs.passphrase('enc')].sort());
    const reg2 = new ConnectionRegistry({ secrets, createClient: fakeClients().create });
    const restored = await reg2.restore('enc');
    // The loaded config comes back with the summary (the credential index lists it from these).
    expect(restored.summary).toEqual(reg2.summary('enc'));
    expect(restored.summary.user).toBe('alice');
    expect(restored.passphrase).toBe(true);
    expect(restored.config.clientCertPem).toBe(alice.client_cert);
    expect(restored.config.clientCertNotAfter.toISOString()).toBe(restored.summary.certNotAfter);
    await reg2.remove('enc');
    expect(secrets.refs()).toEqual([]);
    expect(reg.summary('enc').persisted).toBe(true);
    for (const ref of [secretRefs.apiConfig('x y@z'), secretRefs.passphrase('ü')])
      expect(ref).toMatch(/^[A-Za-z0-9._:-]{1,200}$/);
  });

  it('restore says when no passphrase is saved', async () => {
    const secrets = new MemorySecretStore();
    await new ConnectionRegistry({ secrets, createClient: fakeClients().create }).add('plain', toYaml(bob));
    const restored = await new ConnectionRegistry({ secrets, createClient: fakeClients().create }).restore(
      'plain',
    );
    expect(restored).toMatchObject({
      passphrase: false,
      summary: { name: 'plain', user: 'bob', persisted: true },
    });
  });

  it('validates at add time and reports unknown names', async () => {
    const reg = new ConnectionRegistry({
      secrets: new MemorySecretStore(),
      createClient: fakeClients().create,
    });
    const e = await reg
      .add('bad', toYaml({ ...alice, client_private_key: bob.client_private_key }))
      .catch((x: unknown) => x);
    expect(isAppError(e, 'CERT_KEY_MISMATCH')).toBe(true);
    expect(reg.has('bad')).toBe(false);
    expect(() => reg.connection('nope')).toThrow(/No Velociraptor server named/);
    await expect(reg.restore('nope')).rejects.toMatchObject({ code: 'CONNECTION_NOT_FOUND' });
    await expect(reg.add('bad/name', toYaml(alice))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('replacing a server closes the old channel when unused', async () => {
    const f = fakeClients();
    const reg = new ConnectionRegistry({ secrets: new MemorySecretStore(), createClient: f.create });
    await reg.add('s', toYaml(alice));
    reg.connection('s');
    await reg.add('s', toYaml(bob));
    expect(f.closed).toEqual(['alice']);
    reg.connection('s');
    expect(f.created).toEqual(['alice', 'bob']);
  });
});
