/**
 * One open SSH connection (through its jump hosts, if any): remote commands with exit codes and
 * bounded output, root through the target's sudo policy, SFTP uploads with progress, and local port
 * forwards (to reach a service that listens on the host's loopback only). Every consumer — the server
 * deployer, agent pushes, clean-up after a restart — uses this one class.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { AppError, isAppError } from '../../../../shared/errors';
import type { SecretStore } from '../../credentials/index';
import { mentionsNoSpace, sudoRefusal } from './errors';
import { sh } from './shell';
import { describeHop, type SshTarget } from './target';

export interface ExecOptions {
  /** Run as root, through the target's sudo policy (nothing to do when the login is root). */
  root?: boolean;
  /** Bytes written to the command's stdin, then EOF. */
  stdin?: string | Buffer;
  /** Bytes of stdout kept (the first ones); default 1 MiB. */
  maxStdout?: number;
  /** Bytes of stderr kept (the last ones: where errors are); default 64 KiB. */
  maxStderr?: number;
  /** Default 120 s; the remote command is sent SIGKILL and the channel closed after it. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit status; null when the command died of a signal or the channel closed without one. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

export interface UploadProgress {
  done: number;
  total: number;
}

/** Keeps the first (`head`) or last (`tail`) `limit` bytes of a stream. */
class Bounded {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(
    private readonly limit: number,
    private readonly keep: 'head' | 'tail',
  ) {}

