/**
 * WinRM over plain HTTP with NTLM sealing (the default 5985 listener). First the test double's HTTP
 * mode against pywinrm 0.5.0 (a client nobody here wrote; pyspnego does the NTLM session security)
 * with `transport='ntlm', message_encryption='always'`: the command runs, nothing readable crosses
 * the wire, a tampered answer is refused by pywinrm, a wrong password is refused. Then the product's
 * client against it: exact commands, one login, a tampered answer refused (signature check), a wrong
 * password refused clearly, Basic over HTTP refused before anything is sent.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appErrorOf } from '../../../../../test/app-error-of';
import { files, REPO_ROOT } from '../../../../../test/real-parts';
import { startWinRmFake, type WinRmFake } from '../testing/winrm-fake';
import { WinRmClient, type WinRmOptions } from './client';
import { ENCRYPTED_CONTENT_TYPE, encryptBody } from './http-encryption';
import { authenticateMessage, negotiateMessage, parseChallenge } from './ntlm';
import { NtlmSession } from './ntlm-session';
import { ACTION } from './wsman';

const run = promisify(execFile);
const python = join(REPO_ROOT, '.venv-test', 'bin', 'python');
const pywinrm = files('pywinrm in .venv-test', [python], 'scripts/setup-test-env.sh');

const PY = `
import json, sys, winrm
url, user, password = sys.argv[1:4]
try:
    s = winrm.Session(url, auth=(user, password), transport='ntlm', message_encryption='always')
    r = s.run_cmd('msiexec', ['/i', 'C:\\\\Temp\\\\agent.msi', '/qn'])
    print(json.dumps({'code': r.status_code, 'out': r.std_out.decode(), 'err': r.std_err.decode()}))
except Exception as e:
    print(json.dumps({'error': type(e).__name__, 'message': str(e)}))
`;

let fake: WinRmFake;

beforeAll(async () => {
  fake = await startWinRmFake({
    scheme: 'http',
    accounts: [{ user: 'Administrator', password: 'Pa55-w0rd!', domain: 'CORP' }],
    onCommand: (c) =>
      c.command === 'msiexec'
        ? { stdout: 'installed\r\n', exitCode: 0 }
        : c.command === 'sc'
          ? { stdout: 'STATE              : 4  RUNNING\r\n', exitCode: 0 }
          : { stderr: `'${c.command}' is not recognized\r\n`, exitCode: 9009 },
  });
});

afterAll(async () => {
  await fake?.close();
});

/** Whether any request body since `from` carried `text` readable. */
const readableOnWire = (from: number, text: string) =>
  fake.wire.slice(from).some((b) => b.includes(text) || b.includes(Buffer.from(text, 'utf16le')));

it(`has ${pywinrm.name} (required in CI)`, () => pywinrm.check());

describe.runIf(pywinrm.run)(
  'the HTTP test double against pywinrm (not ours), message_encryption=always',
  () => {
    const py = async (user: string, password: string) => {
      const r = await run(python, ['-c', PY, fake.url, user, password], { timeout: 60_000 });
      return JSON.parse(r.stdout) as {
        code?: number;
        out?: string;
        err?: string;
        error?: string;
        message?: string;
      };
    };

    it('NTLM sealed both ways: runs the command, answers its output, nothing readable on the wire', async () => {
      const wire = fake.wire.length;
      const before = fake.commands.length;
      const r = await py('CORP\\Administrator', 'Pa55-w0rd!');
      expect(r).toEqual({ code: 0, out: 'installed\r\n', err: '' });
      expect(fake.commands.slice(before)).toEqual([
        expect.objectContaining({ line: 'msiexec /i C:\\Temp\\agent.msi /qn', user: 'Administrator' }),
      ]);
      expect(fake.auths.at(-1)).toEqual({
        method: 'ntlm',
        user: 'Administrator',
        domain: 'CORP',
        ok: true,
        channelBinding: 'n/a',
      });
      const bodies = fake.wire.slice(wire).filter((b) => b.length);
      expect(bodies.length).toBeGreaterThanOrEqual(4); // create, command, receive, signal, delete
      for (const b of bodies) expect(b.subarray(0, 22).toString()).toBe('--Encrypted Boundary\r\n');
      expect(readableOnWire(wire, 'msiexec')).toBe(false);
      expect(readableOnWire(wire, 'Envelope')).toBe(false);
      expect(fake.sealErrors).toEqual([]);
    }, 90_000);

    it('pywinrm refuses an answer the double tampered with (the double signs for real)', async () => {
      fake.tamperAnswers = 1;
      const r = await py('CORP\\Administrator', 'Pa55-w0rd!');
      expect(fake.tamperAnswers).toBe(0);
      expect(r.error).toBeDefined();
      expect(r.code).toBeUndefined();
    }, 90_000);

    it('a wrong password is refused', async () => {
      const r = await py('CORP\\Administrator', 'wrong');
      expect(r.error).toBe('InvalidCredentialsError');
      expect(fake.auths.at(-1)).toMatchObject({ method: 'ntlm', ok: false });
    }, 90_000);
  },
);

