/**
 * Before a deployment is destroyed — by its timer or by hand — everything it collected can be kept:
 * every flow of every client and every hunt, each as the zip Velociraptor itself builds
 * (create_flow_download / create_hunt_download, through VelociraptorService.exportFlowZip and
 * exportHuntZip), downloaded into a folder of the responder's, with a manifest: `manifest.json`
 * (what each file is, its size and SHA-256) and `SHA256SUMS` (`sha256sum -c` checks the folder).
 * The hashes are computed while each file streams to disk; nothing is held in memory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { AppError, messageOf } from '../../../shared/errors';
import type { VelociraptorService } from '../velociraptor/index';

export interface EvidenceFile {
  /** Relative to the export folder, '/'-separated. */
  path: string;
  kind: 'flow' | 'hunt';
  clientId?: string;
  flowId?: string;
  huntId?: string;
  bytes: number;
  sha256: string;
}

export interface EvidenceExport {
  folder: string;
  files: EvidenceFile[];
  /** Flows or hunts that could not be exported, with why (the export as a whole then fails). */
  failures: Array<{ what: string; error: string }>;
  manifest: string;
  sums: string;
}

export interface EvidenceProgress {
  done: number;
  total: number;
  what: string;
}

/** The most one listing call returns; a listing that reaches it is reported as incomplete. */
const LIST_LIMIT = 10_000;

/** Ids become file names: only Velociraptor's id characters survive. */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Exports every flow and hunt of the server behind `service` into `folder` (made if absent). A flow
 * or hunt that fails is listed in `failures` and the rest still exported; the caller decides
 * whether a partial export may precede destruction (the service refuses).
 */
export async function exportEvidence(
  service: VelociraptorService,
  folder: string,
  options: {
    deployment: { id: string; name: string };
    now: Date;
    signal?: AbortSignal;
    onProgress?: (p: EvidenceProgress) => void;
  },
): Promise<EvidenceExport> {
  const signal = options.signal;
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const failures: EvidenceExport['failures'] = [];
  const capped = (what: string, n: number) => {
    // Refuse to call a capped listing complete: destruction after it would lose what was not listed.
    if (n >= LIST_LIMIT)
      failures.push({
        what,
        error: `${LIST_LIMIT} or more: the listing may be incomplete; export them on the server`,
      });
  };
  const clients = await service.searchClients({ search: 'all', limit: LIST_LIMIT });
  capped('clients', clients.length);
  const jobs: Array<{ what: string; dest: string; run: (dest: string) => Promise<EvidenceFile> }> = [];
  for (const c of clients) {
    const flows = await service.listFlows(c.clientId, { limit: LIST_LIMIT });
    capped(`flows of ${c.clientId}`, flows.length);
    for (const f of flows) {
      const dest = join(folder, 'flows', safe(c.clientId), `${safe(f.flowId)}.zip`);
      jobs.push({
        what: `flow ${f.flowId} of ${c.clientId}`,
        dest,
        run: async (d) => {
          const r = await service.exportFlowZip(c.clientId, f.flowId, d, signal ? { signal } : {});
          return {
            path: '',
            kind: 'flow',
            clientId: c.clientId,
            flowId: f.flowId,
            bytes: r.bytes,
            sha256: r.sha256,
          };
        },
      });
    }
  }
  const hunts = await service.listHunts({ limit: LIST_LIMIT });
  capped('hunts', hunts.length);
  for (const h of hunts) {
    const dest = join(folder, 'hunts', `${safe(h.huntId)}.zip`);
    jobs.push({
      what: `hunt ${h.huntId}`,
      dest,
      run: async (d) => {
        const r = await service.exportHuntZip(h.huntId, d, signal ? { signal } : {});
        return { path: '', kind: 'hunt', huntId: h.huntId, bytes: r.bytes, sha256: r.sha256 };
      },
    });
  }

  const files: EvidenceFile[] = [];
  for (const [i, job] of jobs.entries()) {
    if (signal?.aborted) throw new AppError('CANCELLED', 'The evidence export was cancelled.');
    options.onProgress?.({ done: i, total: jobs.length, what: job.what });
    try {
      await mkdir(join(job.dest, '..'), { recursive: true, mode: 0o700 });
      const f = await job.run(job.dest);
      files.push({ ...f, path: relative(folder, job.dest).split(/[\\/]/).join('/') });
    } catch (e) {
      failures.push({ what: job.what, error: messageOf(e) });
    }
  }
  options.onProgress?.({ done: jobs.length, total: jobs.length, what: 'manifest' });

  const manifest = JSON.stringify(
    {
      format: 'megaraptor-evidence-export',
      version: 1,
      deployment: options.deployment,
      exportedAt: options.now.toISOString(),
      files,
      failures,
    },
    null,
    2,
  );
  const sums = files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
  await writeFile(join(folder, 'manifest.json'), `${manifest}\n`, { mode: 0o600 });
  await writeFile(join(folder, 'SHA256SUMS'), sums, { mode: 0o600 });
  return {
    folder,
    files,
    failures,
    manifest: join(folder, 'manifest.json'),
    sums: join(folder, 'SHA256SUMS'),
  };
}
