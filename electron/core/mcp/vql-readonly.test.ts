import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import { assertReadOnlyVql, checkReadOnlyVql } from './vql-readonly';

const ALLOWED = [
  'SELECT * FROM clients()',
  "SELECT client_id, os_info.hostname AS Host FROM clients(search='host:web*') WHERE last_seen_at > 0 LIMIT 10",
  'SELECT * FROM info()',
  'LET c = SELECT client_id FROM clients() SELECT * FROM foreach(row=c, query={ SELECT * FROM flows(client_id=client_id) })',
  "SELECT * FROM source(client_id=ClientId, flow_id=FlowId, artifact='Windows.System.Pslist')",
  "SELECT count() AS N, format(format='%v', args=[Name]) FROM hunts() GROUP BY state",
  'LET recent(days) = SELECT * FROM hunts() WHERE create_time > now() - days * 86400 SELECT * FROM recent(days=3)',
  "SELECT * FROM hunt_results(hunt_id=HuntId, artifact='Generic.Client.Info/BasicInformation')",
  "SELECT Name FROM artifact_definitions() WHERE Name =~ 'collect_client\\(.*'",
  "SELECT * FROM clients() WHERE os_info.hostname =~ '''it's raw'''",
];

const BYPASSES: Array<[string, string]> = [
  [
    'direct write',
    "SELECT collect_client(client_id='C.1', artifacts='Windows.Remediation.Quarantine') FROM scope()",
  ],
  [
    'query() string',
    "SELECT * FROM query(query=\"SELECT collect_client(client_id='C.1', artifacts='X') FROM scope()\")",
  ],
  ['artifact plugin', 'SELECT * FROM Artifact.Windows.Remediation.Quarantine()'],
  ['artifact plugin without parens', 'SELECT * FROM Artifact.Generic.Client.Info'],
  ['artifact mixed case', 'SELECT * FROM artifact.Windows.System.Pslist()'],
  ['backtick identifier', "SELECT `collect_client`(client_id='C.1', artifacts='X') FROM scope()"],
  [
    'foreach body',
    "SELECT * FROM foreach(row={SELECT client_id FROM clients()}, query={SELECT label(client_id=client_id, labels=['x'], op='set') FROM scope()})",
  ],
  [
    'foreach string query',
    'SELECT * FROM foreach(row={SELECT * FROM scope()}, query=\'SELECT hunt_update(hunt_id="H.1", start=TRUE) FROM scope()\')',
  ],
  [
    'LET body',
    "LET x = SELECT hunt(artifacts='Windows.System.Pslist', description='d') FROM scope() SELECT * FROM x",
  ],
  ['LET alias of a function', "LET f = collect_client SELECT f(client_id='C.1') FROM scope()"],
  [
    'LET shadowing an allowed name',
    "LET count = SELECT cancel_flow(client_id='C.1', flow_id='F.1') FROM scope() SELECT * FROM count()",
  ],
  ['comment hides a quote', "// it's\nSELECT collect_client(client_id='C.1') FROM scope() // '"],
  ['block comment', "/* ' */ SELECT execve(argv=['id']) FROM scope() /* ' */"],
  ['dash comment', "SELECT * FROM clients() -- '\n, execve(argv=['x'])"],
  ['escaped quote', "SELECT * FROM clients(search='\\' , x=execve(argv=[\"id\"]) , y=\\'')"],
  ['upper case', "SELECT COLLECT_CLIENT(client_id='C.1') FROM scope()"],
  ['nested in where', "SELECT * FROM clients() WHERE label(client_id=client_id, labels=['x'], op='set')"],
  ['file read', "SELECT * FROM read_file(filenames='/etc/passwd')"],
  ['execve', "SELECT * FROM execve(argv=['id'])"],
  ['unknown dotted call', 'SELECT * FROM server.collect_client()'],
  ['if with string', "SELECT * FROM if(condition=TRUE, then='SELECT * FROM execve(argv=[1])')"],
  ['user admin', "SELECT user_create(user='x', roles=['administrator'], password='p') FROM scope()"],
  ['artifact_set', "SELECT artifact_set(definition='name: X') FROM scope()"],
  ['unterminated string', "SELECT * FROM clients(search='x)"],
];

describe('read-only VQL allow-list', () => {
  it.each(ALLOWED)('allows %s', (q) => {
    const v = checkReadOnlyVql(q);
    expect(v.reasons).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it.each(BYPASSES)('refuses %s', (_label, q) => {
    const v = checkReadOnlyVql(q);
    expect(v.ok).toBe(false);
    expect(v.reasons.length).toBeGreaterThan(0);
    expect(() => assertReadOnlyVql(q)).toThrow();
  });

  it('lists every call it saw', () => {
    expect(checkReadOnlyVql('SELECT count() FROM flows(client_id=X) WHERE now() > 0').calls.sort()).toEqual([
      'count',
      'flows',
      'now',
    ]);
  });

  it('throws POLICY_FORBIDDEN naming the offender', () => {
    try {
      assertReadOnlyVql("SELECT collect_client(client_id='C.1') FROM scope()");
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, 'POLICY_FORBIDDEN')).toBe(true);
      expect((e as Error).message).toContain('collect_client');
    }
  });
});
