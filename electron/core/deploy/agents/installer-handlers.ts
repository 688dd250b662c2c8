/**
 * The kits page's installers and GPO kit (agents:kit-installer, agents:kit-gpo): the same
 * AgentService.buildInstaller / gpoKit the CLI (`agents installer`, `agents kit gpo`) and MCP
 * (`build_installer`, `build_gpo_kit`) call, with the files the window sent (uploads) put under their
 * own names into a work folder first — the repacked MSI and the GPO kit are named after the MSI —
 * and every result saved in a folder of its own in `exports/agent-kits/`, so a build never replaces
 * an earlier one. The uploads are removed afterwards, whether the build worked or not.
 */
import { chmod, copyFile, mkdtemp, realpath, rm } from 'node:fs/promises';
import { basename, isAbsolute, join, relative } from 'node:path';
import type { z } from 'zod';
import type {
  GpoKitBuildRequest,
  GpoKitBuilt,
  InstallerBuildRequest,
  InstallerBuilt,
} from '../../../../shared/contracts/agents';
import { AppError } from '../../../../shared/errors';
import type { FinishedUpload } from '../../files/index';
import { latestProgress, type CallContext } from '../../rpc/index';
import type { AgentHandlerDeps } from './handlers';
import { kitFolder, stamp } from './kit-folder';

type Progress = { type: 'progress'; step: string };

/** A sent file's name made safe to write (it names the repacked MSI and the GPO kit's MSI). */
export function safeFileName(name: string, fallback: string): string {
  const safe = basename(name.replace(/\\/g, '/'))
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[.-]+/, '')
    .slice(0, 160);
  return safe || fallback;
}

/** Lends the upload (when there is one) copied under its own name into `work`; removed afterwards. */
async function withUpload<T>(
  deps: AgentHandlerDeps,
  owner: string,
  id: string | undefined,
  kind: 'msi' | 'velociraptor-binary',
  work: string,
  use: (path: string | undefined) => Promise<T>,
): Promise<T> {
  if (!id) return use(undefined);
  return deps.uploads.consume(owner, id, kind, async (f: FinishedUpload) => {
    const fallback = kind === 'msi' ? 'velociraptor.msi' : 'velociraptor';
    const dir = await mkdtemp(join(work, 'in-'));
    const path = join(dir, safeFileName(f.name, fallback));
    await copyFile(f.path, path);
    // An executable the responder sent runs (or is packed) as one.
    if (kind === 'velociraptor-binary') await chmod(path, 0o700);
    return use(path);
  });
}

async function buildInstallerSaved(
  deps: AgentHandlerDeps,
  i: z.output<typeof InstallerBuildRequest>,
  owner: string,
  report: (p: Progress) => void,
  signal: AbortSignal,
): Promise<InstallerBuilt> {
  const kits = await kitFolder(deps.dataDir);
  const work = await mkdtemp(join(kits, '.installer-'));
  const out = await mkdtemp(join(kits, `${i.kind}-${stamp()}-`));
  const sourceKind = i.kind === 'msi' ? 'msi' : 'velociraptor-binary';
  try {
    const upload = 'upload' in i.source ? i.source.upload : undefined;
    const built = await withUpload(deps, owner, upload, sourceKind, work, (source) =>
      withUpload(deps, owner, i.runner?.upload, 'velociraptor-binary', work, (runner) => {
        report({ type: 'progress', step: 'config' });
        return deps.agents.buildInstaller(
          i.target,
          {
            kind: i.kind,
            outDir: out,
            binary: source ? { path: source } : { tag: 'tag' in i.source ? i.source.tag : 'latest' },
            ...(source && i.kind === 'msi' ? { msi: source } : {}),
            ...(i.kind !== 'msi' ? { arch: i.arch } : {}),
            ...(runner ? { runner } : {}),
            labels: i.labels,
            frontends: i.frontends,
          },
          { signal, onProgress: (p) => report({ type: 'progress', step: p.step }) },
        );
      }),
    );
    return {
      kind: built.kind,
      savedTo: built.file.path,
      name: built.file.name,
      files: [built.file],
      // The sent files' copies are gone with the work folder: named by their file names instead.
      command: built.command.map((a) => (a.startsWith(work) ? basename(a) : a)),
      binarySha256: built.binarySha256,
      notes: built.notes,
    };
  } catch (e) {
    await rm(out, { recursive: true, force: true });
    throw e;
  } finally {
    await rm(work, { recursive: true, force: true });
    // An upload refused before it was taken (sent as another kind, or the runner when the source
    // was refused first) is removed all the same; one already consumed is gone (false).
    if ('upload' in i.source) await deps.uploads.discard(owner, i.source.upload);
    if (i.runner) await deps.uploads.discard(owner, i.runner.upload);
  }
}

