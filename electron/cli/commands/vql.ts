/**
 * `megaraptor vql` — run one VQL query against a Velociraptor server, like `velociraptor query`:
 * rows to stdout, log lines to stderr, non-zero exit when the server reports a VQL error. Needs no
 * keychain: the API config file holds the key (encrypted keys: passphrase from
 * MEGARAPTOR_API_PASSPHRASE).
 */
import { resolve } from 'node:path';
import { once } from 'node:events';
import { isAppError, messageOf } from '../../../shared/errors';
import {
  loadApiConfig,
  readConfigFile,
  RowFormatter,
  rawLines,
  stripTerminalControls,
  type OutputFormat,
  ConnectionRegistry,
  userQuery,
} from '../../core/velociraptor/index';
import { unknownFlagMessage } from '../args';
import type { CliIO, Command } from '../command';

const KNOWN_FLAGS = [
  '--api-config',
  '--org',
  '--env',
  '--format',
  '--max-row',
  '--timeout',
  '--quiet',
  '--raw',
];

const USAGE = `Usage: megaraptor vql [options] "QUERY"

Runs VQL on a Velociraptor server through its gRPC API. Rows go to stdout, the server's log lines
to stderr; the exit code is 1 when the query fails or the server reports a VQL error.

Options:
  --api-config FILE   API client config (velociraptor config api_client); default $VELOCIRAPTOR_API_CONFIG
  --org ID            org to run in (default: root)
  --env KEY=VALUE     a query variable, repeatable (values reach VQL only as variables)
  --format F          json (default), jsonl (the server's row text, unparsed) or csv (formula-safe)
  --max-row N         rows per response batch (default 1000)
  --timeout S         server-side query timeout in seconds
  --quiet             do not print log lines
  --raw               keep terminal control characters in log lines and CSV (stripped by default)
Encrypted private keys read their passphrase from $MEGARAPTOR_API_PASSPHRASE.
`;

interface Args {
  config?: string;
  org: string;
  env: Record<string, string>;
  format: OutputFormat;
  maxRow: number;
  timeout?: number;
  quiet: boolean;
  raw: boolean;
  query?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const a: Args = { org: '', env: {}, format: 'json', maxRow: 1000, quiet: false, raw: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    switch (arg) {
      case '--api-config':
      case '--api_config':
        a.config = value(i++, arg);
        break;
      case '--org':
        a.org = value(i++, arg);
        break;
      case '--env': {
        const kv = value(i++, arg);
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new UsageError(`--env expects KEY=VALUE, got "${kv}"`);
        a.env[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '--format': {
        const f = value(i++, arg);
        if (f !== 'json' && f !== 'jsonl' && f !== 'csv')
          throw new UsageError('--format is json, jsonl or csv');
        a.format = f;
        break;
      }
      case '--max-row': {
        const n = Number(value(i++, arg));
        if (!Number.isSafeInteger(n) || n < 1) throw new UsageError('--max-row must be a positive integer');
        a.maxRow = n;
        break;
      }
      case '--timeout': {
        const n = Number(value(i++, arg));
        if (!Number.isFinite(n) || n <= 0)
          throw new UsageError('--timeout must be a positive number of seconds');
        a.timeout = n;
        break;
      }
      case '--quiet':
        a.quiet = true;
        break;
      case '--raw':
        a.raw = true;
        break;
      default:
        if (arg.startsWith('--')) throw new UsageError(unknownFlagMessage(arg, KNOWN_FLAGS));
        if (a.query !== undefined) throw new UsageError('give the query as one argument (quote it)');
        a.query = arg;
    }
  }
  return a;
}

async function write(stream: NodeJS.WritableStream, data: string | Buffer): Promise<void> {
  if (data.length && !stream.write(data)) await once(stream, 'drain');
}

export const vqlCommand: Command = {
  name: 'vql',
  summary: 'run a VQL query on a Velociraptor server (rows to stdout, logs to stderr)',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    let args: Args;
    try {
      args = parseArgs(argv);
      if (!args.query) throw new UsageError('no query given');
      args.config ??= io.env.VELOCIRAPTOR_API_CONFIG;
      if (!args.config)
        throw new UsageError('no API config: pass --api-config FILE or set VELOCIRAPTOR_API_CONFIG');
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`megaraptor vql: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    const registry = new ConnectionRegistry();
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once('SIGINT', onSigint);
    const out = new RowFormatter(args.format, { stripControls: !args.raw });
    const clean = (text: string): string => (args.raw ? text : stripTerminalControls(text));
    let failed = false;
    try {
      const text = await readConfigFile(resolve(io.cwd, args.config), 'API config');
      registry.addConfig('cli', loadApiConfig(text, { passphrase: io.env.MEGARAPTOR_API_PASSPHRASE }));
      const conn = registry.connection('cli', args.org);
      const q = userQuery(args.query, args.env);
      await write(io.stdout, out.start());
      for await (const ev of conn.query(q, {
        maxRow: args.maxRow,
        timeoutSeconds: args.timeout,
        signal: ac.signal,
        name: 'megaraptor-cli',
        // JSON lines are the server's row bytes passed through: exact values, no parse.
        raw: args.format === 'jsonl',
      })) {
        if (ev.type === 'rows') {
          if (ev.raw) await write(io.stdout, rawLines(ev.raw));
          await write(io.stdout, out.rows(ev.rows, ev.columns, ev.queryId));
        } else {
          if (ev.problem) failed = true;
          if (!args.quiet || ev.problem) io.stderr.write(`[${ev.level}] ${clean(ev.message)}\n`);
        }
      }
      await write(io.stdout, out.end());
      return failed ? 1 : 0;
    } catch (e) {
      io.stderr.write(`megaraptor vql: ${clean(isAppError(e) ? `${e.code}: ${e.message}` : messageOf(e))}\n`);
      return 1;
    } finally {
      process.removeListener('SIGINT', onSigint);
      registry.close();
    }
  },
};
