/**
 * `megaraptor mcp --stdio` — the MCP server for assistants that launch a command (Claude Desktop,
 * Claude Code, other stdio clients). With an API config file (--api-config or
 * VELOCIRAPTOR_API_CONFIG) it needs no keychain; with --connection it opens a connection the app
 * saved in the OS keychain, and that connection's read-only identity when the app set one up.
 * --read-only-api-config gives the read-only identity as a file (it wins over the keychain's).
 */
import { resolve } from 'node:path';
import { AppError } from '../../../shared/errors';
import { resolveDataDir } from '../../core/app/index';
import {
  AppConnections,
  keyMaterialForms,
  ReadOnlyIdentities,
  runStdio,
  RegistryServers,
  StoredReadOnlyIdentities,
  type ReadOnlyConfigSource,
} from '../../core/mcp/index';
import { loadApiConfig, ConnectionRegistry, readConfigFile } from '../../core/velociraptor/index';
import { parseFlags, UsageError } from '../args';
import type { CliIO, Command } from '../command';
import { lazyKeychain } from '../keychain';

declare const __APP_VERSION__: string;
const VERSION = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';

const USAGE = `Usage: megaraptor mcp --stdio [--api-config FILE | --connection NAME] [--read-only-api-config FILE] [--data-dir DIR]

Serves the Megaraptor MCP tools, resources and prompts on stdin/stdout for an AI assistant.

Options:
  --stdio                      serve over stdio (the HTTP endpoint runs inside the app)
  --api-config FILE            Velociraptor API client config (default: $VELOCIRAPTOR_API_CONFIG)
  --connection NAME            a connection saved in the app (needs the OS keychain)
  --read-only-api-config FILE  the least-privilege identity (role "api" alone) read-only VQL runs as
  --data-dir DIR               the app's data folder (default: $MEGARAPTOR_DATA_DIR, else the platform's);
                               the Assistants page puts the app's own in its snippets

Read-only VQL (run_vql with read_only=true) runs as the read-only identity: the one given here, or
the one the app saved for --connection. Without one, read-only queries need the responder's
approval like any other action. Actions that change endpoints need the responder's approval in the
running app; with no app running they are refused unless the assistant policy allows them. The
policy is set in the app only: its file is signed with a key in the OS keychain, and a file that
fails the check is refused (the default applies: every action asks).
`;

const FLAGS = {
  '--stdio': {},
  '--api-config': { value: true },
  '--connection': { value: true },
  '--read-only-api-config': { value: true },
  '--data-dir': { value: true },
} as const;

/** A source with one identity for one connection name (a file given on the command line). */
function fixedSource(connection: string, yaml: string): ReadOnlyConfigSource {
  return { get: (name) => Promise.resolve(name === connection ? yaml : undefined) };
}

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'serve MCP tools to an AI assistant over stdio',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const flags = parseFlags(argv, FLAGS);
    if (!flags.has('--stdio'))
      throw new UsageError(
        'only --stdio is available from the command line (the HTTP endpoint runs in the app)',
      );
    const configPath = flags.get('--api-config') ?? io.env.VELOCIRAPTOR_API_CONFIG;
    const connection = flags.get('--connection');
    if (configPath && connection) throw new UsageError('give --api-config or --connection, not both');
    if (!configPath && !connection)
      throw new UsageError('give --api-config FILE, set VELOCIRAPTOR_API_CONFIG, or --connection NAME');
    const roPath = flags.get('--read-only-api-config');

    // An assistant starts this with its own environment: the snippet names the app's data folder.
    const dirFlag = flags.get('--data-dir');
    const dataDir = dirFlag ? resolve(io.cwd, dirFlag) : resolveDataDir({ env: io.env, cwd: io.cwd });
    const secrets: string[] = [];
    const readFile = async (path: string, what: string) => readConfigFile(resolve(io.cwd, path), what);
    const roYaml = roPath ? await readFile(roPath, 'read-only API config') : undefined;
    if (roYaml) secrets.push(...keyMaterialForms(loadApiConfig(roYaml).clientPrivateKeyPem));

    // The OS keychain, opened on first use: the policy's signing key (both modes) and, with
    // --connection, the saved configs.
    const keychain = lazyKeychain(dataDir);
    const openKeychain = keychain.open;

    const serve = async (
      registry: ConnectionRegistry,
      server: string,
      source: ReadOnlyConfigSource,
    ): Promise<number> => {
      const readOnly = new ReadOnlyIdentities({ source, defaultServer: () => server });
      try {
        await runStdio({
          dataDir,
          version: VERSION,
          servers: new RegistryServers({ registry, defaultServer: () => server }),
          secrets,
          readOnly,
          policySecrets: openKeychain,
          warn: (line) => io.stderr.write(`megaraptor mcp: ${line}\n`),
          stdin: io.stdin,
          stdout: io.stdout,
        });
      } finally {
        readOnly.close();
        keychain.close();
      }
      return 0;
    };

    if (configPath) {
      const cfg = loadApiConfig(await readFile(configPath, 'API config'));
      secrets.push(...keyMaterialForms(cfg.clientPrivateKeyPem));
      const server = cfg.name || 'default';
      const registry = new ConnectionRegistry();
      registry.addConfig(server, cfg);
      try {
        return await serve(
          registry,
          server,
          roYaml ? fixedSource(server, roYaml) : { get: async () => undefined },
        );
      } finally {
        registry.close();
      }
    }

    // The app's saved connections: its metadata file in the data dir, the API configs in the
    // keychain under the references the app wrote them with (read by the app's own code).
    const name = connection as string;
    const store = () => openKeychain();
    const saved = new AppConnections({ dataDir, keychain: store, closeDelayMs: 0 });
    try {
      await saved.refresh();
      const reg = saved.registry();
      if (!reg.has(name)) {
        const names = reg.list().map((c) => c.name);
        const problem = saved.problems().find((p) => p.name === name);
        throw new AppError(
          'CONNECTION_NOT_FOUND',
          problem
            ? `The saved connection "${name}" could not be opened: ${problem.message}`
            : `No saved connection named "${name}" in ${dataDir}. Saved: ${names.length ? names.join(', ') : 'none'}.`,
        );
      }
      secrets.push(...keyMaterialForms(reg.config(name).clientPrivateKeyPem));
      // Read now, so its key is known to the redactor before the first call.
      const ro = roYaml ?? (await new StoredReadOnlyIdentities(store).get(name));
      if (ro && !roYaml) secrets.push(...keyMaterialForms(loadApiConfig(ro).clientPrivateKeyPem));
      return await serve(reg, name, ro ? fixedSource(name, ro) : { get: async () => undefined });
    } finally {
      await saved.dispose();
      keychain.close();
    }
  },
};
