/**
 * The agents handlers that sit between the window and the AgentService: the import of an uploaded
 * collection (progress, then the result; the upload removed whether the import worked, failed or was
 * cancelled) and the per-host enrolment check (unknown for a non-host, and for every host once the
 * server fails). The AgentService is replaced by a recording stand-in for just these two methods; the
 * real import runs in collection-import.test.ts and e2e/agents-kits-import.spec.ts.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportedCollection } from '../../../../shared/agent-kits';
import type { PushReview } from '../../../../shared/contracts/agents';
import { AppError } from '../../../../shared/errors';
import { UploadStore } from '../../files/index';
import type { ReleaseCache } from '../releases/cache';
import { agentHandlers } from './handlers';
import type { AgentService, EnrollmentStatus, KitProgress } from './service';

let dir: string;
let uploads: UploadStore;
const target = { server: 'sim', org: '' };
const ctx = (signal = new AbortController().signal) => ({ owner: 'w1', signal });

const RESULT: ImportedCollection = {
  clientId: 'C.1234',
  flowId: 'F.1',
  importFlowId: 'F.2',
  totalRows: 3,
  uploadedFiles: 0,
  uploadedBytes: 0,
  artifacts: [{ name: 'Generic.Client.Info/BasicInformation', rows: 3 }],
  sha256: 'a'.repeat(64),
  bytes: 4,
  logs: [],
};

function handlers(agents: Partial<AgentService>) {
  return agentHandlers({
    agents: agents as AgentService,
    dataDir: dir,
    uploads,
    server: () => Promise.reject(new Error('not used')),
    releases: {} as ReleaseCache,
  });
}

async function sent(): Promise<string> {
  const { id } = await uploads.begin('w1', { kind: 'collection', name: 'Collection-h.zip', size: 4 });
  await uploads.append('w1', id, 0, Buffer.from('PK..'));
  return id;
}

async function drain(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of it) out.push(e);
  return out;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-agent-handlers-'));
  uploads = new UploadStore(join(dir, 'tmp', 'uploads'), { collection: { what: 'a collection ZIP' } });
});
afterEach(async () => {
  await uploads.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('agents:import-collection', () => {
  it('streams the steps, then the result, and removes the upload', async () => {
    const seen: Array<{ file: string; name?: string | undefined }> = [];
    const h = handlers({
      importCollection: async (_t, input, o: KitProgress = {}) => {
        seen.push({ file: input.file, name: input.name });
        o.onProgress?.({ step: 'upload', sent: 4, total: 4 });
        await new Promise((r) => setTimeout(r, 5));
        o.onProgress?.({ step: 'import' });
        await new Promise((r) => setTimeout(r, 5));
        o.onProgress?.({ step: 'preload x' }); // not an import step: not passed on
        return RESULT;
      },
    });
    const id = await sent();
    const events = await drain(h['agents:import-collection']({ target, upload: id }, ctx()));
    expect(events).toEqual([
      { type: 'progress', step: 'upload', sent: 4, total: 4 },
      { type: 'progress', step: 'import' },
      { type: 'done', result: RESULT },
    ]);
    expect(seen[0]?.name).toBe('Collection-h.zip');
    expect(seen[0]?.file.startsWith(uploads.dir)).toBe(true);
    expect(await readdir(uploads.dir)).toEqual([]);
  });

  it('removes the upload when the server refuses or the window cancels', async () => {
    const refused = handlers({
      importCollection: () =>
        Promise.reject(new AppError('DEPLOY_FAILED', 'The server could not import it.')),
    });
    const e = await drain(refused['agents:import-collection']({ target, upload: await sent() }, ctx())).catch(
      (x: unknown) => x,
    );
    expect((e as AppError).code).toBe('DEPLOY_FAILED');
    expect(await readdir(uploads.dir)).toEqual([]);

    const abort = new AbortController();
    const waits = handlers({
      importCollection: (_t, _i, o: KitProgress = {}) =>
        new Promise((_r, reject) =>
          o.signal?.addEventListener('abort', () => reject(new AppError('CANCELLED', 'Cancelled.'))),
        ),
    });
    const run = drain(waits['agents:import-collection']({ target, upload: await sent() }, ctx(abort.signal)));
    abort.abort();
    expect(((await run.catch((x: unknown) => x)) as AppError).code).toBe('CANCELLED');
    expect(await readdir(uploads.dir)).toEqual([]);
  });

  it('refuses an upload of another window', async () => {
    const h = handlers({ importCollection: () => Promise.resolve(RESULT) });
    const id = await sent();
    const e = await drain(
      h['agents:import-collection'](
        { target, upload: id },
        { owner: 'w2', signal: new AbortController().signal },
      ),
    ).catch((x: unknown) => x);
    expect((e as AppError).code).toBe('NOT_FOUND');
  });
});

describe('agents:check-enrollment', () => {
  const enrolled = (q: string): EnrollmentStatus => ({
    query: q,
    enrolled: true,
    clients: [{ clientId: 'C.1', hostname: q, online: true, labels: [], lastSeen: '2026-12-07T03:00:00Z' }],
  });

  it('answers each host: enrolled, not yet, unknown for what is no host name', async () => {
    const asked: string[] = [];
    const h = handlers({
      checkEnrollment: (_t, [q]) => {
        asked.push(q!);
        return Promise.resolve([q === 'web01' ? enrolled(q) : { query: q!, enrolled: false, clients: [] }]);
      },
    });
    const r = (await h['agents:check-enrollment']({ target, hosts: ['web01', 'db02', 'a b/c'] }, ctx())) as {
      hosts: Array<{ query: string; status: string; reason?: string }>;
    };
    expect(r.hosts.map((x) => [x.query, x.status])).toEqual([
      ['web01', 'enrolled'],
      ['db02', 'not-yet'],
      ['a b/c', 'unknown'],
    ]);
    expect(r.hosts[2]?.reason).toContain('Not a host name');
    expect(asked).toEqual(['web01', 'db02']);
  });

  it('once the server fails, the hosts left are unknown for that reason, not asked one by one', async () => {
    const asked: string[] = [];
    const h = handlers({
      checkEnrollment: (_t, [q]) => {
        asked.push(q!);
        return q === 'web01'
          ? Promise.resolve([enrolled(q)])
          : Promise.reject(new AppError('SERVER_UNREACHABLE', 'sim cannot be reached.'));
      },
    });
    const r = (await h['agents:check-enrollment']({ target, hosts: ['web01', 'db02', 'db03'] }, ctx())) as {
      hosts: Array<{ status: string; reason?: string }>;
    };
    expect(r.hosts.map((x) => x.status)).toEqual(['enrolled', 'unknown', 'unknown']);
    expect(r.hosts[2]?.reason).toBe('sim cannot be reached. (SERVER_UNREACHABLE)');
    expect(asked).toEqual(['web01', 'db02']);
  });
});

describe('agents:review', () => {
  it('an uninstall says what happens to the writeback, as the responder chose', async () => {
    const reviewed = async (keepWriteback: boolean) => {
      const settings = { mode: 'uninstall', keepWriteback, server: { connection: 'sim', org: '' } };
      const h = handlers({
        review: (() => ({
          channel: 'ssh',
          name: 'off',
          concurrency: 1,
          retries: 0,
          hosts: [{ key: 'h1:22', host: 'h1', port: 22, os: 'linux' }],
          settings,
        })) as unknown as AgentService['review'],
      });
      const r = await h['agents:review'](
        {
          channel: 'ssh',
          name: 'off',
          hosts: [{ host: 'h1', os: 'linux' }],
          concurrency: 1,
          retries: 0,
          settings,
        },
        ctx(),
      );
      return (r as PushReview).installs.map((i) => i.what).join(' ');
    };
    expect(await reviewed(true)).toMatch(
      /writeback \(the client identity\) is kept: a reinstall comes back as the same client id/,
    );
    expect(await reviewed(false)).toMatch(/is removed: a reinstall enrols as a new client/);
  });
});
