import { describe, expect, it } from 'vitest';
import type { ClientSummary } from '../../../../shared/contracts/clients';
import { sortClients } from './client-sort';

function client(clientId: string, hostname: string, lastSeenMs: number, online: boolean): ClientSummary {
  return {
    clientId,
    hostname,
    fqdn: hostname,
    os: 'windows',
    release: '10',
    labels: [],
    lastSeenMs,
    firstSeenMs: 0,
    lastIp: '',
    online,
    agentVersion: '',
  };
}

const list = [
  client('C.3', 'web-02', 300, false),
  client('C.1', 'DC-01', 100, true),
  client('C.2', 'web-01', 200, true),
];

describe('client sort', () => {
  it('sorts by host name ignoring case, both ways, and leaves the list alone without a sort', () => {
    expect(sortClients(list, { key: 'host', dir: 1 }).map((c) => c.hostname)).toEqual([
      'DC-01',
      'web-01',
      'web-02',
    ]);
    expect(sortClients(list, { key: 'host', dir: -1 }).map((c) => c.hostname)).toEqual([
      'web-02',
      'web-01',
      'DC-01',
    ]);
    expect(sortClients(list, null)).toBe(list);
  });

  it('sorts by last seen as a time and puts online clients first by status, keeping their order', () => {
    expect(sortClients(list, { key: 'seen', dir: -1 }).map((c) => c.clientId)).toEqual(['C.3', 'C.2', 'C.1']);
    expect(sortClients(list, { key: 'status', dir: 1 }).map((c) => c.clientId)).toEqual([
      'C.1',
      'C.2',
      'C.3',
    ]);
  });
});
