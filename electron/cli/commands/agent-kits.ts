/**
 * `megaraptor agents collector|import|check` — offline collection kits from the command line, the
 * same AgentService methods as the kits page and MCP: a collector built by the server with every tool
 * it needs preloaded first (the plan lists each tool, where its file comes from and its SHA-256), a
 * returned collection copied to the server and imported, and whether hosts are enrolled.
 */
import { resolve } from 'node:path';
import type { ToolPreloadPlan } from '../../../shared/agent-kits';
import { parseParamAssignment } from '../../../shared/collector-params';
import type { OfflineCollectorSpecInput } from '../../core/deploy/index';
import { parseFlags, UsageError, type FlagSpec, type ParsedFlags } from '../args';
import type { CliIO } from '../command';
import { openAgents } from './agents';

export const KITS_USAGE = `
  megaraptor agents collector (--connection NAME | --api-config FILE) --os OS --artifact NAME… --out DIR
      [--param ARTIFACT.NAME=VALUE]… [--encryption x509|app-key|none|password] [--certificate PEM-FILE]
      [--password-ref REF] [--file-name NAME] [--no-admin] [--timeout S] [--cpu-limit N]
      [--tool NAME=FILE]… [--plan]
      has the server build an offline collector (OS: Windows, Windows_x86, Linux, MacOS, MacOSArm,
      Generic). Every tool it needs is first added to the server's inventory from the verified release
      cache or <data>/tool-cache/<Tool>/ (or --tool), so nothing is downloaded on the server or the
      target; --plan prints the tools and their SHA-256 and stops.
  megaraptor agents import (--connection NAME | --api-config FILE) ZIP [--hostname NAME] [--client-id ID]
      [--password-ref REF]
      copies a returned collection to the server, imports it (Server.Utils.ImportCollection; the
      server decrypts X509 collections it built; a password collection is decrypted here first with
      the keychain entry REF, the one the collector was built with) and prints the client, flow and
      rows per source
  megaraptor agents check (--connection NAME | --api-config FILE) HOST-OR-CLIENT-ID…
      whether the server lists a client for each (exit code 1 when one is not enrolled)
  megaraptor agents installer msi|deb|rpm (--connection NAME | --api-config FILE) --out DIR
      [--label L]… [--frontend HOST:PORT] [--tag TAG | --binary FILE] [--msi FILE]
      builds the installer with the verified binary's own debian client / rpm client /
      config repack --msi; a repacked MSI must be re-signed (its Authenticode signature breaks)
  megaraptor agents kit gpo (--connection NAME | --api-config FILE) --msi FILE --out DIR [--share UNC]
      a folder + ZIP: the MSI, README with the Group Policy steps, a startup script, SHA256SUMS`;

const COMMON: Record<string, FlagSpec> = {
  '--connection': { value: true },
  '--api-config': { value: true },
  '--org': { value: true },
  '--json': {},
};

const COLLECTOR: Record<string, FlagSpec> = {
  ...COMMON,
  '--os': { value: true },
  '--artifact': { value: true, repeat: true },
  '--param': { value: true, repeat: true },
  '--encryption': { value: true },
  '--certificate': { value: true },
  '--password-ref': { value: true },
  '--file-name': { value: true },
  '--no-admin': {},
  '--timeout': { value: true },
  '--cpu-limit': { value: true },
  '--tool': { value: true, repeat: true },
  '--out': { value: true },
  '--plan': {},
};

function needServer(flags: ParsedFlags): void {
  if (!flags.has('--connection') && !flags.has('--api-config'))
    throw new UsageError('give the server: --connection NAME or --api-config FILE');
}

function toolFiles(flags: ParsedFlags, cwd: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of flags.all('--tool')) {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(t);
    if (!m) throw new UsageError(`--tool is NAME=FILE, not "${t}"`);
    out[m[1]!] = resolve(cwd, m[2]!);
  }
  return out;
}

