/**
 * The approval channel between a stdio server and the app: the Windows pipe name is random, the
 * token never crosses the socket, and the stdio side talks only to a process that proves it holds
 * the token (a squatter on the socket or pipe learns nothing and approves nothing).
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  approvalProof,
  approvalSocketPath,
  approvalTokenPath,
  checkSocketFile,
  proofMatches,
  SocketApprover,
  startApprovalSocket,
} from './approval-socket';
import { ApprovalBroker, type ApprovalRequest } from './approvals';

const request: ApprovalRequest = {
  id: 'r1',
  tool: 'label_client',
  client: 'test (stdio)',
  arguments: { client_id: 'C.1' },
  plan: { summary: 'label', operations: [] },
  createdAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 10_000).toISOString(),
};

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('the approval channel', () => {
  it('names the Windows pipe with 128 random bits, not after the data dir', () => {
    const a = approvalSocketPath('C:\\Users\\r\\AppData\\Megaraptor', 'win32');
    const b = approvalSocketPath('C:\\Users\\r\\AppData\\Megaraptor', 'win32');
    expect(a).toMatch(/^\\\\\.\\pipe\\megaraptor-mcp-[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it('proofs are bound to the side and the nonce, and need the token', () => {
    const p = approvalProof('t'.repeat(43), 'app', 'n'.repeat(22));
    expect(proofMatches('t'.repeat(43), 'app', 'n'.repeat(22), p)).toBe(true);
    expect(proofMatches('t'.repeat(43), 'stdio', 'n'.repeat(22), p)).toBe(false);
    expect(proofMatches('t'.repeat(43), 'app', 'm'.repeat(22), p)).toBe(false);
    expect(proofMatches('u'.repeat(43), 'app', 'n'.repeat(22), p)).toBe(false);
  });

  it('carries an approval to the app and its answer back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-approvals-'));
    const broker = new ApprovalBroker();
    const sock = await startApprovalSocket(dir, broker);
    closers.push(() => sock.close());
    const answer = new SocketApprover(dir).ask(request);
    await expect.poll(() => broker.list().length).toBe(1);
    broker.decide('r1', { decision: 'approved' });
    expect(await answer).toEqual({ decision: 'approved' });
  });

  it('refuses a squatter that answers on the socket: it gets neither the token nor the request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-approvals-'));
    const token = 'T'.repeat(43);
    const path = join(dir, 'squat.sock');
    let received = '';
    const squatter: Server = createServer((s) => {
      s.on('data', (d: Buffer) => {
        received += d.toString();
        // It approves whatever comes, as an attacker's process would.
        s.write(JSON.stringify({ type: 'challenge', proof: 'x'.repeat(43), nonce: 'y'.repeat(22) }) + '\n');
        s.write(JSON.stringify({ type: 'answer', answer: { decision: 'approved' } }) + '\n');
      });
    });
    await new Promise<void>((r) => squatter.listen(path, r));
    closers.push(() => new Promise((r) => squatter.close(r)));
    writeFileSync(approvalTokenPath(dir), JSON.stringify({ path, token }), { mode: 0o600 });
    await expect(new SocketApprover(dir).ask(request)).rejects.toMatchObject({
      code: 'POLICY_FORBIDDEN',
      message: expect.stringContaining('is not the app'),
    });
    expect(received).toContain('"hello"');
    expect(received).not.toContain(token);
    expect(received).not.toContain('label_client');
  });

  it('on unix, talks only to a socket owned by this user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-approvals-'));
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    expect(await checkSocketFile(file)).toMatch(/not a socket/);
    const sock = join(dir, 'real.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    closers.push(() => new Promise((r) => server.close(r)));
    expect(await checkSocketFile(sock)).toBeNull();
    const link = join(dir, 'link.sock');
    symlinkSync(sock, link);
    expect(await checkSocketFile(link)).toMatch(/not a socket/);
    expect(await checkSocketFile(sock, (process.getuid?.() ?? 0) + 1)).toMatch(/owned by user/);
    expect(await checkSocketFile(join(dir, 'absent.sock'))).toMatch(/not running/);
  });
});
