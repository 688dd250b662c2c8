import { describe, expect, it } from 'vitest';
import {
  parseJumpHosts,
  expandRange,
  MAX_HOSTS,
  parseCsvRows,
  parseHostCsv,
  parseHostList,
  splitHostPort,
} from './agent-hosts';

describe('host lists', () => {
  it('pasted: lines, commas, spaces, comments, ports, IPv6, duplicates dropped', () => {
    const r = parseHostList(`# incident hosts
web1.lab, web2.lab:2222
10.0.0.5  [fd00::7]:2200
fd00::8
web1.lab
`);
    expect(r.problems).toEqual([]);
    expect(r.hosts).toEqual([
      { host: 'web1.lab', os: 'auto' },
      { host: 'web2.lab', port: 2222, os: 'auto' },
      { host: '10.0.0.5', os: 'auto' },
      { host: 'fd00::7', port: 2200, os: 'auto' },
      { host: 'fd00::8', os: 'auto' },
    ]);
  });

  it('ranges: dash, short dash, CIDR without network and broadcast, padded names', () => {
    expect(expandRange('10.0.0.1-10.0.0.3')).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(expandRange('10.0.0.254-10.0.1.1')).toEqual(['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
    expect(expandRange('192.168.1.8-10')).toEqual(['192.168.1.8', '192.168.1.9', '192.168.1.10']);
    expect(expandRange('10.1.1.0/30')).toEqual(['10.1.1.1', '10.1.1.2']);
    expect(expandRange('10.1.1.7/32')).toEqual(['10.1.1.7']);
    expect(expandRange('web[08-11].lab')).toEqual(['web08.lab', 'web09.lab', 'web10.lab', 'web11.lab']);
    expect(expandRange('db[1-2]')).toEqual(['db1', 'db2']);
  });

  it('a range with a port: each host gets it', () => {
    expect(parseHostList('10.0.0.1-2:2222 web[1-2].lab:22 10.1.1.0/31:8022').hosts).toEqual([
      { host: '10.0.0.1', port: 2222, os: 'auto' },
      { host: '10.0.0.2', port: 2222, os: 'auto' },
      { host: 'web1.lab', port: 22, os: 'auto' },
      { host: 'web2.lab', port: 22, os: 'auto' },
      { host: '10.1.1.0', port: 8022, os: 'auto' },
      { host: '10.1.1.1', port: 8022, os: 'auto' },
    ]);
    expect(parseHostList('10.0.0.1-2:99999').problems[0]?.message).toMatch(/port/);
  });

  it('refuses what would queue too many hosts, backwards ranges and bad tokens, naming the line', () => {
    const big = parseHostList('ok.lab\n10.0.0.0/8');
    expect(big.hosts.map((h) => h.host)).toEqual(['ok.lab']);
    expect(big.problems[0]).toMatchObject({
      line: 2,
      message: expect.stringMatching(/more than one push takes \(4096\)/),
    });
    expect(() => expandRange('10.0.0.9-3')).toThrow(/ends before/);
    const bad = parseHostList('root@h1\nhttps://h2/\nh3:99999\nh 4');
    expect(bad.problems.map((p) => p.line)).toEqual([1, 2, 3]);
    expect(bad.problems[0]!.message).toMatch(/user name/);
    expect(bad.hosts.map((h) => h.host)).toEqual(['h', '4']);
    expect(MAX_HOSTS).toBe(4096);
  });

  it('host:port splitting', () => {
    expect(splitHostPort('[::1]')).toEqual({ host: '::1' });
    expect(splitHostPort('h:22')).toEqual({ host: 'h', port: 22 });
    expect(() => splitHostPort('h:x')).toThrow(/port/);
  });

  it('CSV: quoted fields, header aliases, port and os columns, problems by line', () => {
    expect(parseCsvRows('a,"b,""c"""\r\n1,2\n')).toEqual([
      ['a', 'b,"c"'],
      ['1', '2'],
    ]);
    const r = parseHostCsv(
      'Hostname,Port,OS,Owner\n"srv1.lab",22,linux,"Ops, team"\nmac1.lab,,macOS,x\nwin1.lab,5986,windows,\nbad.lab,abc,,\nodd.lab,,solaris,\n',
    );
    expect(r.hosts).toEqual([
      { host: 'srv1.lab', port: 22, os: 'linux' },
      { host: 'mac1.lab', os: 'darwin' },
      { host: 'win1.lab', port: 5986, os: 'windows' },
    ]);
    expect(r.problems.map((p) => [p.line, p.message])).toEqual([
      [5, '"abc" is not a port'],
      [6, '"solaris" is not an OS (linux, darwin/macos, windows)'],
    ]);
    expect(parseHostCsv('owner,team\nx,y\n').problems[0]!.message).toMatch(/no host column/);
  });
});

describe('jump hosts', () => {
  it('reads USER@HOST[:PORT] hops in order, port 22 by default, IPv6 in brackets', () => {
    expect(parseJumpHosts('ops@bastion.lab, ir@10.0.0.1:2222\nroot@[fd00::1]:22')).toEqual({
      jumps: [
        { username: 'ops', host: 'bastion.lab', port: 22 },
        { username: 'ir', host: '10.0.0.1', port: 2222 },
        { username: 'root', host: 'fd00::1', port: 22 },
      ],
      problems: [],
    });
  });

  it('says what is wrong: no login, a bad port, a URL, more than four hops', () => {
    expect(parseJumpHosts('bastion').problems[0]).toMatch(/needs the login/);
    expect(parseJumpHosts('ops@bastion:99999').problems[0]).toMatch(/no valid port/);
    expect(parseJumpHosts('ops@ssh://bastion').problems[0]).toMatch(/URL|not a host name/);
    expect(parseJumpHosts('a@h1,a@h2,a@h3,a@h4,a@h5').problems).toEqual(['5 jump hosts: at most 4 hops']);
  });
});
