/**
 * The agents contract (shared/contracts/agents.ts) answered by the AgentService: the wizard's review
 * (the run as it would be journaled, plus the agent config the server gives — where agents dial, the
 * CA they pin, the labels), runs started in the background and polled by the page, cancel, resume,
 * the CSV in the data folder's exports, host keys scanned and confirmed, and the kits (an Ansible kit
 * as a .tar.gz, an offline collector with its tools preloaded and built by the server), saved under
 * `exports/agent-kits/`, and a returned collection imported.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { HostName, type AgentChannel } from '../../../../shared/agents';
import type { agentsContract, EnrollmentCheck, PushReview } from '../../../../shared/contracts/agents';
import { describeError } from '../../../../shared/errors';
import type { ImportedCollection } from '../../../../shared/agent-kits';
import type { UploadStore } from '../../files/index';
import { latestProgress, type CallContext, type Handlers } from '../../rpc/index';
import type { VelociraptorService } from '../../velociraptor/index';
import { tarStream, type TarEntry } from '../docker/tar';
import type { ReleaseCache } from '../releases/cache';
import { writeAnsibleKit } from './ansible-kit';
import { agentConfig } from './client-config';
import { darwinLayout, LINUX_CLIENT_UNIT, linuxLayout } from './layout';
import { FULL_DISK_ACCESS_NOTE } from './mac-service';
import { gpoKitStream, installerStream } from './installer-handlers';
import { kitFolder, stamp } from './kit-folder';
import { OfflineCollectorSpec } from './offline-collector';
import type { AgentService, SshPushRequest, WinRmPushRequest } from './service';
import { runSummary } from './summary';
import { INSTALL_DIR, SERVICE_NAME } from './winrm/scripts';

export interface AgentHandlerDeps {
  agents: AgentService;
  dataDir: string;
  /** Where a returned collection arrives from the window (uploads:*, kind `collection`). */
  uploads: UploadStore;
  server: (target: { server: string; org: string }) => Promise<VelociraptorService>;
  releases: ReleaseCache;
}

interface RequestIn {
  channel: AgentChannel;
  name: string;
  hosts: SshPushRequest['hosts'];
  concurrency: number;
  retries: number;
  settings: Record<string, unknown>;
}

function request(i: RequestIn): SshPushRequest | WinRmPushRequest {
  return {
    name: i.name,
    hosts: i.hosts,
    concurrency: i.concurrency,
    retries: i.retries,
    settings: i.settings as SshPushRequest['settings'],
  };
}

/** What each kind of host gets, in the words of the layout the pusher uses. */
function installs(channel: AgentChannel, mode: string): PushReview['installs'] {
  if (mode === 'uninstall')
    return [{ os: 'all', what: 'The agent the push installed is stopped and removed.' }];
  if (channel === 'winrm')
    return [
      {
        os: 'windows',
        what: `The host downloads the MSI from this app (HTTPS, pinned, sha256 checked), msiexec installs it into ${INSTALL_DIR}; service "${SERVICE_NAME}".`,
      },
    ];
  const linux = linuxLayout('run');
  const mac = darwinLayout('run');
  return [
    {
      os: 'linux',
      what: `${linux.binary}, ${linux.config} (root only), unit ${LINUX_CLIENT_UNIT}; identity in ${linux.writeback}.`,
    },
    { os: 'darwin', what: `${mac.binary} and its config, launchd job via Velociraptor's service install.` },
  ];
}

