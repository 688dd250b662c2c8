/**
 * A WinRM client over HTTPS: the listener's certificate checked against a CA the responder gives, or
 * pinned (its SHA-256 fingerprint, confirmed once) — or, only when the responder explicitly turns the
 * check off, not checked (the caller warns). Nothing is sent before the check: the TLS socket is corked
 * until the certificate passed. Logins: NTLMv2 (domain or local accounts; channel binding always sent,
 * as listeners with Extended Protection demand) or Basic (local accounts). Kerberos is out of scope.
 *
 * Plain HTTP (the default 5985 listener) only when the responder chose it (`transport: 'http'`):
 * NTLM with every envelope sealed (ntlm-session.ts, http-encryption.ts) — an answer that is not
 * sealed or fails its signature is refused — and Basic never, as it would send the password readable.
 *
 * One connection per client (NTLM authenticates the connection); commands run in one cmd shell.
 */
import { randomBytes, type X509Certificate } from 'node:crypto';
import { Agent, request, type AgentOptions } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { connect, checkServerIdentity, type TLSSocket } from 'node:tls';
import { AppError, isAppError } from '../../../../../shared/errors';
import { decryptBody, ENCRYPTED_CONTENT_TYPE, encryptBody, isEncrypted } from './http-encryption';
import { authenticateMessage, negotiateMessage, parseChallenge } from './ntlm';
import { NtlmSession } from './ntlm-session';
import {
  ACTION,
  commandBody,
  commandIdOf,
  createShellBody,
  envelope,
  readAnswer,
  receiveBody,
  receivedOf,
  shellIdOf,
  signalBody,
} from './wsman';

export type CertificatePolicy =
  | { kind: 'ca'; caPem: string }
  | { kind: 'pinned'; sha256: string }
  /** The responder turned the check off for this run (warned in the UI and the run's log). */
  | { kind: 'unchecked' };

export interface WinRmOptions {
  /** 'http' only when the responder chose it (warned): NTLM sealing protects the messages; no Basic. */
  transport?: 'https' | 'http';
  /** How the HTTPS listener's certificate is checked: required over HTTPS, none over HTTP. */
  certificate?: CertificatePolicy;
  host: string;
  /** 5986 over HTTPS, 5985 over HTTP. */
  port?: number;
  auth: 'ntlm' | 'basic';
  user: string;
  /** NTLM domain ('' or '.' for a local account). */
  domain?: string;
  password: string;
  timeoutMs?: number;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** `AA:BB:…` upper-case SHA-256 fingerprint, as Node and the certificate dialogs show it. */
export function normalizeFingerprint(fp: string): string {
  const hex = fp
    .replace(/^sha256[:/]?/i, '')
    .replace(/[^0-9a-f]/gi, '')
    .toUpperCase();
  if (hex.length !== 64) throw new AppError('INVALID_ARGUMENT', `"${fp}" is not a SHA-256 fingerprint.`);
  return hex.match(/../g)!.join(':');
}

function verify(
  socket: TLSSocket,
  cert: X509Certificate | undefined,
  host: string,
  policy: CertificatePolicy,
): AppError | null {
  if (!cert) return new AppError('WINRM_CERT_UNTRUSTED', `${host} presented no certificate.`);
  const fingerprint = cert.fingerprint256;
  if (policy.kind === 'unchecked') return null;
  if (policy.kind === 'pinned')
    return normalizeFingerprint(policy.sha256) === fingerprint
      ? null
      : new AppError(
          'WINRM_CERT_UNTRUSTED',
          `The WinRM certificate of ${host} changed: its fingerprint is ${fingerprint}, not the ${normalizeFingerprint(policy.sha256)} confirmed before. Check the host before trusting the new one.`,
          { details: { host, fingerprint, pinned: normalizeFingerprint(policy.sha256) } },
        );
  if (!socket.authorized)
    return new AppError(
      'WINRM_CERT_UNTRUSTED',
      `The WinRM certificate of ${host} is not issued by the CA given (${String(socket.authorizationError)}). Give the CA that issued it, or confirm its fingerprint ${fingerprint}.`,
      { details: { host, fingerprint } },
    );
  const identity = checkServerIdentity(host, cert.toLegacyObject());
  return identity
    ? new AppError('WINRM_CERT_UNTRUSTED', `The WinRM certificate is not for ${host}: ${identity.message}`, {
        details: { host, fingerprint },
      })
    : null;
}

/** An HTTPS agent whose one keep-alive socket sends nothing until the certificate passed. */
class CheckedAgent extends Agent {
  peerCertificate: Buffer | undefined;

