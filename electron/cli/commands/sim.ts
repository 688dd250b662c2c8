/**
 * `megaraptor sim` — runs the Velociraptor SIMULATOR (electron/core/sim) until SIGINT/SIGTERM, and
 * `megaraptor sim agent` — the stand-in agent that enrols with its frontend (our own simplified
 * protocol, not Velociraptor's client protocol).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseFlags, UsageError } from '../args';
import type { Command, CliIO } from '../command';
import { readConfigFile } from '../../core/velociraptor/index';
import {
  localIdentity,
  parseClientConfig,
  parseVelociraptorArgs,
  runAgent,
  runVelociraptorCommandLine,
  SIMULATOR_BANNER,
  startSimulator,
  type SimulatorOptions,
} from '../../core/sim/index';

const USAGE = `Usage: megaraptor sim [options]
       megaraptor sim agent --config client.config.yaml [--hostname NAME] [--os windows|linux|darwin]
       megaraptor sim [--config F] frontend|user add NAME PW --role R|client|version|query VQL

Runs the Megaraptor Velociraptor SIMULATOR (a stand-in server for tests and demos, not Velociraptor).
With one of Velociraptor's own commands (frontend, user add, client, version, query) it takes
Velociraptor's command line, so a launcher named \`velociraptor\` can stand in for the binary.

Options:
  --port N                 gRPC API port (default: a free port, or API.bind_port of --config)
  --gui-port N             GUI port (HTTPS, Basic auth against GUI.initial_users)
  --frontend-port N        frontend port for stand-in agents
  --host ADDR              bind address (default 127.0.0.1)
  --config FILE            server.config.yaml: serve with its CA, Frontend certificate and users
  --ca-key FILE            CA private key when the config carries none (a deployed config)
  --datastore DIR          filestore folder (default: a fresh temporary folder)
  --speed X                progress pace multiplier (default 1)
  --velociraptor-version V the release to play: 0.75 or 0.77 (default 0.77.2); its artifact
                           catalogue, function arguments and record fields differ
  --user NAME=ROLE[,ROLE]  add an API user with roles (repeatable)
  --write-api-config FILE  mint an API client config (mode 0600) for a new user (needs the CA key)
  --role ROLE[,ROLE]       roles of that user (default api)
  --name NAME              name of that user (default api-user)
`;

function waitForSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const done = (sig: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolveSignal(sig);
    };
    const onInt = (): void => done('SIGINT');
    const onTerm = (): void => done('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

async function runAgentCommand(argv: string[], io: CliIO): Promise<number> {
  const flags = parseFlags(argv, {
    '--config': { value: true },
    '--hostname': { value: true },
    '--os': { value: true },
  });
  const config = flags.get('--config');
  if (!config) throw new UsageError('agent: --config client.config.yaml is required');
  const overrides: { hostname?: string; os?: 'windows' | 'linux' | 'darwin' } = {};
  const hostname = flags.get('--hostname');
  if (hostname) overrides.hostname = hostname;
  const os = flags.get('--os');
  if (os !== undefined) {
    if (os !== 'windows' && os !== 'linux' && os !== 'darwin')
      throw new UsageError('agent: --os is windows, linux or darwin');
    overrides.os = os;
  }
  const cfg = parseClientConfig(await readConfigFile(resolve(io.cwd, config), 'client config'));
  const agent = await runAgent(cfg, localIdentity(overrides));
  io.stdout.write(
    `Stand-in agent (Megaraptor simulator protocol, not Velociraptor's) enrolled as ${agent.clientId}\n`,
  );
  await waitForSignal();
  agent.stop();
  return 0;
}

export const simCommand: Command = {
  name: 'sim',
  summary: 'run the Velociraptor simulator (test/demo server) or its stand-in agent',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    if (argv[0] === 'agent') return runAgentCommand(argv.slice(1), io);
    // Velociraptor's own command line (frontend, user add, client, version, query): the drop-in mode.
    if (parseVelociraptorArgs(argv)) return runVelociraptorCommandLine(argv, { ...io, waitForSignal });
    const flags = parseFlags(argv, {
      '--port': { value: true },
      '--gui-port': { value: true },
      '--frontend-port': { value: true },
      '--host': { value: true },
      '--config': { value: true },
      '--ca-key': { value: true },
      '--datastore': { value: true },
      '--speed': { value: true },
      '--velociraptor-version': { value: true },
      '--user': { value: true, repeat: true },
      '--write-api-config': { value: true },
      '--role': { value: true },
      '--name': { value: true },
    });
    const num = (flag: string): number | undefined => {
      const v = flags.get(flag);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a number`);
      return n;
    };
    const file = async (flag: string, what: string): Promise<string | undefined> => {
      const v = flags.get(flag);
      return v === undefined ? undefined : readConfigFile(resolve(io.cwd, v), what);
    };
    const options: SimulatorOptions = { users: [] };
    const apiPort = num('--port');
    const guiPort = num('--gui-port');
    const frontendPort = num('--frontend-port');
    const speed = num('--speed');
    if (apiPort !== undefined) options.apiPort = apiPort;
    if (guiPort !== undefined) options.guiPort = guiPort;
    if (frontendPort !== undefined) options.frontendPort = frontendPort;
    if (speed !== undefined) options.speed = speed;
    const host = flags.get('--host');
    if (host) options.host = host;
    const release = flags.get('--velociraptor-version');
    if (release !== undefined) {
      if (!/^0\.(75|77)(\.\d+)?$/.test(release.trim()))
        throw new UsageError('--velociraptor-version is 0.75 or 0.77 (or 0.75.7, 0.77.2)');
      options.velociraptorVersion = release.trim();
    }
    const serverConfig = await file('--config', 'server config');
    if (serverConfig) options.serverConfig = serverConfig;
    const caKey = await file('--ca-key', 'CA key');
    if (caKey) options.caKeyPem = caKey;
    const datastore = flags.get('--datastore');
    if (datastore) options.datastoreDir = resolve(io.cwd, datastore);
    for (const u of flags.all('--user')) {
      const [user, roles] = u.split('=');
      if (!user || !roles) throw new UsageError('--user takes NAME=ROLE[,ROLE]');
      options.users?.push({ name: user, roles: roles.split(',').filter(Boolean) });
    }
    const writeTo = flags.get('--write-api-config');
    const writeApiConfig = writeTo ? resolve(io.cwd, writeTo) : undefined;
    const role = flags.get('--role') ?? 'api';
    const name = flags.get('--name') ?? 'api-user';
    const sim = await startSimulator(options);
    if (writeApiConfig) {
      const yaml = await sim.mintApiConfig(name, role.split(',').filter(Boolean));
      writeFileSync(writeApiConfig, yaml, { mode: 0o600 });
      chmodSync(writeApiConfig, 0o600);
    }
    io.stdout.write(
      [
        `${SIMULATOR_BANNER} (emulating Velociraptor ${sim.version})`,
        `API (gRPC, mTLS):  ${sim.host}:${sim.apiPort}`,
        `GUI (HTTPS):       https://${sim.host}:${sim.guiPort}/`,
        `Frontend (agents): https://${sim.host}:${sim.frontendPort}/  (stand-in protocol, not Velociraptor's)`,
        `Datastore:         ${sim.datastoreDir}`,
        ...(writeApiConfig ? [`API config:        ${writeApiConfig} (user ${name}, roles ${role})`] : []),
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
    const sig = await waitForSignal();
    io.stdout.write(`${sig}: stopping the simulator\n`);
    await sim.stop();
    return 0;
  },
};