describe('the product’s WinRM client over HTTP against the test double', () => {
  const options = (extra: Partial<WinRmOptions> = {}): WinRmOptions => ({
    transport: 'http',
    host: '127.0.0.1',
    port: fake.port,
    auth: 'ntlm',
    user: 'Administrator',
    domain: 'CORP',
    password: 'Pa55-w0rd!',
    ...extra,
  });

  it('sealed NTLMv2: exact commands in one shell, one login, nothing readable on the wire', async () => {
    const before = {
      commands: fake.commands.length,
      actions: fake.actions.length,
      auths: fake.auths.length,
      wire: fake.wire.length,
      shells: fake.shells.size,
    };
    const c = new WinRmClient(options());
    try {
      const a = await c.run('msiexec', ['/i', 'C:\\Program Files\\x.msi', '/qn', 'A="1 & 2"']);
      expect(a).toEqual({ stdout: 'installed\r\n', stderr: '', exitCode: 0 });
      expect((await c.run('sc', ['query', 'Velociraptor'])).stdout).toMatch(/RUNNING/);
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
    const seq = [ACTION.command, ACTION.receive, ACTION.signal];
    expect(fake.actions.slice(before.actions)).toEqual([
      ACTION.create,
      ...seq,
      ...seq,
      ...seq,
      ACTION.delete,
    ]);
    expect(fake.auths.slice(before.auths)).toEqual([
      { method: 'ntlm', user: 'Administrator', domain: 'CORP', ok: true, channelBinding: 'n/a' },
    ]);
    expect(readableOnWire(before.wire, 'msiexec')).toBe(false);
    expect(readableOnWire(before.wire, 'Velociraptor')).toBe(false);
    expect(fake.sealErrors).toEqual([]);
    expect(fake.shells.size).toBe(before.shells); // ours was deleted
  });

  it('a tampered answer: WINRM_SEAL_INVALID, its content unused, the client not used again', async () => {
    const c = new WinRmClient(options());
    try {
      await c.openShell();
      const commands = fake.commands.length;
      fake.tamperAnswers = 1;
      const e = await appErrorOf(c.run('msiexec', ['/i', 'x.msi']));
      expect(e.code).toBe('WINRM_SEAL_INVALID');
      expect(e.message).toMatch(/failed its NTLM signature check/);
      expect(fake.commands.length).toBe(commands + 1); // the command went out; its answer was refused
      expect((await appErrorOf(c.run('sc'))).code).toBe('WINRM_SEAL_INVALID');
      expect(fake.commands.length).toBe(commands + 1);
    } finally {
      fake.tamperAnswers = 0;
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
    expect(fake.auths.at(-1)).toMatchObject({ method: 'ntlm', ok: false });
  });

  it('the listener refuses a request whose seal was tampered with, and one not sealed', async () => {
    // A login by hand on one connection, then sealed bodies the client module would never send.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: Buffer, headers: Record<string, string>) =>
      new Promise<{ status: number; www: string }>((resolve, reject) => {
        const req = request(fake.url, { method: 'POST', agent, headers }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, www: String(res.headers['www-authenticate'] ?? '') }),
          );
        });
        req.on('error', reject);
        req.end(body);
      });
    const login = async () => {
      const first = await post(Buffer.alloc(0), {
        Authorization: `Negotiate ${negotiateMessage({ seal: true }).toString('base64')}`,
      });
      const challenge = parseChallenge(Buffer.from(first.www.replace(/^Negotiate /, ''), 'base64'));
      const key = randomBytes(16);
      const auth = authenticateMessage(
        challenge,
        { user: 'Administrator', domain: 'CORP', password: 'Pa55-w0rd!' },
        { exportedSessionKey: key },
      );
      expect(
        (await post(Buffer.alloc(0), { Authorization: `Negotiate ${auth.toString('base64')}` })).status,
      ).toBe(200);
      return new NtlmSession(key, 'client');
    };
    const xml = Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>');
    const errors = fake.sealErrors.length;
    const actions = fake.actions.length;
    try {
      const tampered = encryptBody(await login(), xml);
      tampered[tampered.length - 30]! ^= 0x01;
      expect((await post(tampered, { 'Content-Type': ENCRYPTED_CONTENT_TYPE })).status).toBe(400);
      agent.destroy(); // the listener closed the connection; log in again on a new one
      await login();
      expect((await post(xml, { 'Content-Type': 'application/soap+xml;charset=UTF-8' })).status).toBe(400);
    } finally {
      agent.destroy();
    }
    expect(fake.sealErrors.slice(errors)).toEqual([
      expect.stringMatching(/failed its NTLM signature check/),
      expect.stringMatching(/not sealed/),
    ]);
    expect(fake.actions.length).toBe(actions); // neither reached WS-Management
  });

  it('Basic over HTTP is refused before anything is sent', () => {
    const before = fake.wire.length + fake.auths.length;
    expect(() => new WinRmClient(options({ auth: 'basic' }))).toThrow(/never done/);
    expect(() => new WinRmClient(options({ certificate: { kind: 'unchecked' } }))).toThrow(/no certificate/);
    expect(fake.wire.length + fake.auths.length).toBe(before);
  });
});
