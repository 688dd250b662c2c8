/**
 * The product's queries, run as the product runs them: each step calls the typed operations (or the
 * query builders the product uses) against one server and one client, so a RecordingStub underneath
 * captures exactly what the product sends and what the server answers. The same steps run against a
 * real server (scripts/record-real-answers.mjs) and against the simulator (sim-shape.test.ts).
 *
 * Some steps send, as raw queries, the forms a real server answers differently from what a caller
 * may expect (issue 12: `user()` without `user=`, a bare artifact name for a multi-source artifact,
 * a VFS path without Components, revocation by empty roles, hunt tags on 0.75): their answers are part of the record on
 * purpose, so the simulator is held to the same answers. The product itself no longer sends them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, isAppError, messageOf } from '../../../../shared/errors';
import { revokeRolesQuery, userCreateQuery } from '../operations/users';
import type { VelociraptorService } from '../service';
import { artifactSource, build, huntId as huntIdArg, jsonArray, str, userName, vql } from '../vql/builder';

export interface ScenarioTarget {
  svc: VelociraptorService;
  /** A client of the server that is online (its OS decides the paths used). */
  clientId: string;
}

interface State {
  hostname?: string;
  os?: string;
  flowId?: string;
  serverFlowId?: string;
  vfsDir?: string;
  file?: { path: string; components: string[] };
  uploadComponents?: string[];
  huntId?: string;
}

export interface Step {
  name: string;
  /** State the step needs from earlier steps; it is skipped when one is missing. */
  needs?: Array<keyof State>;
  run(t: ScenarioTarget, s: State): Promise<unknown>;
}

export const RECORDER_LABEL = 'megaraptor-recorder';
export const RECORDER_EXCLUDED_LABEL = 'megaraptor-recorder-excluded';
export const RECORDER_USER = 'megaraptor-recorder-user';
const INFO = 'Generic.Client.Info';
const INFO_SOURCE = 'Generic.Client.Info/BasicInformation';
const LIST_DIR = 'System.VFS.ListDirectory';
const DOWNLOAD = 'System.VFS.DownloadFile';

/** The artifacts the product names (DFIR catalogue, VFS, quarantine, hash search). */
export const ARTIFACTS_THE_PRODUCT_USES = [
  INFO,
  LIST_DIR,
  DOWNLOAD,
  'Windows.Search.FileFinder',
  'Linux.Search.FileFinder',
  'MacOS.Search.FileFinder',
  'Generic.Detection.HashHunter',
  'Windows.Remediation.Quarantine',
  'Linux.Remediation.Quarantine',
  'MacOS.Remediation.Quarantine',
  'Linux.Syslog.SSHLogin',
];

/** A directory that exists on every client of the OS, with regular files in it. */
function probeDir(os: string): string {
  return os === 'windows' ? 'C:\\Windows' : '/etc';
}

function components(path: string): string[] {
  return path.split(/[\\/]+/).filter((p) => p !== '');
}

