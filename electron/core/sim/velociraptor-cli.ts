/**
 * The simulator as a drop-in for the Velociraptor binary: the part of Velociraptor's command line the
 * deployers use, with the same words, flags and exit codes, so a deployment runs the product's own way
 * with the simulator in the binary's place (a launcher named `velociraptor` runs
 * `megaraptor sim <args>`; see launcher.ts):
 *
 *   velociraptor [--config F] frontend [-v]              serve (API, GUI, frontend) from the config
 *   velociraptor --config F frontend --minion --node N   a minion of a multi-frontend config: serves
 *                                                        agents on its ExtraFrontends entry (minions.ts)
 *   velociraptor --config F user add NAME [PW] --role R  register a user in the datastore before start
 *   velociraptor --config F client [-v]                  the stand-in agent (our own enrolment protocol)
 *   velociraptor version                                 version information (says it is the simulator)
 *   velociraptor query [--format json|jsonl] VQL…        a local query (http_client, log(level=ERROR)
 *                                                        makes the exit status 1, as Velociraptor's does)
 *   velociraptor service install --config F              macOS service install, STAND-IN: copies the
 *                                                        binary and config as Velociraptor does and writes
 *                                                        its plist under $MEGARAPTOR_SIM_ROOT (tests)
 *   velociraptor --config F debian client [--binary B]   a real .deb (packages.ts)
 *   velociraptor --config F rpm client [--binary B]      a real .rpm (rpm.ts)
 *   velociraptor config repack --msi M CONFIG OUT        the placeholder config inside an MSI replaced in
 *                                                        place, as Velociraptor does (msi-repack.ts)
 *
 * Everything it prints names the simulator; it is never mistaken for Velociraptor.
 */
import { messageOf } from '../../../shared/errors';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { hashPassword } from '../pki/index';
import { clientDeb } from './packages';
import { clientRpm } from './rpm';
import { MSI_MAGIC, repackInfo, repackMsi } from './msi-repack';
import { loadOrCreateWriteback, localIdentity, parseClientConfig, runAgent } from './agent';
import { SIMULATOR_BANNER } from './gui-server';
import { isKnownRole } from './permissions';
import { runQuery, type QueryResponseMessage } from './query-stream';
import { startMinion } from './minions';
import { parseServerConfig } from './server-config';
import { setupPki, validateUsername } from './sim-pki';
import { addUser } from './user-file';
import { SIM_VERSION, startSimulator } from './index';
import { versionProfile } from './version';
import { builtinFunctions, builtinPlugins } from './vql/builtins';
import { httpClientPlugin } from './vql/http-client';

export const VELOCIRAPTOR_COMMANDS = [
  'frontend',
  'user',
  'client',
  'version',
  'query',
  'service',
  'debian',
  'rpm',
  'config',
] as const;

export interface VrIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  cwd: string;
  /** Resolves on SIGINT/SIGTERM (long-running commands stop then). */
  waitForSignal(): Promise<string>;
}

interface Parsed {
  config?: string;
  command: string;
  rest: string[];
}

/** Global flags come before or after the command word (kingpin accepts both). */
export function parseVelociraptorArgs(argv: string[]): Parsed | null {
  let config: string | undefined;
  let command: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') {
      config = argv[++i];
      continue;
    }
    if (a.startsWith('--config=')) {
      config = a.slice('--config='.length);
      continue;
    }
    if (a === '-v' || a === '--verbose' || a === '--nobanner') continue;
    if (command === undefined && !a.startsWith('-')) {
      if (!(VELOCIRAPTOR_COMMANDS as readonly string[]).includes(a)) return null;
      command = a;
      continue;
    }
    rest.push(a);
  }
  return command ? { ...(config !== undefined ? { config } : {}), command, rest } : null;
}

function fail(io: VrIO, command: string, message: string): number {
  io.stderr.write(`velociraptor (Megaraptor simulator): error: ${command}: ${message}\n`);
  return 1;
}

function readConfig(io: VrIO, path: string): string {
  return readFileSync(resolve(io.cwd, path), 'utf8');
}

