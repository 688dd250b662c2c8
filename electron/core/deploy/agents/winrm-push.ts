/**
 * Agents over WinRM (Windows). Per run (once): the client config from the server, the verified MSI
 * (the release's windows-amd64.msi from the cache, or the responder's own), and an HTTPS server of the
 * app's, for this run only, with a fresh certificate: it serves the MSI and the config at a random path.
 * Per host: the platform, then the host downloads both (certificate pinned, sha256 checked — no base64
 * chunks through the shell), msiexec installs quietly, the config goes where the official MSI's service
 * reads it, the service restarts; then verify: the service runs and the client id from the writeback
 * is listed by the server. Uninstall removes the MSI's product; the writeback only when asked.
 *
 * Credentials: the password comes from the keychain at login. The listener's certificate is checked
 * against the CA given or the pin the responder confirmed for that host:port (winrm/certificates.ts;
 * an unpinned host is refused with its fingerprint, a changed one with both); "unchecked" is an
 * explicit opt-out. Plain HTTP (the default 5985 listener) only when the responder chose it: NTLM with
 * every message sealed, Basic refused, and the run's log warns.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { WINRM_HTTP_WARNING, type AgentChannel } from '../../../../shared/agents';
import { AppError, isAppError } from '../../../../shared/errors';
import type { SecretStore } from '../../credentials/index';
import { createCertificateAuthority, issueCertificate } from '../../pki/index';
import type { VelociraptorService } from '../../velociraptor/index';
import { acceptLocalBinary, type ReleaseCache, type VerifiedBinary } from '../releases/cache';
import { agentConfig, checkLabel } from './client-config';
import { pollFor, waitForEnrollment } from './enrollment';
import type { HostContext, HostPusher, PushOpenContext, PushOutcome, PushSession } from './fanout';
import type { WinRmCertStore } from './winrm/cert-store';
import { certificateFacts, changedMessage, probeCertificate } from './winrm/certificates';
import { WinRmClient, type CertificatePolicy } from './winrm/client';
import {
  encodedCommand,
  fetchScript,
  installScript,
  MARK,
  marked,
  platformScript,
  statusScript,
  uninstallScript,
  WRITEBACK,
} from './winrm/scripts';

export const WinRmPushSettings = z.object({
  mode: z.enum(['install', 'uninstall']).default('install'),
  server: z.object({ connection: z.string().min(1), org: z.string().default('') }),
  login: z.object({
    user: z.string().min(1).max(104),
    /** NTLM domain; '' or '.' for a local account. */
    domain: z.string().max(255).default(''),
    auth: z.enum(['ntlm', 'basic']).default('ntlm'),
    passwordRef: z.string().min(1).max(200),
  }),
  tls: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('ca'), caPem: z.string().min(1) }),
    /** The certificates the responder confirmed once, pinned in the app's store (winrm/cert-store.ts). */
    z.object({ kind: z.literal('pinned') }),
    z.object({ kind: z.literal('unchecked'), acknowledged: z.literal(true) }),
    /** The plain HTTP listener (5985): no TLS at all; NTLM sealing protects the messages. */
    z.object({ kind: z.literal('http'), acknowledged: z.literal(true) }),
  ]),
  msi: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('release'), tag: z.string().min(1) }),
      z.object({ kind: z.literal('file'), path: z.string().min(1) }),
    ])
    .default({ kind: 'release', tag: 'latest' }),
  config: z
    .object({
      frontends: z
        .array(
          z.object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535),
            scheme: z.enum(['https', 'wss']).default('https'),
          }),
        )
        .max(8)
        .default([]),
      labels: z
        .array(z.string())
        .max(32)
        .default([])
        .refine((l) => l.every((x) => checkLabel(x) === x)),
    })
    .default({ frontends: [], labels: [] }),
  /**
   * Where the Windows hosts reach this machine for the downloads, and where it listens. An install
   * needs it; an uninstall downloads nothing.
   */
  serve: z
    .object({
      host: z.string().min(1).max(253),
      bind: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(0),
    })
    .optional(),
  enrollTimeoutMs: z.number().int().min(5_000).max(3_600_000).default(300_000),
  keepWriteback: z.boolean().default(true),
});
export type WinRmPushSettings = z.output<typeof WinRmPushSettings>;
export type WinRmPushSettingsInput = z.input<typeof WinRmPushSettings>;