async function pollUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new AppError('TIMEOUT', `${what} did not happen within ${timeoutMs} ms.`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function runQuery(t: ScenarioTarget, q: ReturnType<typeof build>): Promise<unknown> {
  return (await t.svc.conn.queryRows(q, { deadlineMs: 60_000 })).rows;
}

export const STEPS: Step[] = [
  { name: 'server.whoami', run: (t) => t.svc.whoami() },
  { name: 'server.version', run: (t) => t.svc.runVql('SELECT config.version AS Version FROM scope()') },
  { name: 'server.info', run: (t) => t.svc.serverInfo() },
  { name: 'server.current-user', run: (t) => t.svc.currentUser() },
  {
    name: 'server.user-by-name',
    run: (t) => runQuery(t, build(vql`SELECT user(user=whoami()) AS Result FROM scope()`)),
  },
  { name: 'server.orgs', run: (t) => t.svc.listOrgs() },
  { name: 'server.users', run: (t) => t.svc.listUsers() },
  { name: 'server.help', run: (t) => t.svc.vqlHelp() },
  {
    name: 'clients.get',
    async run(t, s) {
      const c = await t.svc.getClient(t.clientId);
      s.hostname = c.hostname;
      s.os = c.os.toLowerCase();
      s.vfsDir = probeDir(s.os);
      return c;
    },
  },
  { name: 'clients.search-all', run: (t) => t.svc.searchClients({ search: 'all', limit: 100 }) },
  {
    name: 'clients.search-host',
    needs: ['hostname'],
    run: (t, s) => t.svc.searchClients({ search: s.hostname ?? '' }),
  },
  { name: 'clients.search-label-none', run: (t) => t.svc.searchClients({ search: 'label:none' }) },
  { name: 'clients.label-set', run: (t) => t.svc.setLabels(t.clientId, [RECORDER_LABEL], 'set') },
  { name: 'artifacts.list', run: (t) => t.svc.listArtifacts({ search: 'FileFinder' }) },
  {
    name: 'artifacts.get',
    async run(t) {
      // One call per name: a name the server lacks fails alone (its NOT_FOUND is part of the record).
      const out: Record<string, string> = {};
      for (const name of ARTIFACTS_THE_PRODUCT_USES) {
        try {
          await t.svc.getArtifacts([name]);
          out[name] = 'present';
        } catch (e) {
          if (!isAppError(e, 'NOT_FOUND')) throw e;
          out[name] = 'absent';
        }
      }
      return out;
    },
  },
  {
    name: 'flows.collect-and-wait',
    async run(t, s) {
      const r = await t.svc.collectAndWait(
        { clientId: t.clientId, artifacts: [INFO] },
        { timeoutMs: 120_000 },
      );
      s.flowId = r.flowId;
      return r.flow;
    },
  },
  { name: 'flows.status', needs: ['flowId'], run: (t, s) => t.svc.flowStatus(t.clientId, s.flowId ?? '') },
  { name: 'flows.list', run: (t) => t.svc.listFlows(t.clientId, { limit: 50 }) },
  { name: 'flows.logs', needs: ['flowId'], run: (t, s) => t.svc.flowLogs(t.clientId, s.flowId ?? '') },
  {
    name: 'flows.results-bare-name',
    needs: ['flowId'],
    run: (t, s) => t.svc.flowResults({ clientId: t.clientId, flowId: s.flowId ?? '', artifact: INFO }),
  },
  {
    name: 'flows.results-source',
    needs: ['flowId'],
    run: (t, s) => t.svc.flowResults({ clientId: t.clientId, flowId: s.flowId ?? '', artifact: INFO_SOURCE }),
  },
  {
    name: 'flows.cancel-finished',
    needs: ['flowId'],
    run: (t, s) => t.svc.cancelFlow(t.clientId, s.flowId ?? ''),
  },
  {
    name: 'flows.server-collect-and-wait',
    async run(t, s) {
      const f = await t.svc.collect({ clientId: 'server', artifacts: [INFO] });
      s.serverFlowId = f.flowId;
      return t.svc.waitForFlow('server', f.flowId, { timeoutMs: 120_000 });
    },
  },
  {
    name: 'flows.server-logs',
    needs: ['serverFlowId'],
    run: (t, s) => t.svc.flowLogs('server', s.serverFlowId ?? ''),
  },
  {
    name: 'vfs.list-path',
    needs: ['vfsDir'],
    run: (t, s) => t.svc.vfsList({ clientId: t.clientId, path: s.vfsDir ?? '' }, { timeoutMs: 120_000 }),
  },
  {
    name: 'vfs.list-components-depth-1',
    needs: ['vfsDir'],
    async run(t, s) {
      const r = await t.svc.collectAndWait(
        {
          clientId: t.clientId,
          artifacts: [LIST_DIR],
          parameters: {
            [LIST_DIR]: {
              Components: JSON.stringify(components(s.vfsDir ?? '')),
              Accessor: 'auto',
              Depth: '1',
            },
          },
          urgent: true,
        },
        { timeoutMs: 120_000 },
      );
      const file = (r.results[`${LIST_DIR}/Listing`] ?? []).find(
        (e) =>
          typeof e.Mode === 'string' &&
          e.Mode.startsWith('-') &&
          Number(e.Size) > 0 &&
          Number(e.Size) < 1 << 20 &&
          Array.isArray(e._Components),
      );
      if (file)
        s.file = {
          path: typeof file._OSPath === 'string' ? file._OSPath : '',
          components: (file._Components as unknown[]).map(String),
        };
      return r.flow;
    },
  },
  {
    name: 'vfs.download-path',
    needs: ['file'],
    async run(t, s) {
      const f = await t.svc.collect({
        clientId: t.clientId,
        artifacts: [DOWNLOAD],
        parameters: { [DOWNLOAD]: { Path: s.file?.path ?? '', Accessor: 'auto' } },
        urgent: true,
      });
      await t.svc.waitForFlow(t.clientId, f.flowId, { timeoutMs: 120_000 });
      return t.svc.listUploads(t.clientId, f.flowId);
    },
  },
  {
    name: 'vfs.download-components',
    needs: ['file'],
    async run(t, s) {
      const f = await t.svc.collect({
        clientId: t.clientId,
        artifacts: [DOWNLOAD],
        parameters: {
          [DOWNLOAD]: { Components: JSON.stringify(s.file?.components ?? []), Accessor: 'auto' },
        },
        urgent: true,
      });
      await t.svc.waitForFlow(t.clientId, f.flowId, { timeoutMs: 120_000 });
      await t.svc.flowResults({ clientId: t.clientId, flowId: f.flowId, artifact: DOWNLOAD });
      const up = (await t.svc.listUploads(t.clientId, f.flowId))[0];
      if (up) s.uploadComponents = up.components;
      return up;
    },
  },
  {
    name: 'vfs.buffer-without-client-id',
    needs: ['uploadComponents'],
    run: (t, s) =>
      t.svc.conn
        .readBuffer({ components: s.uploadComponents ?? [], offset: 0, length: 4096 })
        .then((b) => b.length),
  },
  {
    name: 'vfs.buffer-with-client-id',
    needs: ['uploadComponents'],
    run: (t, s) =>
      t.svc.conn
        .readBuffer({ components: s.uploadComponents ?? [], clientId: t.clientId, offset: 0, length: 4096 })
        .then((b) => b.length),
  },
  {
    name: 'vfs.flow-zip',
    needs: ['flowId'],
    async run(t, s) {
      const dir = await mkdtemp(join(tmpdir(), 'mr-rec-'));
      try {
        return await t.svc.exportFlowZip(t.clientId, s.flowId ?? '', join(dir, 'flow.zip'));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'hunts.create-labels',
    async run(t, s) {
      const h = await t.svc.createHunt({
        description: 'megaraptor recorder: labels scope',
        artifacts: [INFO],
        includeLabels: [RECORDER_LABEL],
        excludeLabels: [RECORDER_EXCLUDED_LABEL],
        expiresInSeconds: 3600,
      });
      s.huntId = h.huntId;
      return h;
    },
  },
  {
    name: 'hunts.create-os-exclude',
    run: (t) =>
      t.svc.createHunt({
        description: 'megaraptor recorder: os and excluded labels',
        artifacts: [INFO],
        os: 'linux',
        excludeLabels: [RECORDER_EXCLUDED_LABEL],
        expiresInSeconds: 3600,
        // The product refuses this scope unless told the server drops the labels (it records what it does).
        acceptDroppedLabels: true,
      }),
  },
  {
    name: 'hunts.create-tags',
    run: (t) =>
      t.svc.createHunt({
        description: 'megaraptor recorder: tags',
        artifacts: [INFO],
        tags: ['megaraptor'],
        expiresInSeconds: 3600,
      }),
  },
  {
    name: 'hunts.create-tags-raw',
    // hunt(tags=…) as a raw query: 0.75 answers null with "hunt: Unexpected arg tags" (the product
    // refuses tags there before sending, from help()), 0.77 creates the hunt.
    run: (t) =>
      runQuery(
        t,
        build(
          vql`SELECT hunt(description=${str('megaraptor recorder: raw tags')}, artifacts=${jsonArray([INFO])}, tags=${jsonArray(['megaraptor'])}, pause=TRUE, expires=now() + 3600) AS Result FROM scope()`,
        ),
      ),
  },
  { name: 'hunts.status', needs: ['huntId'], run: (t, s) => t.svc.huntStatus(s.huntId ?? '') },
  { name: 'hunts.start', needs: ['huntId'], run: (t, s) => t.svc.startHunt(s.huntId ?? '') },
  {
    name: 'hunts.flows',
    needs: ['huntId'],
    run: (t, s) =>
      pollUntil('a finished hunt flow', async () => {
        const flows = await t.svc.huntFlows(s.huntId ?? '');
        return flows.some((f) => f.state === 'FINISHED') ? flows : undefined;
      }),
  },
  {
    name: 'hunts.results-bare-name',
    needs: ['huntId'],
    // The bare name as a raw query: the product completes or refuses it before sending (huntSource).
    run: (t, s) =>
      runQuery(
        t,
        build(
          vql`SELECT * FROM hunt_results(hunt_id=${huntIdArg(s.huntId ?? '')}, artifact=${artifactSource(INFO)}) LIMIT 1000`,
        ),
      ),
  },
  {
    name: 'hunts.results-source',
    needs: ['huntId'],
    run: (t, s) => t.svc.huntResults(s.huntId ?? '', INFO_SOURCE),
  },
  {
    name: 'hunts.zip',
    needs: ['huntId'],
    async run(t, s) {
      const dir = await mkdtemp(join(tmpdir(), 'mr-rec-'));
      try {
        return await t.svc.exportHuntZip(s.huntId ?? '', join(dir, 'hunt.zip'));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
  { name: 'hunts.stop', needs: ['huntId'], run: (t, s) => t.svc.stopHunt(s.huntId ?? '') },
  { name: 'hunts.list', run: (t) => t.svc.listHunts({ limit: 100 }) },
  { name: 'clients.label-remove', run: (t) => t.svc.setLabels(t.clientId, [RECORDER_LABEL], 'remove') },
  { name: 'users.create', run: (t) => runQuery(t, userCreateQuery(RECORDER_USER, ['api'])) },
  {
    name: 'users.revoke-empty-roles',
    // The form that does nothing on a real server, as a raw query (the product sends users.revoke-policy's).
    run: (t) =>
      runQuery(
        t,
        build(
          vql`SELECT user_grant(user=${str(RECORDER_USER)}, roles=${jsonArray([])}) AS User FROM scope()`,
        ),
      ),
  },
  {
    name: 'users.read-back',
    run: (t) => runQuery(t, build(vql`SELECT user(user=${userName(RECORDER_USER)}) AS Result FROM scope()`)),
  },
  { name: 'users.revoke-policy', run: (t) => runQuery(t, revokeRolesQuery(RECORDER_USER)) },
  {
    name: 'users.delete',
    run: (t) =>
      runQuery(
        t,
        build(vql`SELECT user_delete(user=${str(RECORDER_USER)}, really_do_it=TRUE) AS Result FROM scope()`),
      ),
  },
  { name: 'errors.syntax', run: (t) => t.svc.runVql('SELECT * FROM info( WHERE') },
  { name: 'errors.unknown-plugin', run: (t) => t.svc.runVql('SELECT * FROM megaraptor_no_such_plugin()') },
];

export interface StepOutcome {
  step: string;
  outcome: 'ok' | 'error' | 'skipped';
  /** The product's error (code and message) when the operation failed. */
  error?: { code: string; message: string };
  /** Why a step was skipped. */
  reason?: string;
}

/** Runs every step in order; `after` sees each outcome (the recorder takes the step's exchanges there). */
export async function runScenario(
  t: ScenarioTarget,
  after: (o: StepOutcome) => void | Promise<void>,
  steps: Step[] = STEPS,
): Promise<StepOutcome[]> {
  const state: State = {};
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const missing = (step.needs ?? []).filter((k) => state[k] === undefined);
    let o: StepOutcome;
    if (missing.length) {
      o = { step: step.name, outcome: 'skipped', reason: `needs ${missing.join(', ')} from an earlier step` };
    } else {
      try {
        await step.run(t, state);
        o = { step: step.name, outcome: 'ok' };
      } catch (e) {
        o = {
          step: step.name,
          outcome: 'error',
          error: isAppError(e)
            ? { code: e.code, message: e.message }
            : { code: 'INTERNAL', message: messageOf(e) },
        };
      }
    }
    outcomes.push(o);
    await after(o);
  }
  return outcomes;
}