export async function runVelociraptorCommandLine(argv: string[], io: VrIO): Promise<number> {
  const parsed = parseVelociraptorArgs(argv);
  if (!parsed) return fail(io, 'usage', `expected one of: ${VELOCIRAPTOR_COMMANDS.join(', ')}`);
  try {
    switch (parsed.command) {
      case 'version':
        return version(io);
      case 'frontend':
        return await frontend(parsed, io);
      case 'user':
        return await userAdd(parsed, io);
      case 'client':
        return await client(parsed, io);
      case 'query':
        return await query(parsed, io);
      case 'service':
        return serviceInstall(parsed, io);
      case 'debian':
        return packageClient('debian', parsed, io);
      case 'rpm':
        return packageClient('rpm', parsed, io);
      case 'config':
        return configRepack(parsed, io);
    }
  } catch (e) {
    return fail(io, parsed.command, messageOf(e));
  }
  return fail(io, parsed.command, 'not supported by the simulator');
}

function version(io: VrIO): number {
  io.stdout.write(
    [
      'name: velociraptor',
      `version: ${SIM_VERSION}`,
      'commit: megaraptor-simulator',
      'build_time: ""',
      `simulator: ${SIMULATOR_BANNER}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function frontend(p: Parsed, io: VrIO): Promise<number> {
  if (!p.config) return fail(io, 'frontend', 'a server config is required (--config server.config.yaml)');
  let minion = false;
  let node: string | undefined;
  for (let i = 0; i < p.rest.length; i++) {
    const a = p.rest[i]!;
    if (a === '--minion') minion = true;
    else if (a === '--node') node = p.rest[++i];
    else if (a.startsWith('--node=')) node = a.slice('--node='.length);
  }
  const text = readConfig(io, p.config);
  const config = parseServerConfig(text);
  const datastoreDir = config.datastoreLocation ?? mkdtempSync(join(tmpdir(), 'megaraptor-sim-'));
  if (minion) {
    if (!node) return fail(io, 'frontend', 'a minion needs its node name (--node <hostname>-<port>)');
    const m = await startMinion({ config, pki: await setupPki(config, undefined), node, datastoreDir });
    io.stderr.write(
      [
        `${SIMULATOR_BANNER} (emulating Velociraptor ${SIM_VERSION}), minion ${m.node}`,
        `[INFO] Frontend is ready to handle client TLS requests at https://${m.host}:${m.frontendPort}/`,
        '',
      ].join('\n'),
    );
    const sig = await io.waitForSignal();
    io.stderr.write(`[INFO] ${sig}: stopping the simulator minion\n`);
    await m.stop();
    return 0;
  }
  if (node) return fail(io, 'frontend', '--node goes with --minion');
  const sim = await startSimulator({ serverConfig: text, datastoreDir });
  io.stderr.write(
    [
      `${SIMULATOR_BANNER} (emulating Velociraptor ${SIM_VERSION})`,
      `[INFO] Starting gRPC API server on ${config.apiBindAddress ?? '127.0.0.1'}:${sim.apiPort}`,
      `[INFO] GUI is ready to handle TLS requests on https://${config.guiBindAddress ?? '127.0.0.1'}:${sim.guiPort}/`,
      `[INFO] Frontend is ready to handle client TLS requests at https://${config.frontendBindAddress ?? '127.0.0.1'}:${sim.frontendPort}/`,
      '',
    ].join('\n'),
  );
  const sig = await io.waitForSignal();
  io.stderr.write(`[INFO] ${sig}: stopping the simulator\n`);
  await sim.stop();
  return 0;
}