  push(chunk: Buffer): void {
    if (this.keep === 'head') {
      const room = this.limit - this.size;
      if (room <= 0) {
        this.truncated = true;
        return;
      }
      if (chunk.length > room) this.truncated = true;
      const part = chunk.subarray(0, room);
      this.chunks.push(part);
      this.size += part.length;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

type SudoState = { kind: 'root' } | { kind: 'nopasswd' } | { kind: 'password'; password: string };

export class SshConnection {
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private sudo: Promise<SudoState> | undefined;
  private closedFlag = false;
  private readonly forwards = new Set<Server>();

  constructor(
    private readonly client: Client,
    /** Jump host connections, outermost first: closed after the target's. */
    private readonly jumps: Client[],
    readonly target: SshTarget,
    private readonly secrets: SecretStore,
  ) {
    client.on('close', () => {
      this.closedFlag = true;
    });
  }

  get name(): string {
    return describeHop(this.target);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Runs a command; resolves with its exit status and output whatever the status. */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    let line = command;
    let stdin = options.stdin;
    if (options.root) {
      const state = await this.sudoState();
      if (state.kind === 'nopasswd') line = `sudo -n -- sh -c ${sh([command])}`;
      else if (state.kind === 'password') {
        // -k: never use a cached credential, so sudo always reads (consumes) the password line and
        // the command never sees it on its stdin. The password travels on stdin only.
        line = `sudo -k -S -p '' -- sh -c ${sh([command])}`;
        stdin = Buffer.concat([Buffer.from(`${state.password}\n`), Buffer.from(options.stdin ?? '')]);
      }
    }
    return this.rawExec(line, { ...options, ...(stdin !== undefined ? { stdin } : {}) });
  }

  /**
   * Runs a command that must succeed. A failure becomes SSH_SUDO_REFUSED, SSH_NO_SPACE or
   * SSH_COMMAND_FAILED with `what` (what the command was for) and the end of its stderr.
   */
  async run(command: string, options: ExecOptions & { what: string }): Promise<ExecResult> {
    const r = await this.exec(command, options);
    if (r.code === 0) return r;
    const tail = r.stderr.trim().split('\n').slice(-5).join(' ').slice(-600);
    if (options.root && this.target.username !== 'root') {
      const refusal = sudoRefusal(r.stderr, this.target.username);
      if (refusal)
        throw new AppError('SSH_SUDO_REFUSED', `${options.what} on ${this.name}: ${refusal}`, {
          details: { host: this.target.host, username: this.target.username },
        });
    }
    if (mentionsNoSpace(r.stderr))
      throw new AppError(
        'SSH_NO_SPACE',
        `${options.what} on ${this.name} failed: the disk is full (${tail}). Free space on the host and try again.`,
        { details: { host: this.target.host } },
      );
    throw new AppError(
      'SSH_COMMAND_FAILED',
      `${options.what} on ${this.name} failed (exit ${r.code ?? r.signal ?? 'unknown'}): ${tail || 'no output'}`,
      { details: { host: this.target.host, code: r.code, signal: r.signal, stderr: tail } },
    );
  }

  private rawExec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.closedFlag)
      return Promise.reject(
        new AppError('SSH_UNREACHABLE', `The SSH connection to ${this.name} is closed.`, {
          details: { host: this.target.host },
        }),
      );
    const out = new Bounded(options.maxStdout ?? 1024 * 1024, 'head');
    const err = new Bounded(options.maxStderr ?? 64 * 1024, 'tail');
    const timeoutMs = options.timeoutMs ?? 120_000;
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, (e, stream: ClientChannel) => {
        if (e) {
          reject(
            new AppError('SSH_UNREACHABLE', `${this.name} refused to run a command: ${e.message}`, {
              details: { host: this.target.host },
              cause: e,
            }),
          );
          return;
        }
        let settled = false;
        const stop = (why: AppError): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          try {
            stream.signal('KILL');
          } catch {
            // Servers without signal support: closing the channel hangs the command up instead.
          }
          stream.close();
          reject(why);
        };
        const timer = setTimeout(
          () =>
            stop(
              new AppError('TIMEOUT', `A command on ${this.name} did not finish in ${timeoutMs / 1000} s.`, {
                details: { host: this.target.host },
              }),
            ),
          timeoutMs,
        );
        const onAbort = (): void =>
          stop(new AppError('CANCELLED', `A command on ${this.name} was cancelled.`));
        if (options.signal?.aborted) onAbort();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => err.push(d));
        stream.on('close', (code: number | null | undefined, signal: string | null | undefined) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          resolve({
            code: typeof code === 'number' ? code : null,
            signal: signal ?? null,
            stdout: out.text(),
            stderr: err.text(),
            stdoutTruncated: out.truncated,
            stderrTruncated: err.truncated,
          });
        });
        stream.end(options.stdin ?? '');
      });
    });
  }

  /** How root is reached, checked once per connection (SSH_SUDO_REFUSED when it cannot be). */
  private sudoState(): Promise<SudoState> {
    this.sudo ??= this.probeSudo();
    return this.sudo;
  }

  private async probeSudo(): Promise<SudoState> {
    if (this.target.username === 'root') return { kind: 'root' };
    const policy = this.target.sudo;
    if (policy.mode === 'none')
      throw new AppError(
        'SSH_SUDO_REFUSED',
        `This step needs root on ${this.name}, and the login "${this.target.username}" is not root. Allow sudo for this host (with or without a password), or log in as root.`,
        { details: { host: this.target.host, username: this.target.username } },
      );
    let state: SudoState = { kind: 'nopasswd' };
    let probe: ExecResult;
    if (policy.passwordRef) {
      const password = await this.secrets.get(policy.passwordRef);
      if (password === undefined)
        throw new AppError(
          'SECRET_MISSING',
          `The sudo password for ${this.name} is missing from the keychain. Save it again.`,
        );
      state = { kind: 'password', password };
      probe = await this.rawExec(`sudo -k -S -p '' -- true`, { stdin: `${password}\n`, timeoutMs: 30_000 });
    } else {
      probe = await this.rawExec('sudo -n -- true', { timeoutMs: 30_000 });
    }
    if (probe.code !== 0)
      throw new AppError(
        'SSH_SUDO_REFUSED',
        sudoRefusal(probe.stderr, this.target.username) ??
          `sudo on ${this.name} failed (exit ${probe.code ?? 'unknown'}): ${probe.stderr.trim().slice(-300)}`,
        { details: { host: this.target.host, username: this.target.username } },
      );
    return state;
  }

  /** Whether the sudo policy gets root here (for a preflight check); never throws for a refusal. */
  async canBecomeRoot(): Promise<{ ok: true } | { ok: false; message: string }> {
    try {
      await this.sudoState();
      return { ok: true };
    } catch (e) {
      this.sudo = undefined;
      if (isAppError(e, 'SSH_SUDO_REFUSED') || isAppError(e, 'SECRET_MISSING'))
        return { ok: false, message: e.message };
      throw e;
    }
  }

  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((e, s) => {
        if (e) {
          this.sftpSession = undefined;
          reject(
            new AppError(
              'SSH_COMMAND_FAILED',
              `${this.name} offers no SFTP (${e.message}). Enable the sftp subsystem in its sshd_config.`,
              { details: { host: this.target.host }, cause: e },
            ),
          );
        } else resolve(s);
      });
    });
    return this.sftpSession;
  }

  /**
   * Copies a local file to `remotePath` (created with `mode`, as the login user) with progress.
   * The caller moves it where root must own it (remote-files.ts).
   */
  async uploadFile(
    localPath: string,
    remotePath: string,
    options: { mode?: number; onProgress?: (p: UploadProgress) => void } = {},
  ): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => {
      sftp.fastPut(
        localPath,
        remotePath,
        {
          mode: options.mode ?? 0o600,
          concurrency: 64,
          chunkSize: 32 * 1024,
          step: (done, _nb, total) => options.onProgress?.({ done, total }),
        },
        (e) => (e ? reject(this.sftpError(e, remotePath)) : resolve()),
      );
    });
  }

  /** Writes bytes to `remotePath` (created with `mode`, default 0600) over SFTP. */
  async uploadData(
    data: string | Buffer,
    remotePath: string,
    options: { mode?: number } = {},
  ): Promise<void> {
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => {
      sftp.writeFile(remotePath, data, { mode: options.mode ?? 0o600 }, (e) =>
        e ? reject(this.sftpError(e, remotePath)) : resolve(),
      );
    });
  }

  private sftpError(e: Error, path: string): AppError {
    return new AppError(
      'SSH_COMMAND_FAILED',
      `Writing ${path} on ${this.name} over SFTP failed: ${e.message}`,
      {
        details: { host: this.target.host, path },
        cause: e,
      },
    );
  }

  /**
   * Listens on 127.0.0.1 (a free port) and forwards each connection through SSH to
   * `remoteHost:remotePort` as seen from the host — how the app reaches an API or GUI bound to the
   * host's loopback.
   */
  async forwardLocal(
    remoteHost: string,
    remotePort: number,
  ): Promise<{ port: number; close(): Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      this.client.forwardOut('127.0.0.1', 0, remoteHost, remotePort, (e, channel) => {
        if (e) {
          socket.destroy();
          return;
        }
        channel.on('error', () => socket.destroy());
        socket.pipe(channel).pipe(socket);
      });
    });
    this.forwards.add(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return {
      port: (server.address() as AddressInfo).port,
      close: () => this.closeForward(server, sockets),
    };
  }

  private closeForward(server: Server, sockets: Set<Socket>): Promise<void> {
    this.forwards.delete(server);
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** Closes forwards, SFTP, the connection and its jump hosts. Safe to call twice. */
  close(): void {
    for (const f of this.forwards) f.close();
    this.forwards.clear();
    this.client.end();
    for (const j of [...this.jumps].reverse()) j.end();
    this.closedFlag = true;
  }
}
