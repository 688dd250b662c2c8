import { beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import type { ApiConfig } from './config/api-config';
import type { ApiStub } from './query/wire';
import { ConnectionRegistry } from './registry';
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
  it('holds many servers, one client per endpoint + identity, created lazily and shared by orgs', () => {
    const f = fakeClients();
    const reg = new ConnectionRegistry({ createClient: f.create });
    reg.add('a', toYaml(alice));
    reg.add('a2', toYaml(alice));
    reg.add('b', toYaml(bob));
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
    reg.remove('a');
    expect(f.closed).toEqual([]); // a2 still uses alice's channel
    reg.remove('a2');
    expect(f.closed).toEqual(['alice']);
    reg.close();
    expect(f.closed).toEqual(['alice', 'bob']);
  });

  it('validates at add time and reports unknown names', () => {
    const reg = new ConnectionRegistry({ createClient: fakeClients().create });
    const thrown = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e = thrown(() => reg.add('bad', toYaml({ ...alice, client_private_key: bob.client_private_key })));
    expect(isAppError(e, 'CERT_KEY_MISMATCH')).toBe(true);
    expect(reg.has('bad')).toBe(false);
    expect(
      isAppError(
        thrown(() => reg.connection('nope')),
        'CONNECTION_NOT_FOUND',
      ),
    ).toBe(true);
    expect(
      isAppError(
        thrown(() => reg.add('bad/name', toYaml(alice))),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    // Parentheses are fine: "Demo server (simulator)", "lab (old)".
    reg.add('lab (old)', toYaml(alice));
    expect(reg.has('lab (old)')).toBe(true);
  });

  it('replacing a server closes the old channel when unused', () => {
    const f = fakeClients();
    const reg = new ConnectionRegistry({ createClient: f.create });
    reg.add('s', toYaml(alice));
    reg.connection('s');
    reg.add('s', toYaml(bob));
    expect(f.closed).toEqual(['alice']);
    reg.connection('s');
    expect(f.created).toEqual(['alice', 'bob']);
  });
});