async function userAdd(p: Parsed, io: VrIO): Promise<number> {
  const positional: string[] = [];
  let roles = '';
  for (let i = 0; i < p.rest.length; i++) {
    const a = p.rest[i]!;
    if (a === '--role') roles = p.rest[++i] ?? '';
    else if (a.startsWith('--role=')) roles = a.slice('--role='.length);
    else positional.push(a);
  }
  const [sub, name, password, ...more] = positional;
  if (sub !== 'add') return fail(io, 'user', `only "user add" is simulated, not "user ${sub ?? ''}"`);
  if (more.length) return fail(io, 'user add', `unexpected argument ${more[0]}`);
  if (!name) return fail(io, 'user add', 'required argument "username" not provided');
  if (!roles) return fail(io, 'user add', 'required flag --role not provided');
  if (!p.config) return fail(io, 'user add', 'Unable to load config file: a config is required (--config)');
  const config = parseServerConfig(readConfig(io, p.config));
  if (!config.datastoreLocation) return fail(io, 'user add', 'the config has no Datastore.location');
  validateUsername(name);
  const list = roles.split(',').filter(Boolean);
  const unknown = list.find((r) => !isKnownRole(r));
  if (unknown) return fail(io, 'user add', `Invalid role ${unknown}`);
  if (password === undefined) {
    // Velociraptor reads the password from a terminal; without one it fails like this.
    if (!io.stdin.isTTY)
      return fail(io, 'user add', 'Unable to read password from terminal: inappropriate ioctl for device');
    return fail(io, 'user add', 'the simulator does not prompt: give the password as an argument');
  }
  await addUser(config.datastoreLocation, { name, roles: list, password: hashPassword(password) });
  io.stdout.write(
    `Added user ${name} with roles ${list.join(',')} to the simulator's datastore ${config.datastoreLocation} (Megaraptor simulator).\n`,
  );
  return 0;
}

async function client(p: Parsed, io: VrIO): Promise<number> {
  if (!p.config) return fail(io, 'client', 'a client config is required (--config client.config.yaml)');
  const config = parseClientConfig(readConfig(io, p.config));
  // A stand-in agent started for a test host that presents itself as another system (launchd
  // stand-in on a "macOS" host) is told so; it reports that OS and uses that OS's writeback.
  const simOs = process.env.MEGARAPTOR_SIM_OS;
  const identity = localIdentity(
    simOs === 'darwin' || simOs === 'windows' || simOs === 'linux' ? { os: simOs } : {},
  );
  // Like Velociraptor's client: the identity lives in the writeback of this OS, made at first start.
  const writeback = config.writeback[identity.os];
  const known = writeback ? loadOrCreateWriteback(writeback) : undefined;
  const agent = await runAgent(config, identity, 10_000, known?.clientId);
  io.stderr.write(
    `Stand-in agent (Megaraptor simulator protocol, not Velociraptor's) enrolled as ${agent.clientId}\n`,
  );
  await io.waitForSignal();
  agent.stop();
  return 0;
}

async function query(p: Parsed, io: VrIO): Promise<number> {
  let format = 'json';
  const queries: string[] = [];
  const env: Array<{ key: string; value: string }> = [];
  for (let i = 0; i < p.rest.length; i++) {
    const a = p.rest[i]!;
    if (a === '--format') format = p.rest[++i] ?? 'json';
    else if (a.startsWith('--format=')) format = a.slice(9);
    else if (a === '--env') {
      const [k, ...v] = (p.rest[++i] ?? '').split('=');
      if (k) env.push({ key: k, value: v.join('=') });
    } else queries.push(a);
  }
  if (!queries.length) return fail(io, 'query', 'required argument "queries" not provided');
  const rows: unknown[] = [];
  const errors: string[] = [];
  const controller = new AbortController();
  const sink = {
    write(m: QueryResponseMessage): void {
      if (m.log) {
        const line = m.log.trimEnd();
        if (line.startsWith('ERROR:')) {
          errors.push(line.slice(6));
          io.stderr.write(`[ERROR] ${new Date().toISOString()} ${line.slice(6)}\n`);
        } else if (line.startsWith('VQL Error:')) {
          errors.push(line);
          io.stderr.write(`[ERROR] ${new Date().toISOString()} ${line}\n`);
        }
        return;
      }
      if (m.Response) rows.push(...(JSON.parse(m.Response) as unknown[]));
    },
  };
  await runQuery(
    {
      Query: queries.map((VQL) => ({ Name: '', VQL })),
      env,
      max_row: 1000,
      max_wait: 1,
      timeout: 0,
      org_id: '',
    },
    sink,
    {
      user: 'megaraptor-sim-local',
      orgId: '',
      now: Date.now,
      signal: controller.signal,
      hasPermission: () => true,
      profile: versionProfile(SIM_VERSION),
      plugins: new Map([...builtinPlugins, httpClientPlugin].map((x) => [x.name, x])),
      functions: new Map(builtinFunctions.map((f) => [f.name, f])),
    },
  );
  io.stdout.write(
    format === 'jsonl'
      ? rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '')
      : `${JSON.stringify(rows, null, 1)}\n`,
  );
  if (errors.length) return fail(io, 'query', errors[errors.length - 1]!);
  return 0;
}

