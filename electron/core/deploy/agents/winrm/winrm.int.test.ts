/**
 * WinRM. First the test double (testing/winrm-fake.ts) is checked against pywinrm 0.5.0 from PyPI (a
 * client nobody here wrote, with requests_ntlm/pyspnego doing NTLM and the channel binding): NTLM
 * with Extended Protection, Basic, a wrong password refused — so the double speaks the real protocol
 * and verifies NTLMv2 as Windows does. Then the product's client against it: the exact commands, the
 * WS-Management sequence, certificate checks before anything is sent, channel binding, each error.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { files, REPO_ROOT } from '../../../../../test/real-parts';
import { createCertificateAuthority } from '../../../pki/certificates';
import { startWinRmFake, type WinRmFake } from '../testing/winrm-fake';
import { probeCertificate } from './certificates';
import { WinRmClient, type WinRmOptions } from './client';
import { ACTION } from './wsman';

const run = promisify(execFile);
const python = join(REPO_ROOT, '.venv-test', 'bin', 'python');
const pywinrm = files('pywinrm in .venv-test', [python], 'scripts/setup-test-env.sh');

const ACCOUNTS = [
  { user: 'Administrator', password: 'Pa55-w0rd!', domain: 'CORP' },
  { user: 'localadmin', password: 'L0cal pass' },
];

const PY = `
import json, sys, winrm
url, user, password, transport, ca = sys.argv[1:6]
try:
    s = winrm.Session(url, auth=(user, password), transport=transport,
                      server_cert_validation='validate', ca_trust_path=ca)
    r = s.run_cmd('msiexec', ['/i', 'C:\\\\Temp\\\\agent.msi', '/qn'])
    print(json.dumps({'code': r.status_code, 'out': r.std_out.decode(), 'err': r.std_err.decode()}))
except Exception as e:
    print(json.dumps({'error': type(e).__name__, 'message': str(e)}))
`;
import { appErrorOf } from '../../../../../test/app-error-of';

let dir: string;
let fake: WinRmFake;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-winrm-'));
  fake = await startWinRmFake({
    accounts: ACCOUNTS,
    requireChannelBinding: true,
    onCommand: (c) =>
      c.command === 'msiexec'
        ? { stdout: 'installed\r\n', exitCode: 0 }
        : c.command === 'sc'
          ? { stdout: 'STATE              : 4  RUNNING\r\n', exitCode: 0 }
          : { stderr: `'${c.command}' is not recognized\r\n`, exitCode: 9009 },
  });
  await writeFile(join(dir, 'ca.pem'), fake.caPem);
});

afterAll(async () => {
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it(`has ${pywinrm.name} (required in CI)`, () => pywinrm.check());

describe.runIf(pywinrm.run)('the WinRM test double against pywinrm (not ours)', () => {
  const py = async (user: string, password: string, transport: string) => {
    const r = await run(python, ['-c', PY, fake.url, user, password, transport, join(dir, 'ca.pem')], {
      timeout: 60_000,
    });
    return JSON.parse(r.stdout) as { code?: number; out?: string; err?: string; error?: string };
  };

  it('NTLM with channel binding (Extended Protection): runs the command, answers its output', async () => {
    const before = fake.commands.length;
    const r = await py('CORP\\Administrator', 'Pa55-w0rd!', 'ntlm');
    expect(r).toEqual({ code: 0, out: 'installed\r\n', err: '' });
    expect(fake.commands.slice(before)).toEqual([
      expect.objectContaining({ line: 'msiexec /i C:\\Temp\\agent.msi /qn', user: 'Administrator' }),
    ]);
    expect(fake.auths.at(-1)).toEqual({
      method: 'ntlm',
      user: 'Administrator',
      domain: 'CORP',
      ok: true,
      channelBinding: 'match',
    });
  }, 90_000);

  it('Basic with a local account', async () => {
    expect(await py('localadmin', 'L0cal pass', 'basic')).toMatchObject({ code: 0, out: 'installed\r\n' });
    expect(fake.auths.at(-1)).toMatchObject({ method: 'basic', user: 'localadmin', ok: true });
  }, 90_000);

  it('a wrong password is refused', async () => {
    const r = await py('CORP\\Administrator', 'wrong', 'ntlm');
    expect(r.error).toBe('InvalidCredentialsError');
    expect(fake.auths.at(-1)).toMatchObject({ method: 'ntlm', ok: false });
  }, 90_000);
});

describe('the product’s WinRM client against the test double', () => {
  const options = (extra: Partial<WinRmOptions> = {}): WinRmOptions => ({
    host: '127.0.0.1',
    port: fake.port,
    auth: 'ntlm',
    user: 'Administrator',
    domain: 'CORP',
    password: 'Pa55-w0rd!',
    certificate: { kind: 'ca', caPem: fake.caPem },
    ...extra,
  });

  it('NTLMv2 with channel binding, CA-checked: runs exact commands in one shell, then deletes it', async () => {
    const before = { commands: fake.commands.length, actions: fake.actions.length, auths: fake.auths.length };
    const c = new WinRmClient(options());
    try {
      const a = await c.run('msiexec', ['/i', 'C:\\Program Files\\x.msi', '/qn', 'A="1 & 2"']);
      expect(a).toEqual({ stdout: 'installed\r\n', stderr: '', exitCode: 0 });
      const b = await c.run('sc', ['query', 'Velociraptor']);
      expect(b.stdout).toMatch(/RUNNING/);
      const e = await c.run('nonexistent');
      expect(e).toEqual({ stdout: '', stderr: "'nonexistent' is not recognized\r\n", exitCode: 9009 });
      await c.closeShell();
    } finally {
      c.close();
    }
    expect(fake.commands.slice(before.commands).map((x) => [x.command, ...x.args])).toEqual([
      ['msiexec', '/i', 'C:\\Program Files\\x.msi', '/qn', 'A="1 & 2"'],
      ['sc', 'query', 'Velociraptor'],
      ['nonexistent'],
    ]);
    expect(fake.commands[before.commands]!.line).toBe('msiexec /i C:\\Program Files\\x.msi /qn A="1 & 2"');
    const seq = [ACTION.command, ACTION.receive, ACTION.signal];
    expect(fake.actions.slice(before.actions)).toEqual([
      ACTION.create,
      ...seq,
      ...seq,
      ...seq,
      ACTION.delete,
    ]);
    // One login for the whole connection, with the right channel binding.
    expect(fake.auths.slice(before.auths)).toEqual([
      { method: 'ntlm', user: 'Administrator', domain: 'CORP', ok: true, channelBinding: 'match' },
    ]);
    expect(fake.shells.size).toBe(0);
  });

  it('a local account over NTLM (domain ".") and over Basic', async () => {
    for (const auth of ['ntlm', 'basic'] as const) {
      const c = new WinRmClient(options({ auth, user: 'localadmin', domain: '.', password: 'L0cal pass' }));
      try {
        expect((await c.run('sc', ['query', 'Velociraptor'])).exitCode).toBe(0);
      } finally {
        c.close();
      }
      expect(fake.auths.at(-1)).toMatchObject({ method: auth, user: 'localadmin', ok: true });
    }
  });

  it('the pinned fingerprint is what probeCertificate shows; a pin of another key sends nothing', async () => {
    const { cert } = await probeCertificate('127.0.0.1', fake.port);
    expect(cert.fingerprint256).toBe(fake.fingerprint256);
    const ok = new WinRmClient(options({ certificate: { kind: 'pinned', sha256: cert.fingerprint256 } }));
    try {
      expect((await ok.run('sc', ['query', 'Velociraptor'])).exitCode).toBe(0);
    } finally {
      ok.close();
    }
    const before = fake.auths.length + fake.actions.length;
    const other = `SHA256:${'ab'.repeat(32)}`;
    const bad = new WinRmClient(options({ auth: 'basic', certificate: { kind: 'pinned', sha256: other } }));
    try {
      const e = await appErrorOf(bad.run('sc'));
      expect(e.code).toBe('WINRM_CERT_UNTRUSTED');
      expect(e.message).toMatch(/changed: its fingerprint is/);
    } finally {
      bad.close();
    }
    expect(fake.auths.length + fake.actions.length).toBe(before);
  });

  it('a certificate from another CA is refused before the Basic password leaves', async () => {
    const otherCa = await createCertificateAuthority({ organization: 'Not the WinRM CA' });
    const before = fake.auths.length;
    const c = new WinRmClient(
      options({ auth: 'basic', certificate: { kind: 'ca', caPem: otherCa.certificatePem } }),
    );
    try {
      const e = await appErrorOf(c.run('sc'));
      expect(e.code).toBe('WINRM_CERT_UNTRUSTED');
      expect(e.message).toMatch(/not issued by the CA given/);
    } finally {
      c.close();
    }
    expect(fake.auths.length).toBe(before);
  });

  it('with a CA, the name dialled is checked against the certificate (localhost is in it)', async () => {
    const c = new WinRmClient(options({ host: 'localhost' }));
    try {
      expect((await c.run('sc', ['query', 'Velociraptor'])).exitCode).toBe(0);
    } finally {
      c.close();
    }
  });

  it('a wrong password: WINRM_AUTH_FAILED naming the account, never the password', async () => {
    const c = new WinRmClient(options({ password: 'Wr0ng-Secret' }));
    try {
      const e = await appErrorOf(c.run('sc'));
      expect(e.code).toBe('WINRM_AUTH_FAILED');
      expect(e.message).toMatch(/refused the NTLM login as CORP\\Administrator/);
      expect(JSON.stringify(e)).not.toMatch(/Wr0ng-Secret/);
    } finally {
      c.close();
    }
  });

  it('a fault from the host: WINRM_FAULT with its WS-Management code', async () => {
    const c = new WinRmClient(options());
    try {
      await c.openShell();
      fake.shells.clear();
      const e = await appErrorOf(c.run('sc'));
      expect(e.code).toBe('WINRM_FAULT');
      expect(e.message).toMatch(/fault 2150858843.*shell was not found/);
    } finally {
      c.close();
    }
  });

  it('an unreachable listener: WINRM_UNREACHABLE', async () => {
    const c = new WinRmClient(options({ port: 1 }));
    try {
      expect((await appErrorOf(c.run('sc'))).code).toBe('WINRM_UNREACHABLE');
    } finally {
      c.close();
    }
  });
});
