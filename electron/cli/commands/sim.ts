/**
 * `megaraptor sim` — runs the Velociraptor SIMULATOR (electron/core/sim) until SIGINT/SIGTERM, and
 * `megaraptor sim agent` — the stand-in agent that enrols with its frontend (our own simplified
 * protocol, not Velociraptor's client protocol).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, CliIO } from '../command';
import {
  localIdentity,
  parseClientConfig,
  runAgent,
  SIMULATOR_BANNER,
  SIM_VERSION,
  startSimulator,
  type SimulatorOptions,
} from '../../core/sim/index';

const USAGE = `Usage: megaraptor sim [options]
       megaraptor sim agent --config client.config.yaml [--hostname NAME] [--os windows|linux|darwin]

Runs the Megaraptor Velociraptor SIMULATOR (a stand-in server for tests and demos, not Velociraptor).

Options:
  --port N                 gRPC API port (default: a free port, or API.bind_port of --config)
  --gui-port N             GUI port (HTTPS, Basic auth against GUI.initial_users)
  --frontend-port N        frontend port for stand-in agents
  --host ADDR              bind address (default 127.0.0.1)
  --config FILE            server.config.yaml: serve with its CA, Frontend certificate and users
  --ca-key FILE            CA private key when the config carries none (a deployed config)
  --datastore DIR          filestore folder (default: a fresh temporary folder)
  --speed X                progress pace multiplier (default 1)
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
  let config: string | undefined;
  const overrides: { hostname?: string; os?: 'windows' | 'linux' | 'darwin' } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--config' && v) config = argv[++i];
    else if (a === '--hostname' && v) overrides.hostname = argv[++i];
    else if (a === '--os' && (v === 'windows' || v === 'linux' || v === 'darwin')) {
      overrides.os = v;
      i++;
    } else {
      io.stderr.write(`megaraptor sim agent: unknown or incomplete option "${String(a)}"\n${USAGE}`);
      return 2;
    }
  }
  if (!config) {
    io.stderr.write('megaraptor sim agent: --config client.config.yaml is required\n');
    return 2;
  }
  const cfg = parseClientConfig(readFileSync(resolve(io.cwd, config), 'utf8'));
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
    const options: SimulatorOptions = { users: [] };
    let writeApiConfig: string | undefined;
    let role = 'api';
    let name = 'api-user';
    const num = (v: string | undefined, flag: string): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number`);
      return n;
    };
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      const v = argv[i + 1];
      const need = (): string => {
        if (v === undefined) throw new Error(`${String(a)} needs a value`);
        i++;
        return v;
      };
      switch (a) {
        case '--port':
          options.apiPort = num(need(), a);
          break;
        case '--gui-port':
          options.guiPort = num(need(), a);
          break;
        case '--frontend-port':
          options.frontendPort = num(need(), a);
          break;
        case '--host':
          options.host = need();
          break;
        case '--config':
          options.serverConfig = readFileSync(resolve(io.cwd, need()), 'utf8');
          break;
        case '--ca-key':
          options.caKeyPem = readFileSync(resolve(io.cwd, need()), 'utf8');
          break;
        case '--datastore':
          options.datastoreDir = resolve(io.cwd, need());
          break;
        case '--speed':
          options.speed = num(need(), a);
          break;
        case '--user': {
          const [user, roles] = need().split('=');
          if (!user || !roles) throw new Error('--user takes NAME=ROLE[,ROLE]');
          options.users?.push({ name: user, roles: roles.split(',').filter(Boolean) });
          break;
        }
        case '--write-api-config':
          writeApiConfig = resolve(io.cwd, need());
          break;
        case '--role':
          role = need();
          break;
        case '--name':
          name = need();
          break;
        default:
          io.stderr.write(`megaraptor sim: unknown option "${String(a)}"\n${USAGE}`);
          return 2;
      }
    }
    const sim = await startSimulator(options);
    if (writeApiConfig) {
      const yaml = await sim.mintApiConfig(name, role.split(',').filter(Boolean));
      writeFileSync(writeApiConfig, yaml, { mode: 0o600 });
      chmodSync(writeApiConfig, 0o600);
    }
    io.stdout.write(
      [
        `${SIMULATOR_BANNER} (emulating Velociraptor ${SIM_VERSION})`,
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