/**
 * `service install` as Velociraptor does it on macOS (VR bin/installer_darwin.go): copy the binary to
 * Client.darwin_installer.install_path, the config beside it (`<path without extension>.config.yaml`),
 * and write /Library/LaunchDaemons/<service_name>.plist with upstream's template — then launchd loads
 * it. STAND-IN: no launchd here, so the plist goes under $MEGARAPTOR_SIM_ROOT (the test host's install
 * root) and loading is left to the test's launchd stand-in. Never on a real system.
 */
/**
 * `debian client` / `rpm client` `[--binary B] [--output DIR]` (rpm also `--release R`, default A) with
 * --config: a real .deb (packages.ts) or .rpm (rpm.ts), printed as `[{"OSPath": …}]` like the real
 * command's JSON. Without --binary the launcher itself is packed (the real one packs its own
 * executable).
 */
function packageClient(kind: 'debian' | 'rpm', p: Parsed, io: VrIO): number {
  const [sub, ...rest] = p.rest;
  const command = `${kind} client`;
  if (sub !== 'client') return fail(io, kind, `only "${command}" is simulated, not "${kind} ${sub ?? ''}"`);
  if (!p.config) return fail(io, command, 'A server config must be specified using the --config flag');
  const flag = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    const eq = rest.find((a) => a.startsWith(`${name}=`));
    return i >= 0 ? rest[i + 1] : eq?.slice(name.length + 1);
  };
  const binary = flag('--binary') ?? process.env.MEGARAPTOR_SIM_SELF;
  if (!binary) return fail(io, command, 'give --binary (the binary to package)');
  const output = resolve(io.cwd, flag('--output') ?? '.');
  const config = readFileSync(resolve(io.cwd, p.config));
  const data = readFileSync(resolve(io.cwd, binary));
  const pkg =
    kind === 'debian'
      ? clientDeb(config, data, SIM_VERSION)
      : clientRpm(config, data, SIM_VERSION, flag('--release') || 'A');
  const path = join(output, pkg.name);
  writeFileSync(path, pkg.data, { mode: 0o600 });
  io.stdout.write(`[\n {\n  "OSPath": ${JSON.stringify(path)}\n }\n]`);
  return 0;
}

/**
 * `config repack [--msi M | --exe M] CONFIG OUT` (msi-repack.ts), in Velociraptor's order: the config
 * is validated first (the client fields it requires), then the MSI read, then the placeholder
 * rewritten; the file lands at OUT (mode 0700, as its uploader writes) and the command prints
 * `[{"RepackInfo": {...}}]`. Like Velociraptor: an MSI without a placeholder writes nothing, prints
 * `"RepackInfo": null` and still exits 0; a config the placeholder cannot hold fails. Repacking an
 * executable (embedded config of a binary) is refused: the simulator has no Velociraptor binary.
 */