async function review(deps: AgentHandlerDeps, i: RequestIn): Promise<PushReview> {
  const draft =
    i.channel === 'winrm'
      ? deps.agents.review(request(i) as WinRmPushRequest, 'winrm')
      : deps.agents.review(request(i) as SshPushRequest);
  const settings = draft.settings as {
    mode: string;
    server: { connection: string; org: string };
    config?: { frontends: Array<{ host: string; port: number; scheme: 'https' | 'wss' }>; labels: string[] };
    tls?: { kind: string };
  };
  const warnings: string[] = [];
  let config: PushReview['config'] = null;
  if (settings.mode === 'install') {
    const server = await deps.server({ server: settings.server.connection, org: settings.server.org });
    const c = agentConfig(await server.orgClientConfig(), {
      frontends: settings.config?.frontends ?? [],
      labels: settings.config?.labels ?? [],
    });
    config = { serverUrls: c.serverUrls, caFingerprint: c.caFingerprint, labels: c.labels };
  }
  if (i.channel === 'ssh' && draft.hosts.some((h) => h.os === 'darwin' || h.os === 'auto'))
    warnings.push(FULL_DISK_ACCESS_NOTE);
  if (settings.tls?.kind === 'unchecked')
    warnings.push('WinRM certificates are NOT checked for this push: anyone on the path can read the login.');
  return {
    channel: draft.channel,
    name: draft.name,
    concurrency: draft.concurrency,
    retries: draft.retries,
    hosts: draft.hosts.map((h) => ({ key: h.key, host: h.host, port: h.port, os: h.os })),
    config,
    installs: installs(draft.channel, settings.mode),
    warnings,
  };
}

/** The folder as a gzip'd tar (modes kept: the config stays 0600 for whoever unpacks it). */
async function tarGz(dir: string, to: string): Promise<void> {
  const entries: TarEntry[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = join(d, e.name);
      const path = relative(dir, full);
      const mode = (await stat(full)).mode & 0o777;
      if (e.isDirectory()) {
        entries.push({ path, type: 'dir', mode });
        await walk(full);
      } else if (e.isFile()) entries.push({ path, type: 'file', mode, source: full });
    }
  };
  await walk(dir);
  await pipeline(tarStream(entries), createGzip(), createWriteStream(to, { mode: 0o600 }));
}

