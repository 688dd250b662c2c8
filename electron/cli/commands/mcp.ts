/**
 * `megaraptor mcp --stdio` — the MCP server for assistants that launch a command (Claude Desktop,
 * Claude Code, other stdio clients). With an API config file (--api-config or
 * VELOCIRAPTOR_API_CONFIG) it needs no keychain; with --connection it opens a connection the app
 * saved in the OS keychain.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError, messageOf } from '../../../shared/errors';
import { resolveDataDir } from '../../core/app/index';
import { AppConnections, runStdio, RegistryServers } from '../../core/mcp/index';
import { loadApiConfig, ConnectionRegistry } from '../../core/velociraptor/index';
import type { CliIO, Command } from '../command';

declare const __APP_VERSION__: string;
const VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';

const USAGE = `Usage: megaraptor mcp --stdio [--api-config FILE | --connection NAME] [--read-only-api-config FILE] [--data-dir DIR]

Serves the Megaraptor MCP tools, resources and prompts on stdin/stdout for an AI assistant.

Options:
  --stdio                      serve over stdio (the HTTP endpoint runs inside the app)
  --api-config FILE            Velociraptor API client config (default: $VELOCIRAPTOR_API_CONFIG)
  --connection NAME            a connection saved in the app (needs the OS keychain)
  --read-only-api-config FILE  a least-privilege identity (roles: api) used for read-only VQL
  --data-dir DIR               the app's data folder (default: $MEGARAPTOR_DATA_DIR, else the platform's);
                               the Assistants page puts the app's own in its snippets

Actions that change endpoints need the responder's approval in the running app; with no app
running they are refused unless the assistant policy file (<data dir>/mcp-policy.json) allows them.
`;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new AppError('INVALID_ARGUMENT', `${name} needs a value.`);
  return v;
}

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'serve MCP tools to an AI assistant over stdio',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    if (!argv.includes('--stdio')) {
      io.stderr.write(
        'megaraptor mcp: only --stdio is available from the command line (the HTTP endpoint runs in the app).\n' +
          USAGE,
      );
      return 2;
    }
    try {
      // An assistant starts this with its own environment: the snippet names the app's data folder.
      const dirFlag = flag(argv, '--data-dir');
      const dataDir = dirFlag ? resolve(io.cwd, dirFlag) : resolveDataDir({ env: io.env, cwd: io.cwd });
      const registry = new ConnectionRegistry();
      const secrets: string[] = [];
      const configPath = flag(argv, '--api-config') ?? io.env.VELOCIRAPTOR_API_CONFIG;
      const connection = flag(argv, '--connection');
      let server: string;
      if (configPath) {
        const cfg = loadApiConfig(await readFile(resolve(io.cwd, configPath), 'utf8'));
        secrets.push(cfg.clientPrivateKeyPem);
        server = cfg.name || 'default';
        registry.addConfig(server, cfg);
      } else if (connection) {
        // The app's saved connections: its metadata file in the data dir, the API configs in the
        // keychain under the references the app wrote them with (read by the app's own code).
        // Under the data folder's own keychain namespace, as the app wrote them.
        const { keychainStoreFor } = await import('../../core/credentials/index');
        const { WorkerKeychainBackend } = await import('../../core/credentials/keychain-worker');
        const backend = new WorkerKeychainBackend();
        const saved = new AppConnections({
          dataDir,
          keychain: () => Promise.resolve(keychainStoreFor(dataDir, { backend })),
          closeDelayMs: 0,
        });
        try {
          await saved.refresh();
          const reg = saved.registry();
          if (!reg.has(connection)) {
            const names = reg.list().map((c) => c.name);
            const problem = saved.problems().find((p) => p.name === connection);
            throw new AppError(
              'CONNECTION_NOT_FOUND',
              problem
                ? `The saved connection "${connection}" could not be opened: ${problem.message}`
                : `No saved connection named "${connection}" in ${dataDir}. Saved: ${names.length ? names.join(', ') : 'none'}.`,
            );
          }
          return await serve(reg, connection, undefined);
        } finally {
          await saved.dispose();
          // Once a Secret Service call ran, its worker holds the process open at exit: end it.
          backend.reset();
        }
      } else {
        io.stderr.write(
          'megaraptor mcp: give --api-config FILE, set VELOCIRAPTOR_API_CONFIG, or --connection NAME.\n',
        );
        return 2;
      }
      const roPath = flag(argv, '--read-only-api-config');
      let ro: string | undefined;
      if (roPath) {
        const cfg = loadApiConfig(await readFile(resolve(io.cwd, roPath), 'utf8'));
        secrets.push(cfg.clientPrivateKeyPem);
        ro = `${server}-read-only`;
        registry.addConfig(ro, cfg);
      }
      return await serve(registry, server, ro);

      async function serve(
        reg: ConnectionRegistry,
        name: string,
        readOnly: string | undefined,
      ): Promise<number> {
        const servers = new RegistryServers({
          registry: reg,
          defaultServer: () => name,
          readOnlyServer: () => readOnly,
        });
        await runStdio({ dataDir, version: VERSION, servers, secrets, stdin: io.stdin, stdout: io.stdout });
        if (reg === registry) reg.close();
        return 0;
      }
    } catch (e) {
      io.stderr.write(`megaraptor mcp: ${messageOf(e)}\n`);
      return 1;
    }
  },
};
