/**
 * Offline collectors for isolated networks: every tool the build needs is put into the server's tool
 * inventory BEFORE `Server.Utils.CreateCollector` runs, so neither the server nor the target downloads
 * anything. Needed are the Velociraptor binary the server repacks (VelociraptorLinux / Windows /
 * Collector at the server's own version — a version-less entry does not help, docs/real-server-
 * conformance.md) and every tool the chosen artifacts (and their dependencies) declare; the collector
 * carries those inside it.
 *
 * Files come from the app's verified release cache (Velociraptor binaries: signature checked) or its
 * tool cache (`<data>/tool-cache/<Tool>/<file>`, or a file the responder names), checked against the
 * artifact's `expected_hash` when it declares one. Each goes to the server through `copyToServer`
 * (hash checked there) and `inventory_add(tool, file, version, serve_locally)`; the server's own
 * hash of what it stored must equal ours.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CollectorTool, PreloadedTool, ToolPreloadPlan } from '../../../../shared/agent-kits';
import { AppError, messageOf } from '../../../../shared/errors';
import { vqlBuilder, type VelociraptorService } from '../../velociraptor/index';
import type { PlatformWanted } from '../releases/assets';
import { sha256File, type ReleaseCache } from '../releases/cache';
import { COLLECTOR_TOOLS, type CollectorOs } from './offline-collector';
import { copyToServer, removeServerFile, type CopyOptions } from './server-files';

const { build, vql, str, jsonArray } = vqlBuilder;

export const TOOL_DEPENDENCIES = 'Server.Internal.ToolDependencies';
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** The release asset each repacked Velociraptor tool is (the inventory's own file names). */
const RELEASE_PLATFORM: Partial<Record<string, PlatformWanted>> = {
  VelociraptorWindows: { os: 'windows', arch: 'amd64', variant: '' },
  VelociraptorWindows_x86: { os: 'windows', arch: '386', variant: '' },
  VelociraptorLinux: { os: 'linux', arch: 'amd64', variant: 'musl' },
};

interface InventoryRow {
  name: string;
  version: string;
  url: string;
  expected_hash: string;
  hash: string;
  filename: string;
}

interface Declared {
  name: string;
  artifact: string;
  version: string;
  url: string;
  expectedSha256: string;
  filename: string;
}

