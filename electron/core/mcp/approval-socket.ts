/**
 * Routes approval requests from a stdio MCP server (started by an assistant, outside the app) to the
 * running app, where the responder answers them on the Assistants page. The app listens on a unix
 * socket in the data dir (on Windows a named pipe whose name is random for each run) and writes
 * the endpoint and a random token to a 0600 file next to it. The token never crosses the socket:
 * each side proves it holds it (HMAC over the other side's nonce), the app first, so a process that
 * got to the socket or pipe name before the app (pipe squatting) learns nothing and can answer
 * nothing. One newline-delimited JSON exchange per request:
 *   → hello {nonce}  ← challenge {proof, nonce}  → auth {proof}  → ask {request}  ← answer | error
 * On unix the stdio side also refuses a socket path that is not a socket owned by this user. With
 * no app listening, the stdio side refuses (POLICY_FORBIDDEN) unless the policy allows the tool.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, lstat, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, isErrorCode } from '../../../shared/errors';
import { ApprovalAnswer, ApprovalRequest, type Approver } from './approvals';

/**
 * Where the app listens: a socket in the data dir, or on Windows a pipe named with 128 random bits
 * (a name derived from the data dir could be taken first by another process of the machine).
 */
export function approvalSocketPath(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return `\\\\.\\pipe\\megaraptor-mcp-${randomBytes(16).toString('hex')}`;
  return join(dataDir, 'mcp-approvals.sock');
}

export function approvalTokenPath(dataDir: string): string {
  return join(dataDir, 'mcp-approvals.token');
}

const Endpoint = z.object({ path: z.string().min(1).max(500), token: z.string().min(32).max(200) });
type Endpoint = z.infer<typeof Endpoint>;

/** The proof of holding `token`, bound to the side that proves and the nonce the other side chose. */
export function approvalProof(token: string, side: 'app' | 'stdio', nonce: string): string {
  return createHmac('sha256', token).update(`megaraptor-approvals:${side}:${nonce}`).digest('base64url');
}

export function proofMatches(token: string, side: 'app' | 'stdio', nonce: string, proof: string): boolean {
  const want = Buffer.from(approvalProof(token, side, nonce));
  const given = Buffer.from(proof);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** On unix: the socket must be a socket (not a link or a file) owned by this user. */
export async function checkSocketFile(path: string, uid = process.getuid?.()): Promise<string | null> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 'Megaraptor Desktop is not running';
  }
  if (!st.isSocket()) return `${path} is not the app's approval socket (not a socket)`;
  if (uid !== undefined && st.uid !== uid)
    return `${path} is not the app's approval socket (owned by user ${st.uid}, not ${uid})`;
  return null;
}

const nonce = (): string => randomBytes(16).toString('base64url');

const Hello = z.object({ type: z.literal('hello'), nonce: z.string().min(16).max(64) });
const Challenge = z.object({
  type: z.literal('challenge'),
  proof: z.string().max(100),
  nonce: z.string().min(16).max(64),
});
const Auth = z.object({ type: z.literal('auth'), proof: z.string().max(100) });
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

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
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
  if (process.platform !== 'win32') await rm(path, { force: true });

  const server: Server = createServer((socket) => {
    let stage: 'hello' | 'auth' | 'ask' = 'hello';
    let mine = '';
    const abort = new AbortController();
    socket.on('close', () => abort.abort());
    socket.on('error', () => abort.abort());
    const send = (msg: unknown) => {
      if (!socket.destroyed) socket.write(JSON.stringify(msg) + '\n');
    };
    const reply = (msg: unknown) => {
      if (!socket.destroyed) socket.end(JSON.stringify(msg) + '\n');
    };
    lines(socket, (line) => {
      const msg = parseLine(line);
      if (stage === 'hello') {
        const h = Hello.safeParse(msg);
        if (!h.success) return void socket.destroy();
        mine = nonce();
        stage = 'auth';
        send({ type: 'challenge', proof: approvalProof(token, 'app', h.data.nonce), nonce: mine });
        return;
      }
      if (stage === 'auth') {
        const a = Auth.safeParse(msg);
        if (!a.success || !proofMatches(token, 'stdio', mine, a.data.proof)) {
          reply({
            type: 'error',
            error: { code: 'CONTRACT_FORBIDDEN_SENDER', message: 'Wrong approval-socket proof.' },
          });
          return;
        }
        stage = 'ask';
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
  // Written once the endpoint listens: a stdio server reads both from here.
  const endpoint: Endpoint = { path, token };
  await writeFile(tokenFile, JSON.stringify(endpoint) + '\n', { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  return {
    path,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(tokenFile, { force: true });
      if (process.platform !== 'win32') await rm(path, { force: true });
    },
  };
}

/** The stdio side: asks the running app; refuses when no app (or not the app) answers. */
export class SocketApprover implements Approver {
  constructor(private readonly dataDir: string) {}

  async ask(request: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalAnswer> {
    const noApp = (why: string) =>
      new AppError(
        'POLICY_FORBIDDEN',
        `${request.tool} needs the responder's approval, but ${why}. Start Megaraptor Desktop (its Assistants page answers approvals), or have the responder allow the tool in the assistant policy there.`,
        {
          details: { outcome: 'forbidden-by-policy' },
        },
      );
    let endpoint: Endpoint;
    try {
      endpoint = Endpoint.parse(JSON.parse(await readFile(approvalTokenPath(this.dataDir), 'utf8')));
    } catch {
      throw noApp('Megaraptor Desktop is not running');
    }
    if (process.platform !== 'win32') {
      const problem = await checkSocketFile(endpoint.path);
      if (problem) throw noApp(problem);
    }
    const { path, token } = endpoint;
    return new Promise<ApprovalAnswer>((resolve, reject) => {
      const socket = connect(path);
      const mine = nonce();
      let proven = false;
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
      socket.on('connect', () => socket.write(JSON.stringify({ type: 'hello', nonce: mine }) + '\n'));
      lines(socket, (line) => {
        const msg = parseLine(line);
        if (!proven) {
          // The answering process must prove it holds the token before it sees anything else.
          const c = Challenge.safeParse(msg);
          if (!c.success || !proofMatches(token, 'app', mine, c.data.proof)) {
            done(() => reject(noApp('the process answering on the approval socket is not the app')));
            return;
          }
          proven = true;
          socket.write(
            JSON.stringify({ type: 'auth', proof: approvalProof(token, 'stdio', c.data.nonce) }) +
              '\n' +
              JSON.stringify({ type: 'ask', request }) +
              '\n',
          );
          return;
        }
        const parsed = Reply.safeParse(msg);
        if (!parsed.success) {
          done(() => reject(new AppError('INTERNAL', 'The app sent a malformed approval answer.')));
          return;
        }
        if (parsed.data.type === 'answer') {
          const answer = parsed.data.answer;
          done(() => resolve(answer));
        } else {
          const { code, message } = parsed.data.error;
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
