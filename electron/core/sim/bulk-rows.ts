/**
 * SIMULATOR-ONLY plugin `simulator_bulk_rows(rows=, batch=, seed=)` for demos and benchmarks. It is not
 * a Velociraptor plugin. Rows read like a process listing gathered from many hosts (a hunt's
 * Windows.System.Pslist): host names, process names, command lines (paths with spaces), users (some
 * with non-ASCII names), creation times, SHA256 hashes, ~300 bytes each, all drawn from a seeded
 * generator (dataset/prng.ts), so the same seed gives the same rows on every run and machine.
 *
 * The server must spend no CPU per row (a benchmark measures the client): a seed's rows are an endless
 * stream repeating a pool of POOL_ROWS rows (32,000), generated in blocks and serialised once per row;
 * a query's batch joins its rows' JSON once per (batch size, seed, place in the pool) and is reused.
 * Rows within a pool all differ (see bulk-rows.test.ts for the values' spread); `rows=50` gives the
 * first 50 rows of `rows=1000`, whatever the batch size.
 */
import { Rng } from './dataset/prng';
import type { PluginDef, PreSerializedBatch } from './vql/scope';
import type { Row } from './vql/values';

/** The seed when a query names none: every benchmark and test fixture uses it. */
export const BULK_SEED = 1;
/** Blocks of generated rows in a seed's pool. */
export const POOL = 32;
/** Serialised batches kept: a pool's worth at one batch size, and a few more. */
const CACHED = 4 * POOL;

const cache = new Map<string, PreSerializedBatch>();
const COLUMNS = ['BatchRow', 'Hostname', 'Pid', 'Name', 'CommandLine', 'Username', 'CreateTime', 'SHA256'];

const DOMAIN = 'corp.example';
const SITES = ['FIN', 'HR', 'ENG', 'OPS', 'SAL', 'LEG', 'MKT'];
const SERVERS = ['DC', 'SQL', 'WEB', 'FS', 'EXCH', 'APP'];
const USERS = [
  'alice.martin',
  'bob.nguyen',
  'carol.schmidt',
  'dmitri.ivanov',
  'émilie.dubois',
  'józef.wiśniewski',
  'zoë.müller',
  'søren.kierkegaard',
  'ana.gonçalves',
  'li.wei',
  '田中.太郎',
  'o.brien',
  'priya.raman',
  'svc_backup',
  'svc_sql',
  'Administrator',
];
const SYSTEM = 'NT AUTHORITY\\SYSTEM';
const LOCAL_SERVICE = 'NT AUTHORITY\\LOCAL SERVICE';
const NETWORK_SERVICE = 'NT AUTHORITY\\NETWORK SERVICE';

type Who = 'system' | 'local' | 'network' | 'user';

/** A program: its name, how its command lines look (`{}` stands for an argument drawn per row), who runs it, how often. */
interface Program {
  name: string;
  lines: readonly string[];
  args?: readonly string[];
  who: Who;
  weight: number;
}

const SVC_GROUPS = [
  '-k netsvcs -p -s Schedule',
  '-k netsvcs -p -s Winmgmt',
  '-k LocalServiceNetworkRestricted -p -s EventLog',
  '-k NetworkService -p -s Dnscache',
  '-k LocalService -p -s BthAvctpSvc',
  '-k DcomLaunch -p',
  '-k RPCSS -p',
  '-k UnistackSvcGroup -s CDPUserSvc_4f2a1',
];