export interface WinRmPusherDeps {
  secrets: SecretStore;
  releases: ReleaseCache;
  /** The WinRM certificates the responder confirmed (pin on first use). */
  certs: WinRmCertStore;
  server(target: { server: string; org: string }): Promise<VelociraptorService>;
  /** Seconds between two service/enrolment checks; default 2 s. */
  pollMs?: number;
}

interface Payload {
  url: string;
  sha256: string;
  file: string;
}

interface RunServer {
  msi: Payload;
  config: Payload;
  pin: string;
  close(): Promise<void>;
}

async function serveRun(
  host: string,
  bind: string,
  port: number,
  files: Array<{ name: string; data: Buffer; sha256: string }>,
): Promise<RunServer> {
  const ca = await createCertificateAuthority({ organization: 'Megaraptor agent push (one run)' });
  const isIp = /^[\d.]+$|:/.test(host);
  const leaf = await issueCertificate(ca, {
    commonName: host,
    ...(isIp ? { ipAddresses: [host] } : { dnsNames: [host] }),
  });
  const token = randomBytes(16).toString('hex');
  const byPath = new Map(files.map((f) => [`/${token}/${f.name}`, f]));
  const server: Server = createServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, (req, res) => {
    const f = req.method === 'GET' ? byPath.get(req.url ?? '') : undefined;
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': f.data.length });
    res.end(f.data);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(
        new AppError(
          'AGENT_INSTALL_FAILED',
          `The download server for the Windows hosts cannot listen on ${bind}:${port}: ${e.message}`,
          { cause: e },
        ),
      ),
    );
    server.listen(port, bind, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const base = `https://${host.includes(':') ? `[${host}]` : host}:${actual}/${token}`;
  const payload = (f: { name: string; sha256: string }): Payload => ({
    url: `${base}/${f.name}`,
    sha256: f.sha256,
    file: f.name,
  });
  return {
    msi: payload(files[0]!),
    config: payload(files[1]!),
    pin: new X509Certificate(leaf.certificatePem).fingerprint256,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export class WinRmAgentPusher implements HostPusher {
  readonly channel: AgentChannel = 'winrm';

  constructor(private readonly deps: WinRmPusherDeps) {}

  defaultPort(settings: unknown): number {
    return WinRmPushSettings.safeParse(settings).data?.tls.kind === 'http' ? 5985 : 5986;
  }

  parseSettings(settings: unknown): WinRmPushSettings {
    const s = WinRmPushSettings.parse(settings);
    if (s.mode === 'install' && !s.serve)
      throw new AppError(
        'INVALID_ARGUMENT',
        'An install needs this machine as the Windows hosts reach it (serve host): they download the MSI and the client config from it.',
      );
    if (s.tls.kind === 'http' && s.login.auth === 'basic')
      throw new AppError(
        'INVALID_ARGUMENT',
        'Basic over plain HTTP would send the password readable on the network, so it is never done. Use NTLM (sealed over HTTP) or the HTTPS listener.',
      );
    return s;
  }

  async open(raw: unknown, ctx: PushOpenContext): Promise<PushSession> {
    const s = this.parseSettings(raw);
    const server = await this.deps.server({ server: s.server.connection, org: s.server.org });
    if (s.tls.kind === 'unchecked')
      ctx.log(
        'WinRM certificates are NOT checked for this run (the responder turned the check off).',
        'warn',
      );
    if (s.tls.kind === 'http') ctx.log(WINRM_HTTP_WARNING, 'warn');
    let run: RunServer | undefined;
    if (s.mode === 'install' && s.serve) {
      const serve = s.serve;
      const config = agentConfig(await server.orgClientConfig({ signal: ctx.signal }), {
        frontends: s.config.frontends,
        labels: s.config.labels,
        // The path the status script reads, written out (not $ProgramFiles) so both name one file.
        writeback: { windows: WRITEBACK },
      });
      const msi = await this.obtainMsi(s, ctx);
      const configData = Buffer.from(config.yaml);
      run = await serveRun(serve.host, serve.bind, serve.port, [
        { name: 'velociraptor.msi', data: await readFile(msi.path), sha256: msi.sha256 },
        {
          name: 'client.config.yaml',
          data: configData,
          sha256: createHash('sha256').update(configData).digest('hex'),
        },
      ]);
      ctx.log(
        `Windows hosts download the MSI and config from ${new URL(run.msi.url).origin} (this run only); agents will dial ${config.serverUrls.join(', ')}.`,
      );
    }
    return {
      push: (h) => this.pushHost(h, s, server, run),
      close: async () => {
        await run?.close();
      },
    };
  }

  private async obtainMsi(
    s: WinRmPushSettings,
    ctx: Omit<PushOpenContext, 'runId'>,
  ): Promise<VerifiedBinary> {
    if (s.msi.kind === 'release') {
      const b = await this.deps.releases.obtain(
        s.msi.tag,
        { os: 'windows', arch: 'amd64', variant: '', format: 'msi' },
        { signal: ctx.signal },
      );
      ctx.log(`Using ${b.assetName ?? 'the MSI'} (sha256 ${b.sha256}, signature verified).`);
      return b;
    }
    const b = await acceptLocalBinary(s.msi.path);
    if (b.warning) ctx.log(b.warning, 'warn');
    return b;
  }

  /**
   * How the listener's certificate is checked during the handshake (none over plain HTTP). Pinned: the
   * pin the responder confirmed; with none, the certificate is only looked at, to name it in the
   * refusal (never accepted).
   */
  private async certificatePolicy(
    s: WinRmPushSettings,
    host: string,
    port: number,
  ): Promise<CertificatePolicy | undefined> {
    if (s.tls.kind === 'http') return undefined;
    if (s.tls.kind === 'ca') return { kind: 'ca', caPem: s.tls.caPem };
    if (s.tls.kind === 'unchecked') return { kind: 'unchecked' };
    const pin = await this.deps.certs.pinned(host, port);
    if (pin) return { kind: 'pinned', sha256: pin };
    const { cert } = await probeCertificate(host, port, { timeoutMs: 15_000 });
    const facts = certificateFacts(cert);
    throw new AppError(
      'WINRM_CERT_UNKNOWN',
      `The WinRM certificate of ${host}:${port} was never confirmed: SHA-256 ${facts.fingerprint} (subject ${facts.subject}; issuer ${facts.issuer}; valid ${facts.validFrom} to ${facts.validTo}). Nothing was sent to the host. Compare it with the listener's certificate on the host and confirm it (the wizard's certificate step, or --accept-winrm-cert ${host}:${port}=${facts.fingerprint}), or give the CA that issued it.`,
      { details: { host, port, ...facts } },
    );
  }

  private async pushHost(
    ctx: HostContext,
    s: WinRmPushSettings,
    server: VelociraptorService,
    run: RunServer | undefined,
  ): Promise<PushOutcome> {
    // The certificate first: an unconfirmed host is refused before the keychain is read.
    const certificate = await this.certificatePolicy(s, ctx.host.host, ctx.host.port);
    const password = await this.deps.secrets.get(s.login.passwordRef);
    if (password === undefined)
      throw new AppError(
        'WINRM_AUTH_FAILED',
        `No password is saved in the keychain under "${s.login.passwordRef}".`,
      );
    const client = new WinRmClient({
      ...(certificate ? { certificate } : { transport: 'http' }),
      host: ctx.host.host,
      port: ctx.host.port,
      auth: s.login.auth,
      user: s.login.user,
      domain: s.login.domain,
      password,
    });
    const onAbort = (): void => client.close();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const ps = async (script: string, what: string): Promise<string> => {
      const r = await client.run('powershell.exe', encodedCommand(script));
      if (r.exitCode !== 0)
        throw new AppError(
          'WINRM_COMMAND_FAILED',
          `${what} on ${ctx.host.host} failed (exit ${r.exitCode}): ${(r.stdout + r.stderr).trim().slice(-600)}`,
          {
            details: { exitCode: r.exitCode },
          },
        );
      return r.stdout;
    };
    try {
      const platform = marked(await ps(platformScript(), 'Detecting the system'), MARK.platform) ?? '';
      const [arch = '', ...name] = platform.split(' ');
      await ctx.setPlatform(`windows/${arch}${name.length ? ` ${name.join(' ')}` : ''}`);
      if (ctx.host.os !== 'auto' && ctx.host.os !== 'windows')
        throw new AppError(
          'AGENT_PLATFORM_UNSUPPORTED',
          `The host list says ${ctx.host.host} runs ${ctx.host.os}, but it runs Windows.`,
        );
      if (arch !== 'amd64')
        throw new AppError(
          'AGENT_PLATFORM_UNSUPPORTED',
          `${ctx.host.host} runs 32-bit Windows; this push installs the amd64 MSI.`,
        );
      if (s.mode === 'uninstall') {
        await ctx.enter('installing', 'msiexec /x');
        const clientId = marked(await ps(statusScript(), 'Reading the agent state'), MARK.client);
        await ps(uninstallScript(!s.keepWriteback), 'Uninstalling the agent');
        await ctx.removed([
          { kind: 'service', id: 'Velociraptor', title: 'agent service (MSI)' },
          ...(s.keepWriteback
            ? []
            : [{ kind: 'remote-file' as const, id: WRITEBACK, title: 'writeback (client identity)' }]),
        ]);
        await ctx.enter('verifying', 'checking that the service is gone');
        const state = marked(await ps(statusScript(), 'Checking the service'), MARK.service);
        if (state !== 'Missing')
          throw new AppError(
            'AGENT_INSTALL_FAILED',
            `The Velociraptor service on ${ctx.host.host} is still there (${state ?? '?'}).`,
          );
        return { outcome: 'removed', ...(clientId ? { clientId } : {}) };
      }
      if (!run) throw new AppError('INTERNAL', 'The download server of the run is not running.');
      const dir = `C:\\Windows\\Temp\\megaraptor-${ctx.runId}`;
      await ctx.enter('uploading', 'the host downloads the MSI and config');
      await ctx.create({ kind: 'remote-dir', id: dir, title: 'download folder' }, () =>
        ps(fetchScript(dir, run.pin, [run.msi, run.config]), 'Downloading the MSI and config'),
      );
      await ctx.enter('installing', 'msiexec /i');
      await ctx.create({ kind: 'service', id: 'Velociraptor', title: 'agent service (MSI)' }, () =>
        ps(installScript(dir, run.msi.file, run.config.file), 'Installing the MSI'),
      );
      await ctx.removed([{ kind: 'remote-dir', id: dir, title: 'download folder' }]);
      await ctx.enter('verifying', 'waiting for the service and the enrolment');
      const t0 = Date.now();
      const clientId = await pollFor(
        async () => {
          const out = await ps(statusScript(), 'Checking the service');
          return marked(out, MARK.service) === 'Running' ? marked(out, MARK.client) : null;
        },
        { timeoutMs: s.enrollTimeoutMs, signal: ctx.signal, intervalMs: this.deps.pollMs ?? 2000 },
      );
      if (!clientId)
        throw new AppError(
          'AGENT_NOT_ENROLLED',
          `The Velociraptor service on ${ctx.host.host} is not running with a client id after ${Math.round(s.enrollTimeoutMs / 1000)} s.`,
        );
      ctx.progress(0.5, `client ${clientId}: waiting for the server to list it`);
      await waitForEnrollment(server, clientId, ctx.host.host, {
        timeoutMs: Math.max(5_000, s.enrollTimeoutMs - (Date.now() - t0)),
        signal: ctx.signal,
        intervalMs: 1000,
      });
      return { outcome: 'enrolled', clientId };
    } catch (e) {
      if (ctx.signal.aborted)
        throw new AppError('CANCELLED', `The push to ${ctx.host.host} was cancelled.`, { cause: e });
      const changed = isAppError(e, 'WINRM_CERT_UNTRUSTED')
        ? (e.details as { fingerprint?: string; pinned?: string } | undefined)
        : undefined;
      if (changed?.fingerprint && changed.pinned)
        throw new AppError(
          'WINRM_CERT_UNTRUSTED',
          changedMessage(ctx.host.host, ctx.host.port, changed.fingerprint, changed.pinned),
          { details: { host: ctx.host.host, port: ctx.host.port, ...changed }, cause: e },
        );
      throw e;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await client.closeShell().catch(() => undefined);
      client.close();
    }
  }
}
