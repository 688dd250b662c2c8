/** Our client through the app's public path: registry → connection.query(), counting rows. */
import { readFileSync } from 'node:fs';
import { loadApiConfig } from '../../electron/core/velociraptor/config/api-config';
import { ConnectionRegistry } from '../../electron/core/velociraptor/registry';
import { userQuery } from '../../electron/core/velociraptor/vql/builder';

async function main(): Promise<void> {
  const [configPath, query] = process.argv.slice(2) as [string, string];
  const registry = new ConnectionRegistry();
  registry.addConfig('bench', loadApiConfig(readFileSync(configPath, 'utf8')));
  const conn = registry.connection('bench');
  let rows = 0;
  let logs = 0;
  let bigs = 0;
  const t = performance.now();
  for await (const ev of conn.query(userQuery(query), { maxRow: 1000 })) {
    if (ev.type === 'rows') {
      rows += ev.rows.length;
      if (typeof ev.rows[0]?.FileId === 'bigint') bigs += ev.rows.length;
    } else logs++;
  }
  const ms = performance.now() - t;
  registry.close();
  process.stdout.write(
    JSON.stringify({
      client: 'ours (grpc-js + exact JSON)',
      rows,
      log_lines: logs,
      bigint_rows: bigs,
      ms: Math.round(ms),
      rows_per_s: Math.round((rows / ms) * 1000),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    }) + '\n',
  );
}

void main();