const PROGRAMS: readonly Program[] = [
  {
    name: 'svchost.exe',
    lines: ['C:\\Windows\\System32\\svchost.exe {}'],
    args: SVC_GROUPS,
    who: 'system',
    weight: 30,
  },
  {
    name: 'svchost.exe',
    lines: ['C:\\Windows\\system32\\svchost.exe {}'],
    args: SVC_GROUPS,
    who: 'local',
    weight: 8,
  },
  {
    name: 'svchost.exe',
    lines: ['C:\\Windows\\System32\\svchost.exe {}'],
    args: SVC_GROUPS,
    who: 'network',
    weight: 6,
  },
  { name: 'System', lines: [''], who: 'system', weight: 1 },
  { name: 'Registry', lines: [''], who: 'system', weight: 1 },
  { name: 'smss.exe', lines: ['\\SystemRoot\\System32\\smss.exe'], who: 'system', weight: 1 },
  {
    name: 'csrss.exe',
    lines: [
      '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1',
    ],
    who: 'system',
    weight: 2,
  },
  { name: 'lsass.exe', lines: ['C:\\Windows\\system32\\lsass.exe'], who: 'system', weight: 1 },
  { name: 'services.exe', lines: ['C:\\Windows\\system32\\services.exe'], who: 'system', weight: 1 },
  { name: 'explorer.exe', lines: ['C:\\Windows\\Explorer.EXE'], who: 'user', weight: 3 },
  {
    name: 'chrome.exe',
    lines: ['"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" {}'],
    args: [
      '--type=renderer --lang=en-US --renderer-client-id={n}',
      '--type=gpu-process --field-trial-handle={n}',
      '--type=utility --utility-sub-type=network.mojom.NetworkService',
      '',
    ],
    who: 'user',
    weight: 14,
  },
  {
    name: 'msedge.exe',
    lines: ['"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" {}'],
    args: ['--type=renderer --renderer-client-id={n}', '--single-argument https://intranet.corp.example/'],
    who: 'user',
    weight: 6,
  },
  {
    name: 'OUTLOOK.EXE',
    lines: ['"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" '],
    who: 'user',
    weight: 2,
  },
  {
    name: 'WINWORD.EXE',
    lines: [
      '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\{u}\\Documents\\Q{n} report.docx"',
    ],
    who: 'user',
    weight: 2,
  },
  {
    name: 'Teams.exe',
    lines: ['"C:\\Users\\{u}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe" --type=renderer'],
    who: 'user',
    weight: 4,
  },
  {
    name: 'OneDrive.exe',
    lines: ['"C:\\Users\\{u}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background'],
    who: 'user',
    weight: 2,
  },
  { name: 'conhost.exe', lines: ['\\??\\C:\\Windows\\system32\\conhost.exe 0x4'], who: 'user', weight: 4 },
  {
    name: 'RuntimeBroker.exe',
    lines: ['C:\\Windows\\System32\\RuntimeBroker.exe -Embedding'],
    who: 'user',
    weight: 3,
  },
  {
    name: 'MsMpEng.exe',
    lines: ['"C:\\ProgramData\\Microsoft\\Windows Defender\\platform\\4.18.2{n}.7-0\\MsMpEng.exe"'],
    who: 'system',
    weight: 1,
  },
  {
    name: 'sqlservr.exe',
    lines: [
      '"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe" -sMSSQLSERVER',
    ],
    who: 'user',
    weight: 1,
  },
  {
    name: 'Velociraptor.exe',
    lines: [
      '"C:\\Program Files\\Velociraptor\\Velociraptor.exe" --config "C:\\Program Files\\Velociraptor\\client.config.yaml" service run',
    ],
    who: 'system',
    weight: 1,
  },
  {
    name: 'powershell.exe',
    lines: ['"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" {}'],
    args: [
      '-NoProfile -ExecutionPolicy Bypass -File "C:\\Program Files\\Corp Tools\\inventory.ps1"',
      '-nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
      '',
    ],
    who: 'user',
    weight: 2,
  },
  {
    name: 'cmd.exe',
    lines: [
      'C:\\Windows\\system32\\cmd.exe /c "C:\\Users\\{u}\\Downloads\\setup {n}.bat"',
      'C:\\Windows\\system32\\cmd.exe',
    ],
    who: 'user',
    weight: 2,
  },
  {
    name: 'rundll32.exe',
    lines: [
      'rundll32.exe C:\\Users\\Public\\upd{n}.dll,DllRegisterServer',
      'C:\\Windows\\system32\\rundll32.exe shell32.dll,Control_RunDLL',
    ],
    who: 'user',
    weight: 1,
  },
  {
    name: 'taskhostw.exe',
    lines: ['taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}'],
    who: 'user',
    weight: 2,
  },
  { name: 'spoolsv.exe', lines: ['C:\\Windows\\System32\\spoolsv.exe'], who: 'system', weight: 1 },
];
const TOTAL_WEIGHT = PROGRAMS.reduce((s, p) => s + p.weight, 0);

/** The hosts of a seed: workstations at each site and a few servers. */
function hostsOf(seed: number): string[] {
  const rng = new Rng(`bulk-hosts:${seed}`);
  const hosts = new Set<string>();
  while (hosts.size < 240) {
    const server = rng.chance(0.15);
    const name = server
      ? `SRV-${rng.pick(SERVERS)}-${String(rng.int(1, 12)).padStart(2, '0')}`
      : `WKS-${rng.pick(SITES)}-${String(rng.int(1, 180)).padStart(3, '0')}`;
    hosts.add(`${name}.${DOMAIN}`);
  }
  return [...hosts];
}

/** A program's SHA256 per version: hosts run one of three builds; one row in 500 is an unknown binary. */
function hashOf(rng: Rng, name: string, seed: number): string {
  if (rng.chance(0.002)) return rng.hex(64);
  return new Rng(`bulk-hash:${seed}:${name}:${rng.int(0, 2)}`).hex(64);
}