/**
 * The MSI an earlier agents:kit-installer saved: only a .msi inside `exports/agent-kits/` is taken,
 * so the window cannot name any other file of this machine.
 */
async function builtMsi(dataDir: string, path: string): Promise<string> {
  const kits = await realpath(await kitFolder(dataDir));
  const real = await realpath(path).catch((cause: unknown) => {
    throw new AppError('NOT_FOUND', `There is no built MSI at ${path}: build the MSI again.`, { cause });
  });
  const inside = relative(kits, real);
  if (!inside || inside.startsWith('..') || isAbsolute(inside) || !/\.msi$/i.test(real))
    throw new AppError(
      'INVALID_ARGUMENT',
      `${path} is not an MSI the kits page built (in the data folder's exports/agent-kits): build the MSI here, or send the MSI file.`,
    );
  return real;
}

async function buildGpoSaved(
  deps: AgentHandlerDeps,
  i: z.output<typeof GpoKitBuildRequest>,
  owner: string,
  report: (p: Progress) => void,
): Promise<GpoKitBuilt> {
  const kits = await kitFolder(deps.dataDir);
  const work = await mkdtemp(join(kits, '.gpo-'));
  try {
    const msi = 'built' in i.msi ? await builtMsi(deps.dataDir, i.msi.built) : undefined;
    const upload = 'upload' in i.msi ? i.msi.upload : undefined;
    return await withUpload(deps, owner, upload, 'msi', work, async (sent) => {
      report({ type: 'progress', step: 'kit' });
      const dir = await mkdtemp(join(kits, `gpo-kit-${stamp()}-`));
      try {
        const kit = await deps.agents.gpoKit(i.target, {
          msi: sent ?? msi ?? '',
          dir,
          ...(i.share ? { share: i.share } : {}),
        });
        if (!kit.zip) throw new AppError('INTERNAL', 'The GPO kit was written without its ZIP.');
        return {
          savedTo: kit.zip.path,
          name: kit.zip.name,
          folder: kit.folder,
          files: kit.files,
          zip: kit.zip,
        };
      } catch (e) {
        await rm(dir, { recursive: true, force: true });
        await rm(`${dir}.zip`, { force: true });
        throw e;
      }
    });
  } finally {
    await rm(work, { recursive: true, force: true });
    if ('upload' in i.msi) await deps.uploads.discard(owner, i.msi.upload);
  }
}

export async function* installerStream(
  deps: AgentHandlerDeps,
  i: z.output<typeof InstallerBuildRequest>,
  ctx: CallContext,
) {
  const result: InstallerBuilt = yield* latestProgress<Progress, InstallerBuilt>((report) =>
    buildInstallerSaved(deps, i, ctx.owner, report, ctx.signal),
  );
  yield { type: 'done' as const, result };
}

export async function* gpoKitStream(
  deps: AgentHandlerDeps,
  i: z.output<typeof GpoKitBuildRequest>,
  ctx: CallContext,
) {
  const result: GpoKitBuilt = yield* latestProgress<Progress, GpoKitBuilt>((report) =>
    buildGpoSaved(deps, i, ctx.owner, report),
  );
  yield { type: 'done' as const, result };
}