async function collectorSpec(flags: ParsedFlags, cwd: string): Promise<OfflineCollectorSpecInput> {
  const os = flags.get('--os');
  const artifacts = flags.all('--artifact');
  if (!os || !artifacts.length) throw new UsageError('collector needs --os OS and --artifact NAME');
  const parameters: Record<string, Record<string, string>> = {};
  for (const p of flags.all('--param')) {
    const row = parseParamAssignment(p);
    if (!row) throw new UsageError(`--param is ARTIFACT.NAME=VALUE, not "${p}"`);
    (parameters[row.artifact] ??= {})[row.name] = row.value;
  }
  const scheme = flags.get('--encryption') ?? 'x509';
  let encryption: OfflineCollectorSpecInput['encryption'];
  if (scheme === 'none') encryption = { scheme: 'none' };
  else if (scheme === 'password') {
    const ref = flags.get('--password-ref');
    if (!ref) throw new UsageError('--encryption password needs --password-ref REF (a keychain reference)');
    encryption = { scheme: 'password', passwordRef: ref };
  } else if (scheme === 'x509') {
    const cert = flags.get('--certificate');
    const { readFile } = await import('node:fs/promises');
    encryption = cert
      ? { scheme: 'x509', certificatePem: await readFile(resolve(cwd, cert), 'utf8') }
      : { scheme: 'x509' };
  } else if (scheme === 'app-key') encryption = { scheme: 'app-key' };
  else throw new UsageError('--encryption is x509, app-key, none or password');
  const int = (flag: string): number | undefined => {
    const v = flags.get(flag);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a whole number`);
    return Number(v);
  };
  const timeout = int('--timeout');
  const cpu = int('--cpu-limit');
  const fileName = flags.get('--file-name');
  return {
    os: os as OfflineCollectorSpecInput['os'],
    artifacts,
    parameters,
    encryption,
    requireAdmin: !flags.has('--no-admin'),
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    ...(cpu !== undefined ? { cpuLimit: cpu } : {}),
    ...(fileName ? { fileName } : {}),
  };
}

export function preloadLines(plan: ToolPreloadPlan): string[] {
  return [
    `Tools for the ${plan.os} collector (server ${plan.serverVersion}):`,
    ...plan.tools.map(
      (t) =>
        `  ${t.name.padEnd(26)} ${t.source.padEnd(8)} ${t.sha256 || '-'.padEnd(64)} ${t.file || ''}${t.note ? `  (${t.note})` : ''}`,
    ),
  ];
}

export async function collector(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, COLLECTOR);
  needServer(flags);
  const out = flags.get('--out');
  if (!out && !flags.has('--plan')) throw new UsageError('collector needs --out DIR (or --plan)');
  const spec = await collectorSpec(flags, io.cwd);
  const a = await openAgents(io, flags);
  try {
    const target = { server: a.serverName, org: flags.get('--org') ?? '' };
    const request = { spec, toolFiles: toolFiles(flags, io.cwd) };
    if (flags.has('--plan')) {
      const plan = await a.service.planCollector(target, request);
      if (flags.has('--json')) io.stdout.write(JSON.stringify(plan, null, 2) + '\n');
      else io.stdout.write([...preloadLines(plan.preload), ''].join('\n'));
      return plan.preload.missing.length ? 1 : 0;
    }
    const built = await a.service.buildCollector(
      target,
      { ...request, folder: resolve(io.cwd, out ?? '.') },
      { onProgress: (p) => p.step !== 'upload' && io.stderr.write(`… ${p.step}\n`) },
    );
    if (flags.has('--json')) io.stdout.write(JSON.stringify(built, null, 2) + '\n');
    else
      io.stdout.write(
        [
          ...preloadLines(built.plan.preload),
          `Preloaded: ${built.preloaded.map((t) => t.name).join(', ') || 'nothing (all on the server already)'}`,
          `Collector ${built.collector.file.path} (${built.collector.file.bytes} bytes, sha256 ${built.collector.file.sha256}), built by flow ${built.collector.flowId}`,
          '',
        ].join('\n'),
      );
    return 0;
  } finally {
    await a.close();
  }
}

export async function importZip(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      ...COMMON,
      '--hostname': { value: true },
      '--client-id': { value: true },
      '--password-ref': { value: true },
    },
    { positionals: true },
  );
  needServer(flags);
  const [file, ...extra] = flags.positionals;
  if (!file || extra.length) throw new UsageError('import takes one ZIP');
  const a = await openAgents(io, flags);
  try {
    const hostname = flags.get('--hostname');
    const clientId = flags.get('--client-id');
    const passwordRef = flags.get('--password-ref');
    const r = await a.service.importCollection(
      { server: a.serverName, org: flags.get('--org') ?? '' },
      {
        file: resolve(io.cwd, file),
        ...(hostname ? { hostname } : {}),
        ...(clientId ? { clientId } : {}),
        ...(passwordRef ? { passwordRef } : {}),
      },
      { onProgress: (p) => p.total && io.stderr.write(`… sent ${p.sent ?? 0}/${p.total} bytes\n`) },
    );
    if (flags.has('--json')) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else
      io.stdout.write(
        [
          `Imported into client ${r.clientId}, flow ${r.flowId} (import flow ${r.importFlowId} on "server"): ${r.totalRows} rows, ${r.uploadedFiles} uploaded files`,
          ...r.artifacts.map((s) => `  ${s.name}: ${s.rows} rows`),
          `ZIP sha256 ${r.sha256} (${r.bytes} bytes), checked on the server before the import`,
          '',
        ].join('\n'),
      );
    return 0;
  } finally {
    await a.close();
  }
}

export async function check(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, COMMON, { positionals: true });
  needServer(flags);
  if (!flags.positionals.length) throw new UsageError('check takes host names or client ids');
  const a = await openAgents(io, flags);
  try {
    const r = await a.service.checkEnrollment(
      { server: a.serverName, org: flags.get('--org') ?? '' },
      flags.positionals,
    );
    if (flags.has('--json')) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else
      for (const s of r)
        io.stdout.write(
          `${s.query}: ${
            s.enrolled
              ? s.clients
                  .map(
                    (c) =>
                      `${c.clientId} ${c.hostname} ${c.online ? 'online' : `last seen ${c.lastSeen ?? 'never'}`}`,
                  )
                  .join('; ')
              : 'not enrolled'
          }\n`,
        );
    return r.every((s) => s.enrolled) ? 0 : 1;
  } finally {
    await a.close();
  }
}

export async function installer(argv: string[], io: CliIO): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind !== 'msi' && kind !== 'deb' && kind !== 'rpm')
    throw new UsageError(`the installer is msi, deb or rpm${kind ? `, not "${kind}"` : ''}`);
  const flags = parseFlags(rest, {
    ...COMMON,
    '--out': { value: true },
    '--label': { value: true, repeat: true },
    '--frontend': { value: true, repeat: true },
    '--tag': { value: true },
    '--binary': { value: true },
    '--msi': { value: true },
  });
  needServer(flags);
  const out = flags.get('--out');
  if (!out) throw new UsageError('installer needs --out DIR');
  if (flags.has('--tag') && flags.has('--binary')) throw new UsageError('give --tag or --binary, not both');
  const frontends = flags.all('--frontend').map((f) => {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(f);
    if (!m) throw new UsageError(`--frontend is HOST:PORT, not "${f}"`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
  const a = await openAgents(io, flags);
  try {
    const file = flags.get('--binary');
    const msi = flags.get('--msi');
    const r = await a.service.buildInstaller(
      { server: a.serverName, org: flags.get('--org') ?? '' },
      {
        kind,
        outDir: resolve(io.cwd, out),
        binary: file ? { path: resolve(io.cwd, file) } : { tag: flags.get('--tag') ?? 'latest' },
        ...(msi ? { msi: resolve(io.cwd, msi) } : {}),
        labels: flags.all('--label'),
        frontends,
      },
      { onProgress: (p) => io.stderr.write(`… ${p.step}\n`) },
    );
    if (flags.has('--json')) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else
      io.stdout.write(
        [
          `${r.file.path} (${r.file.bytes} bytes, sha256 ${r.file.sha256})`,
          `built with: ${r.command.join(' ')}`,
          ...r.notes.map((n) => `note: ${n}`),
          '',
        ].join('\n'),
      );
    return 0;
  } finally {
    await a.close();
  }
}

export async function gpoKit(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, {
    ...COMMON,
    '--msi': { value: true },
    '--out': { value: true },
    '--share': { value: true },
  });
  needServer(flags);
  const msi = flags.get('--msi');
  const out = flags.get('--out');
  if (!msi || !out) throw new UsageError('kit gpo needs --msi FILE and --out DIR');
  const a = await openAgents(io, flags);
  try {
    const share = flags.get('--share');
    const kit = await a.service.gpoKit(
      { server: a.serverName, org: flags.get('--org') ?? '' },
      { msi: resolve(io.cwd, msi), dir: resolve(io.cwd, out), ...(share ? { share } : {}) },
    );
    if (flags.has('--json')) io.stdout.write(JSON.stringify(kit, null, 2) + '\n');
    else
      io.stdout.write(
        [
          `GPO kit in ${kit.folder}${kit.zip ? ` and ${kit.zip.path} (sha256 ${kit.zip.sha256})` : ''}:`,
          ...kit.files.map((f) => `  ${f.sha256}  ${f.name}`),
          'Follow README.md (Group Policy Management: Computer Configuration → Software installation).',
          '',
        ].join('\n'),
      );
    return 0;
  } finally {
    await a.close();
  }
}