export interface ToolSources {
  releases: ReleaseCache;
  /** `<data>/tool-cache`: one folder per tool name holding its one file. */
  toolCacheDir: string;
  /** Files the responder names for tools (tool name → path); they win over the cache. */
  files?: Record<string, string>;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The tools a collector for `os` with `artifacts` needs, as the server declares them. */
export async function declaredTools(
  velociraptor: VelociraptorService,
  os: CollectorOs,
  artifacts: string[],
  signal?: AbortSignal,
): Promise<{ serverVersion: string; declared: Declared[]; inventory: InventoryRow[] }> {
  const o = signal ? { signal } : {};
  const serverVersion = (await velociraptor.serverVersion(o)).replace(/^v/, '');
  const inv = await velociraptor.conn.queryRows(
    build(vql`SELECT name, version, url, expected_hash, hash, filename FROM inventory()`),
    { idempotent: true, ...o },
  );
  const inventory = inv.rows.map((r) => ({
    name: text(r.name),
    version: text(r.version),
    url: text(r.url),
    expected_hash: text(r.expected_hash),
    hash: text(r.hash),
    filename: text(r.filename),
  }));
  const defs = await velociraptor.conn.queryRows(
    build(vql`SELECT name, tools FROM artifact_definitions(names=${jsonArray(artifacts)}, deps=TRUE)`),
    { idempotent: true, ...o },
  );
  const binary = COLLECTOR_TOOLS[os];
  const own =
    inventory.find((t) => t.name === binary && t.version === serverVersion) ??
    inventory.find((t) => t.name === binary);
  const declared: Declared[] = [
    {
      name: binary,
      artifact: TOOL_DEPENDENCIES,
      version: serverVersion,
      url: own?.url ?? '',
      expectedSha256: own?.expected_hash ?? '',
      filename: own?.filename ?? '',
    },
  ];
  for (const row of defs.rows) {
    const tools = Array.isArray(row.tools) ? (row.tools as Array<Record<string, unknown>>) : [];
    for (const t of tools) {
      const name = text(t.name);
      if (!TOOL_NAME.test(name) || declared.some((d) => d.name === name)) continue;
      declared.push({
        name,
        artifact: text(row.name),
        version: text(t.version),
        url: text(t.url),
        expectedSha256: text(t.expected_hash).toLowerCase(),
        filename: text(t.filename),
      });
    }
  }
  return { serverVersion, declared, inventory };
}

/** What preloading would do for this collector: each tool, where its file comes from, its hash. */
export async function planToolPreload(
  velociraptor: VelociraptorService,
  os: CollectorOs,
  artifacts: string[],
  sources: ToolSources,
  signal?: AbortSignal,
): Promise<ToolPreloadPlan> {
  const { serverVersion, declared, inventory } = await declaredTools(velociraptor, os, artifacts, signal);
  const tools: CollectorTool[] = [];
  for (const d of declared) {
    const base = {
      name: d.name,
      artifact: d.artifact,
      version: d.version,
      url: d.url,
      expectedSha256: d.expectedSha256,
    };
    const onServer = inventory.find(
      (t) =>
        t.name === d.name && t.hash !== '' && (d.artifact !== TOOL_DEPENDENCIES || t.version === d.version),
    );
    if (onServer && !sources.files?.[d.name]) {
      tools.push({
        ...base,
        source: 'server',
        file: '',
        sha256: onServer.hash,
        bytes: 0,
        note: `already in the server's inventory (version ${onServer.version || 'none'})`,
      });
      continue;
    }
    tools.push({ ...base, ...(await localFile(d, sources, signal)) });
  }
  return {
    os,
    serverVersion,
    tools,
    missing: tools.filter((t) => t.source === 'missing').map((t) => t.name),
  };
}

async function localFile(
  d: Declared,
  sources: ToolSources,
  signal?: AbortSignal,
): Promise<Pick<CollectorTool, 'source' | 'file' | 'sha256' | 'bytes' | 'note'>> {
  const given = sources.files?.[d.name] ?? (await inToolCache(sources.toolCacheDir, d.name));
  if (given) {
    const info = await stat(given).catch(() => null);
    if (!info?.isFile()) return missing(`${given} is not a file`);
    const sha256 = await sha256File(given);
    if (d.expectedSha256 && d.expectedSha256 !== sha256)
      throw new AppError(
        'INVALID_ARGUMENT',
        `${given} has SHA-256 ${sha256}, but ${d.artifact} declares ${d.expectedSha256} for ${d.name}: it is not the file the artifact expects.`,
        { details: { tool: d.name, file: given } },
      );
    return {
      source: 'file',
      file: given,
      sha256,
      bytes: info.size,
      note: d.expectedSha256
        ? 'matches the hash the artifact declares'
        : 'the artifact declares no hash: compare this SHA-256 with the vendor’s',
    };
  }
  const platform = RELEASE_PLATFORM[d.name];
  if (platform && d.version) {
    try {
      const bin = await sources.releases.obtain(`v${d.version}`, platform, signal ? { signal } : {});
      return {
        source: 'release',
        file: bin.path,
        sha256: bin.sha256,
        bytes: bin.size,
        note: `Velociraptor ${d.version} release ${bin.assetName ?? ''}, signature verified`.trim(),
      };
    } catch (e) {
      return missing(`the release cache has no verified ${d.version} build: ${messageOf(e)}`);
    }
  }
  return missing(`put the file into ${join(sources.toolCacheDir, d.name)}/ or name it for ${d.name}`);
}

function missing(note: string): Pick<CollectorTool, 'source' | 'file' | 'sha256' | 'bytes' | 'note'> {
  return { source: 'missing', file: '', sha256: '', bytes: 0, note };
}

async function inToolCache(dir: string, tool: string): Promise<string | null> {
  if (!TOOL_NAME.test(tool)) return null;
  const folder = join(dir, tool);
  const names = await readdir(folder).catch(() => [] as string[]);
  const files = names.filter((n) => !n.startsWith('.'));
  if (files.length > 1)
    throw new AppError(
      'INVALID_ARGUMENT',
      `${folder} holds ${files.length} files; keep only the one to preload for ${tool}.`,
    );
  return files[0] ? join(folder, files[0]) : null;
}

/** Adds every tool the plan found a file for to the server's inventory; refuses while any is missing. */
export async function preloadTools(
  velociraptor: VelociraptorService,
  plan: ToolPreloadPlan,
  options: CopyOptions & { onTool?: (name: string) => void } = {},
): Promise<PreloadedTool[]> {
  if (plan.missing.length)
    throw new AppError(
      'DEPLOY_FAILED',
      `No file for ${plan.missing.join(', ')}: on an isolated network the collector cannot be built without them. ${plan.tools
        .filter((t) => t.source === 'missing')
        .map((t) => `${t.name}: ${t.note}`)
        .join('; ')}.`,
      { details: { missing: plan.missing } },
    );
  const done: PreloadedTool[] = [];
  for (const tool of plan.tools) {
    if (tool.source !== 'release' && tool.source !== 'file') continue;
    options.onTool?.(tool.name);
    const copied = await copyToServer(
      velociraptor,
      tool.file,
      { prefix: 'megaraptor-tool', extension: '' },
      options,
    );
    try {
      const filename = tool.file.split(/[\\/]/).pop() ?? tool.name;
      const { rows, logs } = await velociraptor.conn.queryRows(
        build(
          vql`SELECT inventory_add(tool=${str(tool.name)}, file=${str(copied.path)}, version=${str(tool.version)}, url=${str(tool.url)}, filename=${str(filename)}, serve_locally=TRUE) AS Tool FROM scope()`,
        ),
        options.signal ? { signal: options.signal } : {},
      );
      const added = rows[0]?.Tool as Record<string, unknown> | null | undefined;
      const hash = text(added?.hash);
      if (hash !== tool.sha256)
        throw new AppError(
          'DEPLOY_FAILED',
          `The server did not add ${tool.name} (${logs.map((l) => l.message.trim()).join('; ') || `its hash ${hash || 'is empty'}`}). Adding tools needs the administrator role (SERVER_ADMIN).`,
          { details: { tool: tool.name } },
        );
      done.push({ name: tool.name, version: tool.version, sha256: hash, bytes: copied.bytes });
    } finally {
      await removeServerFile(velociraptor, copied.path).catch(() => undefined);
    }
  }
  return done;
}