async function ansibleKit(
  deps: AgentHandlerDeps,
  i: {
    target: { server: string; org: string };
    hosts: SshPushRequest['hosts'];
    user: string;
    labels: string[];
    tag: string;
  },
) {
  const server = await deps.server(i.target);
  const config = agentConfig(await server.orgClientConfig(), { labels: i.labels });
  const binary = await deps.releases.obtain(i.tag, { os: 'linux', arch: 'amd64', variant: '' });
  const out = await kitFolder(deps.dataDir);
  const work = await mkdtemp(join(out, '.ansible-'));
  try {
    const made = await writeAnsibleKit({
      configYaml: config.yaml,
      binaryPath: binary.path,
      hosts: i.hosts.map((h) => ({
        host: h.host,
        ...(h.port ? { port: h.port } : {}),
        os: 'linux' as const,
      })),
      user: i.user,
      dir: work,
    });
    const name = `ansible-kit-${stamp()}.tar.gz`;
    const savedTo = join(out, name);
    await tarGz(work, savedTo);
    return { savedTo, name, files: made.files, binarySha256: made.binarySha256 };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function offlineCollector(
  deps: AgentHandlerDeps,
  i: { target: { server: string; org: string }; spec: Record<string, unknown> },
  signal: AbortSignal,
) {
  const built = await deps.agents.buildCollector(
    i.target,
    { spec: OfflineCollectorSpec.parse(i.spec), folder: await kitFolder(deps.dataDir) },
    { signal },
  );
  const file = built.collector.file;
  return {
    savedTo: file.path,
    name: basename(file.path),
    sha256: file.sha256,
    size: file.bytes,
    preloaded: built.preloaded,
  };
}

type ImportStep = 'upload' | 'import' | 'read';
const IMPORT_STEPS: readonly string[] = ['upload', 'import', 'read'] satisfies ImportStep[];

/** A collection the window sent (uploads:*) imported; the upload is removed whatever happens. */
async function* importUploaded(
  deps: AgentHandlerDeps,
  i: {
    target: { server: string; org: string };
    upload: string;
    hostname?: string | undefined;
    passwordRef?: string | undefined;
  },
  ctx: CallContext,
) {
  const result: ImportedCollection = yield* latestProgress<
    { type: 'progress'; step: ImportStep; sent?: number; total?: number },
    ImportedCollection
  >((report) =>
    deps.uploads.consume(ctx.owner, i.upload, 'collection', (file) =>
      deps.agents.importCollection(
        i.target,
        {
          file: file.path,
          name: file.name,
          ...(i.hostname ? { hostname: i.hostname } : {}),
          ...(i.passwordRef ? { passwordRef: i.passwordRef } : {}),
        },
        {
          signal: ctx.signal,
          onProgress: (p) => {
            if (IMPORT_STEPS.includes(p.step))
              report({
                type: 'progress',
                step: p.step as ImportStep,
                ...(p.sent !== undefined ? { sent: p.sent } : {}),
                ...(p.total !== undefined ? { total: p.total } : {}),
              });
          },
        },
      ),
    ),
  );
  yield { type: 'done' as const, result };
}

const CHECKABLE = /^C\.[0-9a-f]{1,32}$/;

/**
 * Each host on its own, so one that is not a host name is `unknown` and the others are still answered;
 * when the server itself fails, the hosts not asked yet are `unknown` for that reason too (not asked
 * one by one against a server that does not answer).
 */
async function checkEach(
  agents: AgentService,
  target: { server: string; org: string },
  hosts: string[],
): Promise<EnrollmentCheck[]> {
  const out: EnrollmentCheck[] = [];
  const unknown = (query: string, reason: string): EnrollmentCheck => ({
    query,
    enrolled: false,
    clients: [],
    status: 'unknown',
    reason,
  });
  let serverFailed: string | undefined;
  for (const query of hosts) {
    if (serverFailed) out.push(unknown(query, serverFailed));
    else if (!CHECKABLE.test(query) && !HostName.safeParse(query).success)
      out.push(unknown(query, 'Not a host name or client id (C.…).'));
    else
      try {
        const [s] = await agents.checkEnrollment(target, [query]);
        if (s) out.push({ ...s, status: s.enrolled ? 'enrolled' : 'not-yet' });
      } catch (e) {
        serverFailed = describeError(e);
        out.push(unknown(query, serverFailed));
      }
  }
  return out;
}

export function agentHandlers(deps: AgentHandlerDeps): Handlers<typeof agentsContract> {
  const { agents } = deps;
  return {
    'agents:list': async () => {
      const { runs, problems } = await agents.store.list();
      const now = Date.now();
      return {
        runs: runs
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
          .map((doc) => {
            const { hosts: _h, ...rest } = runSummary(doc, now);
            return rest;
          }),
        problems,
      };
    },
    'agents:run': (i) => agents.summary(i.id),
    'agents:review': (i) => review(deps, i),
    'agents:start': async (i) => ({
      id: await agents.startInBackground(request(i), i.channel),
    }),
    'agents:cancel': (i) => ({ cancelled: agents.cancel(i.id) }),
    'agents:resume': async (i) => ({ id: await agents.resumeInBackground(i.id, i.retryFailed) }),
    'agents:export-csv': (i) => agents.exportCsv(i.id),
    'agents:scan-host-keys': async (i) => ({ keys: await agents.scanHostKeys(i.hosts) }),
    'agents:trust-host-keys': (i) => agents.trustHostKeys(i.keys),
    'agents:scan-winrm-certs': async (i) => ({ certs: await agents.scanWinRmCerts(i.hosts, i.caPem) }),
    'agents:trust-winrm-certs': (i) => agents.trustWinRmCerts(i.certs),
    'agents:kit-ansible': (i) => ansibleKit(deps, i),
    'agents:collector-plan': async (i, ctx) => {
      const plan = await agents.planCollector(
        i.target,
        { spec: OfflineCollectorSpec.parse(i.spec) },
        { signal: ctx.signal },
      );
      return { parameters: plan.parameters, preload: plan.preload };
    },
    'agents:kit-collector': (i, ctx) => offlineCollector(deps, i, ctx.signal),
    'agents:kit-installer': (i, ctx) => installerStream(deps, i, ctx),
    'agents:kit-gpo': (i, ctx) => gpoKitStream(deps, i, ctx),
    'agents:import-collection': (i, ctx) => importUploaded(deps, i, ctx),
    'agents:check-enrollment': async (i) => ({ hosts: await checkEach(agents, i.target, i.hosts) }),
  };
}
