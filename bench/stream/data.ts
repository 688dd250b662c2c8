/**
 * Bench rows: ~300 bytes of JSON each, shaped like a process listing. `big` adds an unsigned
 * 64-bit field above 2^53 to every row, so the exact-integer path is exercised on every batch.
 */
export const ROWS_PER_BATCH = 1000;
export const DISTINCT_BATCHES = 50;

export function makeBatch(index: number, big: boolean): string {
  const rows: string[] = [];
  for (let i = 0; i < ROWS_PER_BATCH; i++) {
    const n = index * ROWS_PER_BATCH + i;
    const pid = 1000 + (n % 60000);
    const bigField = big
      ? `,"FileId":${(18446744073709551615n - BigInt(n)).toString()}`
      : `,"FileId":${4_000_000_000 + n}`;
    rows.push(
      `{"Pid":${pid},"Ppid":${pid % 977},"Name":"svc-${n % 97}.exe","Username":"CORP\\\\user${n % 31}",` +
        `"CommandLine":"C:\\\\Program Files\\\\Vendor ${n % 13}\\\\svc-${n % 97}.exe --config C:\\\\ProgramData\\\\cfg${n % 7}.json",` +
        `"CreateTime":"2026-11-2${n % 9}T0${n % 10}:1${n % 6}:00Z","MemoryUsage":${(n * 4096) % 987654321},` +
        `"Hash":"${(n * 2654435761).toString(16).padStart(16, '0')}"${bigField},"Online":${n % 2 === 0}}`,
    );
  }
  return `[${rows.join(',')}]`;
}
