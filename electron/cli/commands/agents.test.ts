import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWinRmFake, type WinRmFake } from '../../core/deploy/agents/testing/winrm-fake';
import { startSimulator, type RunningSimulator } from '../../core/sim/index';
import { runInProcess } from '../testing/run-cli';

let sim: RunningSimulator;
let dir: string;
let config: string;
const env = (): NodeJS.ProcessEnv => ({ MEGARAPTOR_DATA_DIR: join(dir, 'data') });

const run = (argv: string[]) => runInProcess(argv, env(), dir);

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', speed: 40 });
  dir = mkdtempSync(join(tmpdir(), 'mr-cli-agents-'));
  config = join(dir, 'api.yaml');
  writeFileSync(config, await sim.mintApiConfig('cli-agents', ['investigator', 'api']), { mode: 0o600 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_test')]);
  writeFileSync(join(dir, 'hosts.txt'), '# web tier\n10.0.0.1-3\nweb01.example:2222\n10.0.0.2\n');
  writeFileSync(join(dir, 'hosts.csv'), 'host,port,os\ndb01,22,linux\nmac01,,darwin\n');
});

afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

const login = ['--user', 'ir', '--key', 'id_test', '--sudo'];

describe('megaraptor agents push', () => {
  it('--dry-run lists each host once, from specs, ranges and host files, and touches none', async () => {
    const r = await run([
      'agents',
      'push',
      '--connection',
      'prod',
      '--hosts-file',
      'hosts.txt',
      '--host',
      'web01.example:2222',
      ...login,
      '--dry-run',
    ]);
    expect(r.code, r.err).toBe(0);
    // --host first, then the file's lines in order.
    expect(r.out.trim().split('\n')).toEqual([
      'web01.example:2222',
      '10.0.0.1:22',
      '10.0.0.2:22',
      '10.0.0.3:22',
    ]);
    expect(r.err).toMatch(/Push to 4 host\(s\) over SSH, 8 at once, 2 retries; agents enrol with "prod"/);
  });

  it('--jump: the hosts are reached through jump hosts, in order, named in the plan', async () => {
    const r = await run([
      'agents',
      'push',
      '--connection',
      'prod',
      '--host',
      '10.0.0.5',
      ...login,
      '--jump',
      'ops@bastion.example',
      '--jump',
      'ir@10.9.0.1:2222',
      '--dry-run',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/Through jump host\(s\) ops@bastion\.example:22 → ir@10\.9\.0\.1:2222\./);
  });

  it('reads a CSV host list with ports and systems', async () => {
    const r = await run([
      'agents',
      'push',
      '--connection',
      'prod',
      '--hosts-file',
      'hosts.csv',
      ...login,
      '--dry-run',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(['db01:22 (linux)', 'mac01:22 (darwin)']);
  });

  it.each([
    [['--host', 'h1', '--user', 'ir', '--sudo'], /one of --key FILE, --agent or --password-ref/],
    [['--host', 'h1', ...login, '--drop-writeback'], /--drop-writeback goes with --uninstall/],
    [['--host', 'h1', ...login, '--keep-writeback'], /--keep-writeback goes with --uninstall/],
    [
      ['--host', 'h1', ...login, '--uninstall'],
      /--uninstall needs --keep-writeback \(a reinstall keeps the same client id\) or --drop-writeback/,
    ],
    [
      ['--host', 'h1', ...login, '--uninstall', '--keep-writeback', '--drop-writeback'],
      /--keep-writeback or --drop-writeback, not both/,
    ],
    [['--host', 'h1', ...login, '--binary', 'windows-amd64=x.exe'], /PLATFORM=FILE with PLATFORM one of/],
    [['--host', 'h1', ...login, '--frontend', 'no-port'], /--frontend is HOST:PORT/],
    [['--host', 'ir@h1', ...login], /--host line 1/],
    [['--host', '10.0.0.0/8', ...login], /--host line 1/],
    [['--host', 'h1', ...login, '--concurrency', '500'], /--concurrency must be a whole number 1–64/],
    [['--host', 'h1', ...login, '--key-pasphrase-ref', 'x'], /did you mean --key-passphrase-ref/],
    [['--host', 'h1', ...login, '--jump', 'bastion'], /--jump: .*USER@HOST\[:PORT\]/],
  ])('refuses %j as a usage error (exit 2)', async (args, message) => {
    const r = await run(['agents', 'push', '--connection', 'prod', ...args, '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('needs a server', async () => {
    const r = await run(['agents', 'push', '--host', 'h1', ...login]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--connection NAME or --api-config FILE/);
  });

  it('pushes against a real server config: an unreachable host fails with its reason, journaled', async () => {
    const r = await run([
      'agents',
      'push',
      '--api-config',
      'api.yaml',
      '--host',
      '127.0.0.1:1',
      ...login,
      '--retries',
      '0',
      '--label',
      'Case-42',
      '--name',
      'cli-test',
    ]);
    expect(r.code).toBe(1);
    // The client config came from the server before any host was touched.
    expect(r.err).toMatch(
      /Agents will dial https:\/\/127\.0\.0\.1:\d+\/ \(CA [0-9A-F:]+…\) with labels Case-42/,
    );
    expect(r.out).toMatch(/^Run (\S+) \(cli-test\): finished\. 0 enrolled, 0 removed, 1 failed/);
    expect(r.out).toMatch(/127\.0\.0\.1:1 {2}failed {2}SSH_UNREACHABLE: /);
    const id = /^Run (\S+)/.exec(r.out)![1]!;

    const listed = await run(['agents', 'runs']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^${id} .* finished {2}0/1 enrolled, 1 failed {2}cli-test$`, 'm'));

    const csv = await run(['agents', 'show', id, '--csv']);
    expect(csv.code).toBe(0);
    const [header, row] = csv.out.trim().split('\n');
    expect(header).toMatch(/^host,port,/);
    expect(row).toMatch(/^127\.0\.0\.1,1,.*failed.*SSH_UNREACHABLE/);
  }, 60_000);

  it('--winrm --dry-run: Windows hosts on WinRM’s port, the settings checked', async () => {
    const r = await run([
      'agents',
      'push',
      '--winrm',
      '--connection',
      'prod',
      '--host',
      '10.0.1.5-6',
      '--host',
      'win3.corp:5985',
      '--user',
      'Administrator',
      '--domain',
      'CORP',
      '--password-ref',
      'winrm:admin',
      '--accept-winrm-cert',
      `10.0.1.5=SHA256:${'ab'.repeat(32)}`,
      '--serve-host',
      '10.0.0.2',
      '--dry-run',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(['10.0.1.5:5986', '10.0.1.6:5986', 'win3.corp:5985']);
    expect(r.err).toMatch(/Push to 3 host\(s\) over WinRM/);
  });

  it('--winrm --winrm-http --dry-run: the plain HTTP port by default, and the warning', async () => {
    const r = await run([
      'agents',
      'push',
      '--winrm',
      '--connection',
      'prod',
      '--host',
      'win1.corp',
      '--host',
      'win2.corp:5986',
      '--user',
      'Administrator',
      '--password-ref',
      'winrm:admin',
      '--winrm-http',
      '--serve-host',
      '10.0.0.2',
      '--dry-run',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split('\n')).toEqual(['win1.corp:5985', 'win2.corp:5986']);
    expect(r.err).toMatch(/warning: WinRM over plain HTTP .*only NTLM sealing/);
  });

  it.each([
    [
      ['--user', 'a', '--password-ref', 'r', '--serve-host', 'h', '--winrm-unchecked', '--winrm-ca', 'x'],
      /one way to check listener certificates/,
    ],
    [
      [
        '--user',
        'a',
        '--password-ref',
        'r',
        '--serve-host',
        'h',
        '--winrm-unchecked',
        '--accept-winrm-cert',
        `w1=${'ab'.repeat(32)}`,
      ],
      /one way to check listener certificates/,
    ],
    [['--user', 'a', '--password-ref', 'r', '--winrm-unchecked'], /--winrm needs --serve-host/],
    [['--user', 'a', '--winrm-unchecked', '--serve-host', 'h'], /--winrm needs --user and --password-ref/],
    [
      ['--user', 'a', '--password-ref', 'r', '--winrm-unchecked', '--serve-host', 'h', '--sudo'],
      /--sudo is for SSH/,
    ],
    [
      ['--user', 'a', '--password-ref', 'r', '--accept-winrm-cert', 'w1=nofp', '--serve-host', 'h'],
      /--accept-winrm-cert is HOST\[:PORT\]=SHA256:FINGERPRINT/,
    ],
    [
      [
        '--user',
        'a',
        '--password-ref',
        'r',
        '--accept-winrm-cert',
        `a:b:c=${'ab'.repeat(32)}`,
        '--serve-host',
        'h',
      ],
      /--accept-winrm-cert names HOST\[:PORT\]/,
    ],
    [
      ['--user', 'a', '--password-ref', 'r', '--winrm-unchecked', '--uninstall'],
      /--uninstall needs --keep-writeback/,
    ],
    [
      ['--user', 'a', '--password-ref', 'r', '--winrm-http', '--basic', '--serve-host', 'h'],
      /--basic over --winrm-http would send the password readable/,
    ],
    [
      ['--user', 'a', '--password-ref', 'r', '--winrm-http', '--winrm-unchecked', '--serve-host', 'h'],
      /one way to check listener certificates/,
    ],
  ])('--winrm refuses %j (exit 2)', async (args, message) => {
    const r = await run([
      'agents',
      'push',
      '--winrm',
      '--connection',
      'prod',
      '--host',
      'w1',
      ...args,
      '--dry-run',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('kit ansible: role, playbook and inventory with the server’s config and the binary given', async () => {
    writeFileSync(join(dir, 'velociraptor-v0.77.2-linux-amd64'), 'stand-in binary');
    const r = await run([
      'agents',
      'kit',
      'ansible',
      '--api-config',
      'api.yaml',
      '--host',
      '10.0.0.1-2',
      '--host',
      'web9:2222',
      '--user',
      'ir',
      '--label',
      'Case-42',
      '--binary',
      'velociraptor-v0.77.2-linux-amd64',
      '--out',
      'kit',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/carries no release signature/);
    expect(r.out).toMatch(/roles\/velociraptor_agent\/tasks\/main\.yml/);
    const inventory = readFileSync(join(dir, 'kit', 'inventory.ini'), 'utf8');
    expect(inventory).toContain('10.0.0.1 ansible_port=22\n10.0.0.2 ansible_port=22\nweb9 ansible_port=2222');
    expect(inventory).toContain('ansible_user=ir');
    const config = readFileSync(
      join(dir, 'kit', 'roles', 'velociraptor_agent', 'files', 'client.config.yaml'),
      'utf8',
    );
    expect(config).toMatch(/labels:\n\s+- Case-42/);
    expect(config).toMatch(/writeback_linux: \/etc\/velociraptor\.writeback\.yaml/);
    expect(
      readFileSync(join(dir, 'kit', 'roles', 'velociraptor_agent', 'files', 'velociraptor_client'), 'utf8'),
    ).toBe('stand-in binary');
  });
});

describe('megaraptor agents: WinRM certificates pinned on first use', () => {
  let a: WinRmFake;
  let b: WinRmFake;
  beforeAll(async () => {
    const options = { accounts: [{ user: 'Administrator', password: 'x' }] };
    [a, b] = await Promise.all([startWinRmFake(options), startWinRmFake(options)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });
  const push = (host: WinRmFake, ...extra: string[]) =>
    run([
      'agents',
      'push',
      '--winrm',
      '--api-config',
      config,
      '--host',
      `127.0.0.1:${host.port}`,
      '--user',
      'Administrator',
      '--password-ref',
      'winrm:none',
      '--uninstall',
      '--keep-writeback',
      '--retries',
      '0',
      ...extra,
    ]);

  it('winrm-certs shows a new certificate; a push refuses it with the fingerprint; nothing is pinned', async () => {
    const seen = await run(['agents', 'winrm-certs', `127.0.0.1:${a.port}`]);
    expect(seen.code, seen.err).toBe(0);
    expect(seen.out).toContain(`127.0.0.1:${a.port}  new`);
    expect(seen.out).toContain(`SHA256:${a.fingerprint256}`);
    expect(seen.out).toMatch(/subject CN=localhost/);
    const r = await push(a);
    expect(r.code).toBe(1);
    expect(r.out).toContain('WINRM_CERT_UNKNOWN');
    expect(r.out).toContain(a.fingerprint256);
    expect(r.out).toContain(`--accept-winrm-cert 127.0.0.1:${a.port}=${a.fingerprint256}`);
    expect(a.auths).toHaveLength(0);
  });

  it('--accept-winrm-cert pins only the certificate the host presents; then it is known until forgotten', async () => {
    const wrong = await push(b, '--accept-winrm-cert', `127.0.0.1:${b.port}=SHA256:${a.fingerprint256}`);
    expect(wrong.err).toMatch(/not pinned: .*now presents SHA-256/);
    expect(wrong.out).toContain('WINRM_CERT_UNKNOWN');
    const r = await push(a, '--accept-winrm-cert', `127.0.0.1:${a.port}=SHA256:${a.fingerprint256}`);
    expect(r.err).toContain('Pinned 1 WinRM certificate(s) you confirmed.');
    // Past the certificate check: the host fails on the missing password, not on its certificate.
    expect(r.out).not.toContain('WINRM_CERT');
    const known = await run(['agents', 'winrm-certs', `127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    expect(known.out).toContain(`127.0.0.1:${a.port}  known`);
    expect(known.out).toContain(`127.0.0.1:${b.port}  new`);
    const forgot = await run(['agents', 'forget-winrm-cert', `127.0.0.1:${a.port}`]);
    expect(forgot.out).toContain(`Forgot the pin SHA256:${a.fingerprint256}`);
    expect((await run(['agents', 'winrm-certs', `127.0.0.1:${a.port}`])).out).toContain('  new');
  });
});
