/**
 * Routes approval requests from a stdio MCP server (started by an assistant, outside the app) to the
 * running app, where the responder answers them on the Assistants page. The app listens on a unix
 * socket (a named pipe on Windows) in the data dir and writes a random token to a 0600 file next to
 * it; a caller must present that token first. One newline-delimited JSON exchange per request:
 *   → {"type":"hello","token":…}  → {"type":"ask","request":{…}}  ← {"type":"answer",…} | {"type":"error",…}
 * With no app listening, the stdio side refuses (POLICY_FORBIDDEN) unless the policy file allows
 * the tool.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, isErrorCode } from '../../../shared/errors';
import { ApprovalAnswer, ApprovalRequest, type Approver } from './approvals';

export function approvalSocketPath(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32')
    return `\\\\.\\pipe\\megaraptor-mcp-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
  return join(dataDir, 'mcp-approvals.sock');
}

export function approvalTokenPath(dataDir: string): string {
  return join(dataDir, 'mcp-approvals.token');
}

const Hello = z.object({ type: z.literal('hello'), token: z.string() });
const Ask = z.object({ type: z.literal('ask'), request: ApprovalRequest });
const Reply = z.union([
  z.object({ type: z.literal('answer'), answer: ApprovalAnswer }),
  z.object({ type: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }) }),
]);

function lines(socket: Socket, onLine: (line: string) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > 1024 * 1024) socket.destroy();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  });
}

export interface ApprovalSocketServer {
  path: string;
  close(): Promise<void>;
}

/** The app side: answers asks with `approver` (the ApprovalBroker). */
export async function startApprovalSocket(
  dataDir: string,
  approver: Approver,
): Promise<ApprovalSocketServer> {
  const path = approvalSocketPath(dataDir);
  const token = randomBytes(32).toString('base64url');
  const tokenFile = approvalTokenPath(dataDir);
  await writeFile(tokenFile, token + '\n', { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  if (process.platform !== 'win32') await rm(path, { force: true });

  const server: Server = createServer((socket) => {
    let authed = false;
    const abort = new AbortController();
    socket.on('close', () => abort.abort());
    socket.on('error', () => abort.abort());
    const reply = (msg: unknown) => {
      if (!socket.destroyed) socket.end(JSON.stringify(msg) + '\n');
    };
    lines(socket, (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      if (!authed) {
        const h = Hello.safeParse(msg);
        const given = Buffer.from(h.success ? h.data.token : '');
        const want = Buffer.from(token);
        if (!h.success || given.length !== want.length || !timingSafeEqual(given, want)) {
          reply({
            type: 'error',
            error: { code: 'CONTRACT_FORBIDDEN_SENDER', message: 'Wrong approval-socket token.' },
          });
          return;
        }
        authed = true;
        return;
      }
      const a = Ask.safeParse(msg);
      if (!a.success) {
        reply({
          type: 'error',
          error: { code: 'CONTRACT_INVALID_INPUT', message: 'Malformed approval request.' },
        });
        return;
      }
      approver.ask(a.data.request, abort.signal).then(
        (answer) => reply({ type: 'answer', answer }),
        (e: unknown) =>
          reply({
            type: 'error',
            error:
              e instanceof AppError
                ? { code: e.code, message: e.message }
                : { code: 'INTERNAL', message: String(e) },
          }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  if (process.platform !== 'win32') await chmod(path, 0o600);
  return {
    path,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(tokenFile, { force: true });
      if (process.platform !== 'win32') await rm(path, { force: true });
    },
  };
}

/** The stdio side: asks the running app; refuses when no app answers. */
export class SocketApprover implements Approver {
  constructor(private readonly dataDir: string) {}

  async ask(request: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalAnswer> {
    const noApp = (why: string) =>
      new AppError(
        'POLICY_FORBIDDEN',
        `${request.tool} needs the responder's approval, but ${why}. Start Megaraptor Desktop (its Assistants page answers approvals), or allow the tool in the assistant policy file.`,
        {
          details: { outcome: 'forbidden-by-policy' },
        },
      );
    let token: string;
    try {
      token = (await readFile(approvalTokenPath(this.dataDir), 'utf8')).trim();
    } catch {
      throw noApp('Megaraptor Desktop is not running');
    }
    return new Promise<ApprovalAnswer>((resolve, reject) => {
      const socket = connect(approvalSocketPath(this.dataDir));
      let settled = false;
      const done = (f: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        f();
      };
      const onAbort = () =>
        done(() =>
          reject(new AppError('CANCELLED', 'The assistant cancelled the call while it waited for approval.')),
        );
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', () => done(() => reject(noApp('Megaraptor Desktop is not running'))));
      socket.on('close', () => done(() => reject(noApp('the app closed the approval connection'))));
      socket.on('connect', () => {
        socket.write(
          JSON.stringify({ type: 'hello', token }) + '\n' + JSON.stringify({ type: 'ask', request }) + '\n',
        );
      });
      lines(socket, (line) => {
        let parsed: z.infer<typeof Reply>;
        try {
          parsed = Reply.parse(JSON.parse(line));
        } catch {
          done(() => reject(new AppError('INTERNAL', 'The app sent a malformed approval answer.')));
          return;
        }
        if (parsed.type === 'answer') {
          const answer = parsed.answer;
          done(() => resolve(answer));
        } else {
          const { code, message } = parsed.error;
          done(() =>
            reject(
              new AppError(isErrorCode(code) ? code : 'INTERNAL', message, {
                details: {
                  outcome:
                    code === 'APPROVAL_TIMEOUT'
                      ? 'timeout'
                      : code === 'APPROVAL_DENIED'
                        ? 'denied'
                        : 'forbidden-by-policy',
                },
              }),
            ),
          );
        }
      });
    });
  }
}