  constructor(
    private readonly host: string,
    private readonly policy: CertificatePolicy,
    options: AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: { host?: string | null; port?: number | null }): TLSSocket {
    const host = this.host;
    const socket = connect({
      host,
      port: options.port ?? 5986,
      rejectUnauthorized: false,
      ...(this.policy.kind === 'ca' ? { ca: this.policy.caPem } : {}),
      ...(isIP(host) ? {} : { servername: host }),
      ALPNProtocols: ['http/1.1'],
    });
    socket.cork();
    socket.once('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      const problem = verify(socket, cert, host, this.policy);
      if (problem) return socket.destroy(problem);
      this.peerCertificate = cert?.raw;
      socket.uncork();
    });
    return socket;
  }
}

interface HttpAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  raw: Buffer;
}

export class WinRmClient {
  private readonly agent: CheckedAgent | HttpAgent;
  private readonly url: string;
  private authenticated = false;
  /** Plain HTTP: the NTLM session of the authenticated connection. */
  private sealing: NtlmSession | undefined;
  /** Plain HTTP: a sealed answer failed its check; the client is not used any more. */
  private broken: AppError | undefined;

  constructor(private readonly o: WinRmOptions) {
    const http = o.transport === 'http';
    const port = o.port ?? (http ? 5985 : 5986);
    const host = o.host.includes(':') ? `[${o.host}]` : o.host;
    this.url = `${http ? 'http' : 'https'}://${host}:${port}/wsman`;
    if (http && o.auth !== 'ntlm')
      throw new AppError(
        'INVALID_ARGUMENT',
        `Basic over plain HTTP would send the password for ${o.host} readable on the network, so it is never done. Use NTLM (sealed) or the HTTPS listener.`,
      );
    if (http === Boolean(o.certificate))
      throw new AppError(
        'INVALID_ARGUMENT',
        http
          ? 'A plain HTTP listener has no certificate to check; give none.'
          : `Give how the certificate of ${o.host}'s HTTPS listener is checked: a CA, a confirmed fingerprint, or unchecked.`,
      );
    this.agent = o.certificate
      ? new CheckedAgent(o.host, o.certificate, { keepAlive: true, maxSockets: 1 })
      : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  close(): void {
    this.agent.destroy();
  }

  private http(
    body: string | Buffer,
    authorization?: string,
    contentType = 'application/soap+xml;charset=UTF-8',
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = (this.agent instanceof CheckedAgent ? request : httpRequest)(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'Content-Type': contentType,
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': 'Megaraptor WinRM',
            ...(authorization ? { Authorization: authorization } : {}),
          },
          timeout: this.o.timeoutMs ?? 120_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > 8 * 1024 * 1024)
              req.destroy(new AppError('WINRM_FAULT', 'The host answered more than 8 MiB.'));
            else chunks.push(c);
          });
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new AppError('TIMEOUT', `${this.o.host} did not answer in time.`)));
      req.on('error', (e) => {
        if (isAppError(e)) return reject(e);
        reject(
          new AppError(
            'WINRM_UNREACHABLE',
            `The WinRM listener ${this.url} cannot be reached: ${e.message}`,
            {
              cause: e,
            },
          ),
        );
      });
      req.end(body);
    });
  }

  private refused(): AppError {
    return new AppError(
      'WINRM_AUTH_FAILED',
      `${this.o.host} refused the ${this.o.auth === 'ntlm' ? 'NTLM' : 'Basic'} login as ${this.o.domain ? `${this.o.domain}\\` : ''}${this.o.user}. Check the account and password${this.o.auth === 'basic' ? ', and that the listener allows Basic (local accounts only)' : ''}.`,
    );
  }

  private async login(body: string): Promise<HttpAnswer> {
    if (this.o.auth === 'basic') {
      const token = Buffer.from(`${this.o.user}:${this.o.password}`, 'utf8').toString('base64');
      const r = await this.http(body, `Basic ${token}`);
      if (r.status === 401) throw this.refused();
      return r;
    }
    const seal = this.o.transport === 'http';
    const first = await this.http('', `Negotiate ${negotiateMessage({ seal }).toString('base64')}`);
    const offer = [first.headers['www-authenticate'] ?? []]
      .flat()
      .map((h) => /^(?:Negotiate|NTLM) ([A-Za-z0-9+/=]+)$/.exec(h.trim())?.[1])
      .find(Boolean);
    if (first.status !== 401 || !offer)
      throw new AppError('WINRM_AUTH_FAILED', `${this.o.host} does not offer NTLM (status ${first.status}).`);
    const challenge = parseChallenge(Buffer.from(offer, 'base64'));
    const domain = this.o.domain === '.' ? '' : (this.o.domain ?? '');
    const exportedSessionKey = seal ? randomBytes(16) : undefined;
    const peerCertificate = this.agent instanceof CheckedAgent ? this.agent.peerCertificate : undefined;
    const auth = authenticateMessage(
      challenge,
      { user: this.o.user, domain, password: this.o.password },
      {
        ...(peerCertificate ? { serverCertificate: peerCertificate } : {}),
        ...(exportedSessionKey ? { exportedSessionKey } : {}),
        spn: `HTTP/${this.o.host}`,
      },
    );
    const r = await this.http(body, `Negotiate ${auth.toString('base64')}`);
    if (r.status === 401) throw this.refused();
    if (exportedSessionKey) this.sealing = new NtlmSession(exportedSessionKey, 'client');
    return r;
  }

  /**
   * Plain HTTP: logs in with an empty request (the envelope must not go out before the session keys
   * exist), then sends the envelope sealed and unseals the answer. Over a new connection (the old one
   * closed) the listener asks again (401), so the login and the envelope are repeated once.
   */
  private async sealedExchange(xml: string): Promise<HttpAnswer> {
    if (this.broken) throw this.broken;
    for (let attempt = 0; ; attempt++) {
      if (!this.sealing) {
        const r = await this.login('');
        if (r.status !== 200 || !this.sealing)
          throw new AppError(
            'WINRM_AUTH_FAILED',
            `${this.o.host} did not accept the sealed NTLM login (HTTP ${r.status}).`,
          );
      }
      const r = await this.http(
        encryptBody(this.sealing, Buffer.from(xml, 'utf8')),
        undefined,
        ENCRYPTED_CONTENT_TYPE,
      );
      if (r.status === 401 && attempt === 0) {
        this.sealing = undefined;
        continue;
      }
      if (!r.raw.length) return r;
      try {
        if (!isEncrypted(r.headers['content-type']))
          throw new AppError(
            'WINRM_SEAL_INVALID',
            `${this.o.host} answered over plain HTTP without sealing (HTTP ${r.status}); the answer is not used, as anyone on the path could have written it.`,
          );
        const body = decryptBody(this.sealing, r.raw);
        return { ...r, body: body.toString('utf8'), raw: body };
      } catch (e) {
        if (isAppError(e)) {
          this.broken = e;
          this.sealing = undefined;
          this.agent.destroy();
        }
        throw e;
      }
    }
  }

  /** Sends one envelope; logs in on the connection first when it is not authenticated. */
  private async send(input: Parameters<typeof envelope>[0]): Promise<ReturnType<typeof readAnswer>> {
    const { xml, messageId } = envelope(input);
    let r: HttpAnswer;
    if (this.o.transport === 'http') r = await this.sealedExchange(xml);
    else {
      r = this.authenticated ? await this.http(xml) : await this.login(xml);
      if (r.status === 401 && this.authenticated) {
        // The connection was closed and a new one is not authenticated yet.
        this.authenticated = false;
        r = await this.login(xml);
      }
      this.authenticated = r.status !== 401;
    }
    if (r.status !== 200 && !(r.status === 500 && r.body.includes('Fault')))
      throw new AppError(
        'WINRM_FAULT',
        `${this.o.host} answered HTTP ${r.status} to a WS-Management request.`,
      );
    return readAnswer(r.body, messageId);
  }

  private shellId: string | undefined;

  async openShell(): Promise<string> {
    const root = await this.send({
      to: this.url,
      action: ACTION.create,
      options: { WINRS_NOPROFILE: 'FALSE', WINRS_CODEPAGE: '65001' },
      body: createShellBody,
    });
    this.shellId = shellIdOf(root);
    return this.shellId;
  }

  /** Runs `command args…` in the shell (cmd.exe rules: quote arguments yourself) until it ends. */
  async run(command: string, args: readonly string[] = [], deadlineMs = 600_000): Promise<CommandResult> {
    const shellId = this.shellId ?? (await this.openShell());
    const started = await this.send({
      to: this.url,
      action: ACTION.command,
      shellId,
      options: { WINRS_CONSOLEMODE_STDIN: 'TRUE', WINRS_SKIP_CMD_SHELL: 'FALSE' },
      body: commandBody(command, args),
    });
    const commandId = commandIdOf(started);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const t0 = Date.now();
    try {
      for (;;) {
        const got = receivedOf(
          await this.send({
            to: this.url,
            action: ACTION.receive,
            shellId,
            body: receiveBody(commandId),
            timeoutS: 20,
          }),
          commandId,
        );
        out.push(got.stdout);
        err.push(got.stderr);
        if (got.done)
          return {
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
            exitCode: got.exitCode ?? -1,
          };
        if (Date.now() - t0 > deadlineMs)
          throw new AppError(
            'TIMEOUT',
            `"${command}" on ${this.o.host} did not end within ${Math.round(deadlineMs / 1000)} s.`,
          );
      }
    } finally {
      await this.send({ to: this.url, action: ACTION.signal, shellId, body: signalBody(commandId) }).catch(
        () => undefined,
      );
    }
  }

  async closeShell(): Promise<void> {
    if (!this.shellId) return;
    const shellId = this.shellId;
    this.shellId = undefined;
    await this.send({ to: this.url, action: ACTION.delete, shellId, body: '' });
  }
}
