import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bulkBatch } from '../sim/bulk-rows';
import { scanRows } from '../velociraptor/query/row-scan';
import { copyColumns, unpackLines, type ColumnCopy } from './column-copy';
import { ResultSet, type View } from './result-store';

function copyOf(text: string): ColumnCopy | null {
  const buf = Buffer.from(text);
  const { count, delims } = scanRows(buf);
  return copyColumns(buf, delims, count);
}

function linesOf(copy: ColumnCopy | null, column: string): string | undefined {
  const c = copy?.get(column);
  return c ? unpackLines(c).toString() : undefined;
}

describe('column copies (copyColumns)', () => {
  it('hold each value as sent, one line per row, empty where a row lacks the column', () => {
    const copy = copyOf(
      '[ {"a" : 1, "b":"x"} , {"b":"y\\"z","c":null},{"a":{"n":[1, "}"]},"a":"last"},{}, {"é":"Zoë 田中","H\\u006fst":-2.5e3}]',
    );
    expect(linesOf(copy, 'a')).toBe('1\n\n"last"\n\n\n');
    expect(linesOf(copy, 'b')).toBe('"x"\n"y\\"z"\n\n\n\n');
    expect(linesOf(copy, 'c')).toBe('\nnull\n\n\n\n');
    expect(linesOf(copy, 'é')).toBe('\n\n\n\n"Zoë 田中"\n');
    expect(linesOf(copy, 'Host')).toBe('\n\n\n\n-2.5e3\n');
    expect([...(copy?.keys() ?? [])]).toEqual(['a', 'b', 'c', 'é', 'Host']);
  });

  it('are not made for rows that are no objects, values spanning lines, or bytes that are not JSON', () => {
    expect(copyOf('[{"a":1},7]')).toBeNull();
    expect(copyOf('[{"a":1},["x"]]')).toBeNull();
    expect(copyOf('[{"a":{\n"b":1}}]')).toBeNull();
    expect(copyOf('[{"a":"line\nbreak"}]')).toBeNull();
    expect(copyOf('[{"a":1}]')).not.toBeNull();
  });

  it('keep short plain lines, compress what compresses, and skip long values that do not', () => {
    // Short ids that compress little (base64): kept plain, as cheap as compressed.
    const pids = JSON.stringify(
      Array.from({ length: 200 }, () => ({ Id: randomBytes(9).toString('base64') })),
    );
    expect(copyOf(pids)?.get('Id')?.packedFrom).toBe(0);
    const hosts = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ Host: `wks-${i % 3}` })));
    expect(copyOf(hosts)?.get('Host')?.packedFrom).toBeGreaterThan(0);
    const blobs = JSON.stringify(
      Array.from({ length: 50 }, () => ({ b: randomBytes(300).toString('base64') })),
    );
    const copy = copyOf(blobs);
    expect(copy?.get('b')).toBeNull(); // not copied: the sort reads the batch
    expect(copy?.has('b')).toBe(true);
  });
});

describe('a result set sorted from column copies', () => {
  const views = (col: string): View[] => [
    { sort: { column: col, desc: false }, filter: '' },
    { sort: { column: col, desc: true }, filter: '' },
    { sort: { column: col, desc: true }, filter: 'wks' },
  ];

  it('orders the seeded bulk rows exactly as the path without copies, every column both ways', () => {
    const copied = new ResultSet('c', 'o');
    const plain = new ResultSet('p', 'o', { compress: false });
    // Three batches of the simulator's rows and one that gets no copy (a row that is no object).
    const texts = [0, 1, 2].map((k) => bulkBatch(500, k).json);
    texts.push('[{"Hostname":"ZZZ","Pid":"12"},"a bare string",{"Pid":{"nested":1},"Name":null}]');
    for (const t of texts) {
      const bytes = Buffer.from(t);
      const raw = { bytes, ...scanRows(bytes) };
      copied.pushRaw(raw, ['Hostname']);
      plain.pushRaw(raw, ['Hostname']);
    }
    expect(copied.size).toBe(1503);
    for (const col of [
      'BatchRow',
      'Hostname',
      'Pid',
      'Name',
      'CommandLine',
      'Username',
      'CreateTime',
      'SHA256',
      'None',
    ])
      for (const view of views(col)) expect(copied.viewIndex(view)).toEqual(plain.viewIndex(view));
    expect(copied.window(0, 3, views('Pid')[1] as View)).toEqual(plain.window(0, 3, views('Pid')[1] as View));
  });

  it('extends the sort from the copies of batches that arrive after it', () => {
    const s = new ResultSet('c', 'o');
    const push = (rows: unknown[]): void => {
      const bytes = Buffer.from(JSON.stringify(rows));
      s.pushRaw({ bytes, ...scanRows(bytes) }, ['Name']);
    };
    push([{ Name: 'b' }, { Name: 'É' }, { Other: 1 }]);
    const byName: View = { sort: { column: 'Name', desc: false }, filter: '' };
    expect(s.window(0, 10, byName).rows.map((r) => r[0])).toEqual(['', 'b', 'É']);
    push([{ Name: 'a' }, { Name: 3 }]);
    expect(s.window(0, 10, byName).rows.map((r) => r[0])).toEqual(['3', '', 'a', 'b', 'É']);
  });
});
