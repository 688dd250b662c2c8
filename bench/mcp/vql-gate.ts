/**
 * The read-only VQL gate runs on the main thread of the core (issue 11.5: CPU-heavy work on assistant
 * input stays off it). This measures whether it is CPU-heavy: the gate's time on the largest query
 * run_vql accepts (20,000 characters), in shapes chosen to hit its worst cases (deep nesting, many
 * calls, many LETs, one long string), against JSON.parse of a document of the same size — work the
 * core already does on the main thread for every MCP message. Prints the median and worst time per
 * shape and the ratio to the baseline. Run: `npm run bench -- vql-gate`.
 */
import { checkReadOnlyVql } from '../../electron/core/mcp/vql-readonly';

// The largest query run_vql accepts; each shape is also built at half size: linear work doubles.
const FULL = 20_000;
let MAX = FULL;
const RUNS = Number(process.env.BENCH_RUNS ?? 200);

function fill(head: string, unit: string, tail: string): string {
  const n = Math.floor((MAX - head.length - tail.length) / unit.length);
  return head + unit.repeat(n) + tail;
}

function nested(): string {
  // Every call's argument list contains all the calls below it: the worst case for per-call scans.
  const open = 'lowcase(string=';
  const depth = Math.floor((MAX - 40) / (open.length + 1));
  return `SELECT ${open.repeat(depth)}'x'${')'.repeat(depth)} AS x FROM clients()`;
}

const shapes = (): Record<string, string> => ({
  'deep nesting': nested(),
  'many calls': fill('SELECT ', 'upcase(string=format(format="%v", args=[Name])), ', ' 1 FROM clients()'),
  'many LETs': fill('', 'LET a = SELECT client_id FROM clients() ', 'SELECT * FROM a'),
  'one long string': fill("SELECT '", 'x', "' AS s FROM clients()"),
  'many brackets': fill('SELECT ', 'Name[0][1:2]["k"], ', ' 1 FROM clients()'),
  'refused everywhere': fill('SELECT ', 'execve(argv=["id"]), ', ' 1 FROM info()'),
});

function jsonOfSize(n: number): string {
  const rows: unknown[] = [];
  let s = '';
  for (let i = 0; s.length < n; i++) {
    rows.push({
      ClientId: `C.${i.toString(16).padStart(16, '0')}`,
      Hostname: `host-${i}`,
      Labels: ['a', 'b'],
    });
    if (i % 20 === 0) s = JSON.stringify(rows);
  }
  return s;
}

function time(fn: () => void): { median: number; worst: number } {
  for (let i = 0; i < 20; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return { median: xs[Math.floor(xs.length / 2)]!, worst: xs[xs.length - 1]! };
}

const json = jsonOfSize(FULL);
const base = time(() => JSON.parse(json));
console.log(
  `baseline JSON.parse of ${json.length} chars: median ${base.median.toFixed(3)} ms, worst ${base.worst.toFixed(3)} ms`,
);
MAX = FULL / 2;
const half = shapes();
MAX = FULL;
console.log('shape               chars   verdict   median ms  worst ms  × baseline  full/half size');
for (const [name, q] of Object.entries(shapes())) {
  const v = checkReadOnlyVql(q);
  const t = time(() => checkReadOnlyVql(q));
  const h = time(() => checkReadOnlyVql(half[name]!));
  console.log(
    `${name.padEnd(18)} ${String(q.length).padStart(6)}   ${(v.ok ? 'allowed' : 'refused').padEnd(8)} ${t.median.toFixed(3).padStart(9)} ${t.worst.toFixed(3).padStart(9)}  ${(t.median / base.median).toFixed(1).padStart(8)}×  ${(t.median / h.median).toFixed(2)}`,
  );
}