function configRepack(p: Parsed, io: VrIO): number {
  const [sub, ...rest] = p.rest;
  if (sub !== 'repack')
    return fail(io, `config ${sub ?? ''}`.trim(), 'only "config repack --msi" is simulated');
  const positional: string[] = [];
  let msi: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const eq = /^--(msi|exe)=(.*)$/.exec(a);
    if (a === '--msi' || a === '--exe') msi = rest[++i];
    else if (eq) msi = eq[2];
    else if (a.startsWith('--')) return fail(io, 'config repack', `the simulator does not take ${a}`);
    else positional.push(a);
  }
  const [configFile, output, ...more] = positional;
  if (!configFile) return fail(io, 'config repack', "required argument 'config_file' not provided");
  if (!output) return fail(io, 'config repack', "required argument 'output' not provided");
  if (more.length) return fail(io, 'config repack', `unexpected ${more[0]}`);
  if (!msi)
    return fail(io, 'config repack', 'the simulator repacks only MSIs: give --msi <the official MSI>');
  const config = readFileSync(resolve(io.cwd, configFile));
  const invalid = clientConfigProblem(config.toString('utf8'));
  if (invalid) return fail(io, 'config repack', `client_repack: Provided config file not valid: ${invalid}`);
  const msiPath = resolve(io.cwd, msi);
  const data = readFileSync(msiPath);
  if (data.length <= 8 || !data.subarray(0, 8).equals(MSI_MAGIC))
    return fail(
      io,
      'config repack',
      `client_repack: ${msiPath} is not an MSI; the simulator does not repack executables (use the real binary)`,
    );
  const outcome = repackMsi(data, config);
  if (outcome.kind === 'too-big') return fail(io, 'config repack', `client_repack: ${outcome.message}`);
  let info: Record<string, unknown> | null = null;
  if (outcome.kind === 'repacked') {
    const path = resolve(io.cwd, output);
    writeFileSync(path, outcome.data, { mode: 0o700 });
    info = repackInfo(path, basename(path), outcome.data);
  }
  io.stdout.write(JSON.stringify([{ RepackInfo: info }], null, 1));
  return 0;
}

/** What Velociraptor's client-config validation rejects, in its words; null when it passes. */
function clientConfigProblem(yaml: string): string | null {
  let doc: unknown;
  try {
    doc = parse(yaml);
  } catch (e) {
    return `LiteralLoader: ${messageOf(e)}`;
  }
  const c = (doc as { Client?: Record<string, unknown> } | null)?.Client;
  if (!c || typeof c !== 'object') return 'No Client config';
  if (!c.ca_certificate) return 'No Client.ca_certificate configured';
  if (!c.nonce) return 'No Client.nonce configured';
  if (!c.server_urls) return 'No Client.server_urls configured';
  return null;
}

function serviceInstall(p: Parsed, io: VrIO): number {
  if (p.rest[0] !== 'install')
    return fail(io, 'service', `only "service install" is simulated, not "service ${p.rest[0] ?? ''}"`);
  const root = process.env.MEGARAPTOR_SIM_ROOT;
  const self = process.env.MEGARAPTOR_SIM_SELF;
  if (!root || !self)
    return fail(
      io,
      'service install',
      'the simulator installs a service only under MEGARAPTOR_SIM_ROOT (tests); it is not Velociraptor',
    );
  if (!p.config)
    return fail(io, 'service install', 'Unable to load config file: a config is required (--config)');
  const doc = parse(readConfig(io, p.config)) as {
    Client?: { darwin_installer?: Record<string, unknown> };
  } | null;
  const installer = doc?.Client?.darwin_installer ?? {};
  const name =
    typeof installer.service_name === 'string' ? installer.service_name : 'com.velocidex.velociraptor';
  const target =
    typeof installer.install_path === 'string' ? installer.install_path : '/usr/local/bin/velociraptor';
  mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
  copyFileSync(self, target);
  chmodSync(target, 0o755);
  const configTarget = `${target.slice(0, target.length - extname(target).length)}.config.yaml`;
  copyFileSync(resolve(io.cwd, p.config), configTarget);
  chmodSync(configTarget, 0o755);
  const plistDir = join(root, 'Library', 'LaunchDaemons');
  mkdirSync(plistDir, { recursive: true });
  // Upstream's template, leading newline included.
  writeFileSync(
    join(plistDir, `${name}.plist`),
    `
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
        <key>Label</key>
        <string>${name}</string>
        <key>ProgramArguments</key>
        <array>
                <string>${target}</string>
                <string>client</string>

                <string>--config</string>
                <string>${target}.config.yaml</string>

                <string>--quiet</string>
        </array>
        <key>KeepAlive</key>
        <true/>
</dict>
</plist>`,
    { mode: 0o644 },
  );
  io.stderr.write(
    `STAND-IN (Megaraptor simulator): installed ${target} and ${plistDir}/${name}.plist; launchctl load is left to the test's launchd stand-in.\n`,
  );
  return 0;
}