function pickProgram(rng: Rng): Program {
  let w = rng.next() * TOTAL_WEIGHT;
  for (const p of PROGRAMS) {
    w -= p.weight;
    if (w < 0) return p;
  }
  return PROGRAMS[0] as Program;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** Times fall in the 30 days before this instant (fixed: the same rows on every run). */
const EPOCH = Date.UTC(2026, 10, 30, 18, 0, 0);

/** Rows per generated block; the pool of a seed is POOL blocks. */
const BLOCK = 1000;
/** Rows of a seed before they repeat. */
export const POOL_ROWS = POOL * BLOCK;

/**
 * Block `block` of a seed's pool: runs of 20–120 processes per host, Pids rising by multiples of 4
 * from the host's boot, most processes started near the boot, some since. `BatchRow` is the row's
 * place in the pool (0 … POOL_ROWS - 1).
 */
function generateBlock(block: number, seed: number): Row[] {
  const hosts = hostsOf(seed);
  const rng = new Rng(`bulk:${seed}:${block}`);
  const rows: Row[] = [];
  while (rows.length < BLOCK) {
    const host = rng.pick(hosts);
    const user = rng.pick(USERS);
    const boot = EPOCH - rng.int(3_600, 30 * 86_400) * 1000;
    let pid = rng.int(1, 40) * 4;
    const run = Math.min(BLOCK - rows.length, rng.int(20, 120));
    for (let k = 0; k < run; k++) {
      const p = pickProgram(rng);
      const n = String(rng.int(1, 9999));
      const arg = p.args ? rng.pick(p.args) : '';
      const line = rng
        .pick(p.lines)
        .replace('{}', arg)
        .replaceAll('{u}', user)
        .replaceAll('{n}', n)
        .trimEnd();
      const started = rng.chance(0.7) ? boot + rng.int(2, 600) * 1000 : boot + rng.next() * (EPOCH - boot);
      rows.push({
        BatchRow: block * BLOCK + rows.length,
        Hostname: host,
        Pid: pid,
        Name: p.name,
        CommandLine: line,
        Username: whoIs(p.who, host, user),
        CreateTime: iso(started),
        SHA256: hashOf(rng, p.name, seed),
      });
      pid += rng.int(1, 300) * 4;
    }
  }
  return rows;
}

function whoIs(who: Who, host: string, user: string): string {
  if (who === 'system') return SYSTEM;
  if (who === 'local') return LOCAL_SERVICE;
  if (who === 'network') return NETWORK_SERVICE;
  return user === 'Administrator' ? `${host.split('.')[0] ?? ''}\\Administrator` : `CORP\\${user}`;
}

/** A block's rows and each row's JSON text, made once per seed. */
const blocks = new Map<string, { rows: Row[]; json: string[] }>();

function blockOf(block: number, seed: number): { rows: Row[]; json: string[] } {
  const key = `${seed}:${block}`;
  let b = blocks.get(key);
  if (!b) {
    const rows = generateBlock(block, seed);
    b = { rows, json: rows.map((r) => JSON.stringify(r)) };
    blocks.set(key, b);
    while (blocks.size > 2 * POOL) {
      const oldest = blocks.keys().next().value;
      if (oldest === undefined) break;
      blocks.delete(oldest);
    }
  }
  return b;
}

/** Rows `from` … `from + count - 1` of a seed's endless stream (the pool, repeated). */
export function bulkRows(from: number, count: number, seed = BULK_SEED): Row[] {
  const out: Row[] = [];
  for (let i = from; i < from + count; i++) {
    const at = i % POOL_ROWS;
    out.push({ ...(blockOf(Math.floor(at / BLOCK), seed).rows[at % BLOCK] as Row) });
  }
  return out;
}

/** Batch `index` of a query sending batches of `size` rows: the stream's rows from index × size, serialised once. */
export function bulkBatch(size: number, index = 0, seed = BULK_SEED): PreSerializedBatch {
  const from = (index * size) % POOL_ROWS;
  const key = `${size}:${seed}:${from}`;
  let batch = cache.get(key);
  if (!batch) {
    const parts: string[] = [];
    for (let i = from; i < from + size; i++) {
      const at = i % POOL_ROWS;
      parts.push(blockOf(Math.floor(at / BLOCK), seed).json[at % BLOCK] as string);
    }
    const json = `[${parts.join(',')}]`;
    batch = {
      kind: 'pre-serialized-batch',
      json,
      columns: COLUMNS,
      rowCount: size,
      rows: () => JSON.parse(json) as Row[],
    };
    cache.set(key, batch);
    while (cache.size > CACHED) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  }
  return batch;
}

export const bulkRowsPlugin: PluginDef = {
  name: 'simulator_bulk_rows',
  doc: 'SIMULATOR ONLY (not in Velociraptor): emits `rows` process-listing rows of ~300 bytes from many hosts, in pre-serialised batches of `batch` (default 1000), drawn from `seed` (default 1: the same rows every run).',
  args: { rows: { type: 'int', required: true }, batch: { type: 'int' }, seed: { type: 'int' } },
  async *run(args, scope) {
    if (!scope.require('READ_RESULTS', 'simulator_bulk_rows')) return;
    const total = Math.max(0, Number(args.rows));
    const size = Math.max(1, Math.min(100_000, typeof args.batch === 'number' ? args.batch : 1000));
    const seed = typeof args.seed === 'number' ? args.seed : BULK_SEED;
    let sent = 0;
    for (let index = 0; sent < total; index++) {
      if (scope.ctx.signal.aborted) return;
      const n = Math.min(size, total - sent);
      yield bulkBatch(n, index, seed);
      sent += n;
    }
  },
};
