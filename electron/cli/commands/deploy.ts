/**
 * `megaraptor deploy docker|ssh|lab|aws|azure …` — a Velociraptor server from the command line, the way the
 * wizard deploys it: the plan is printed (every step with the resources it makes, and the warnings),
 * then deployed with live progress on stderr; the outcome (URLs, CA fingerprint, connection) goes to
 * stdout. `--dry-run` stops after the plan. Secrets stay in the keychain; nothing here takes one.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError, isAppError } from '../../../shared/errors';
import {
  DEFAULT_MINIONS,
  MAX_MINIONS,
  minionsBeside,
  parseExtraFile,
  type ProfileName,
} from '../../../shared/deploy';
import {
  checkHostKey,
  engineFromEnv,
  RECOMMENDED_RELEASE,
  trustHostKey,
  type DeploymentService,
} from '../../core/deploy/index';
import { parseFlags, UsageError, type FlagSpec, type ParsedFlags } from '../args';
import type { CliIO, Command } from '../command';
import { openDeployments, progressPrinter, writeJson } from './deploy-common';

const USAGE = `Usage: megaraptor deploy docker|ssh|lab|aws|azure --name NAME [options]

Deploys a Velociraptor server: plan (printed), pre-flight checks, every step journaled, verified
over the API and the GUI, added to the app's connections. Progress goes to stderr, the outcome to
stdout. Secrets (CA key, API identity, admin password) go to the OS keychain only.

Common options:
  --name NAME                 deployment and connection name (required)
  --profile P                 rapid (default: destroys itself after 72 h), standard or enterprise
  --auto-destroy-hours H      when a rapid deployment destroys itself (default 72, at most 336)
  --tag TAG                   Velociraptor release to download and verify (default ${RECOMMENDED_RELEASE})
  --binary FILE               your own Velociraptor binary instead of a release (warned if unsigned)
  --signature FILE            its detached .sig, checked against Velocidex's key
  --dry-run                   print the plan and stop
  --json                      print the plan / outcome as JSON

docker:
  --engine URL                unix:///path/docker.sock or tcp://host:port (default: DOCKER_HOST)
  --network bridge|host       bridge (default) publishes ports; host binds on the engine's host
  --hostname HOST             the name agents dial (default localhost)
  --frontend-bind ADDR        where the agent frontend is published (default 0.0.0.0)
  --frontend-port N           (default 8000)
  --api-port N, --gui-port N  host ports (default: free ports on 127.0.0.1; required with host networking)
  --expose-api, --expose-gui  publish them on all addresses (warned)
  --official-image REF        ghcr.io/velocidex/velociraptor-server pinned to a tag or digest
                              (the bare version: :0.77.2, or @sha256:…; never :latest)
  --minions N                 enterprise: Velociraptor minions beside the master on the same data
                              volume, on the ports after --frontend-port (default 2; 0: one server)
  --extra-file IMG=FILE[:MODE]  a file of this machine added to the image (repeatable)

ssh (a Linux host with systemd):
  --host HOST --user USER     the SSH login (--ssh-port N, default 22)
  --key FILE | --agent        a private key file (passphrase: --key-passphrase-ref) or ssh-agent
  --sudo                      become root with sudo (password: --sudo-password-ref)
  --hostname HOST             the name agents dial (default: --host)
  --expose-api, --expose-gui  listen on all addresses instead of the host's 127.0.0.1 (warned)
  --datastore DIR             (default /opt/velociraptor)
  --accept-host-key SHA256:…  trust the host's key, never seen before, when it has this fingerprint
                              (compare it with ssh-keygen -lf on the host); a changed key is refused
  Host keys are checked against known_hosts and the app's own list (where a trusted key is remembered).

lab (this machine):
  --no-client                 no client of this machine

aws and azure (a VM of its own; the config reaches it through Secrets Manager / Key Vault):
  --agents CIDR               where agents connect from (repeatable, required)
  --responder CIDR            your own address(es): GUI and API open to these only (repeatable, required)
  --ssh-tunnel --ssh-key FILE only SSH open to --responder; the app tunnels to GUI and API
  --hostname NAME             a DNS name you point at the VM (default: its public address)
  --frontend-port N, --api-port N, --gui-port N   (defaults 8000, 8001, 8889)
aws:
  --region R                  (required) --aws-profile NAME (else the standard credential chain)
  --instance-type T  --subnet subnet-…  --key-pair NAME  --minions N (enterprise: multi-frontend)
azure:
  --subscription ID --location L  (required) --tenant ID  --vm-size S  --ssh-public-key FILE
  Credentials: Azure Identity's default chain (az login, environment, managed identity).
`;

const COMMON: Record<string, FlagSpec> = {
  '--name': { value: true },
  '--profile': { value: true },
  '--auto-destroy-hours': { value: true },
  '--tag': { value: true },
  '--binary': { value: true },
  '--signature': { value: true },
  '--dry-run': {},
  '--json': {},
};

const DOCKER: Record<string, FlagSpec> = {
  ...COMMON,
  '--engine': { value: true },
  '--network': { value: true },
  '--hostname': { value: true },
  '--frontend-bind': { value: true },
  '--frontend-port': { value: true },
  '--api-port': { value: true },
  '--gui-port': { value: true },
  '--expose-api': {},
  '--expose-gui': {},
  '--official-image': { value: true },
  '--extra-file': { value: true, repeat: true },
  '--minions': { value: true },
};

const SSH: Record<string, FlagSpec> = {
  ...COMMON,
  '--host': { value: true },
  '--ssh-port': { value: true },
  '--user': { value: true },
  '--key': { value: true },
  '--key-passphrase-ref': { value: true },
  '--agent': {},
  '--sudo': {},
  '--sudo-password-ref': { value: true },
  '--hostname': { value: true },
  '--expose-api': {},
  '--expose-gui': {},
  '--datastore': { value: true },
  '--accept-host-key': { value: true },
};

const LAB: Record<string, FlagSpec> = { ...COMMON, '--no-client': {} };

const CLOUD: Record<string, FlagSpec> = {
  ...COMMON,
  '--agents': { value: true, repeat: true },
  '--responder': { value: true, repeat: true },
  '--ssh-tunnel': {},
  '--ssh-key': { value: true },
  '--hostname': { value: true },
  '--frontend-port': { value: true },
  '--api-port': { value: true },
  '--gui-port': { value: true },
};

const AWS: Record<string, FlagSpec> = {
  ...CLOUD,
  '--region': { value: true },
  '--aws-profile': { value: true },
  '--instance-type': { value: true },
  '--subnet': { value: true },
  '--key-pair': { value: true },
  '--minions': { value: true },
};

const AZURE: Record<string, FlagSpec> = {
  ...CLOUD,
  '--subscription': { value: true },
  '--tenant': { value: true },
  '--location': { value: true },
  '--vm-size': { value: true },
  '--ssh-public-key': { value: true },
};

function port(flags: ParsedFlags, flag: string): number | undefined {
  const v = flags.get(flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${flag} must be a port (1-65535)`);
  return n;
}

function binary(flags: ParsedFlags, cwd: string): Record<string, unknown> {
  const file = flags.get('--binary');
  if (file)
    return {
      kind: 'file',
      path: resolve(cwd, file),
      ...(flags.get('--signature') ? { signaturePath: resolve(cwd, flags.get('--signature')!) } : {}),
    };
  if (flags.has('--signature')) throw new UsageError('--signature goes with --binary');
  return { kind: 'release', tag: flags.get('--tag') ?? RECOMMENDED_RELEASE };
}

function engine(flags: ParsedFlags, io: CliIO): Record<string, unknown> {
  const url = flags.get('--engine');
  return engineFromEnv(
    url
      ? {
          DOCKER_HOST: url,
          DOCKER_TLS_VERIFY: io.env.DOCKER_TLS_VERIFY,
          DOCKER_CERT_PATH: io.env.DOCKER_CERT_PATH,
        }
      : io.env,
  );
}

function dockerSettings(flags: ParsedFlags, io: CliIO): Record<string, unknown> {
  const network = flags.get('--network') ?? 'bridge';
  if (network !== 'bridge' && network !== 'host') throw new UsageError('--network is bridge or host');
  const official = flags.get('--official-image');
  if (official && (flags.has('--binary') || flags.has('--tag')))
    throw new UsageError('--official-image replaces --tag/--binary: give one');
  const extraFiles = flags.all('--extra-file').map((spec) => {
    const file = parseExtraFile(spec);
    if (!file) throw new UsageError(`--extra-file is /path/in/image=/local/file[:mode], not "${spec}"`);
    return { ...file, source: resolve(io.cwd, file.source) };
  });
  const enterprise = flags.get('--profile') === 'enterprise';
  const minionFlag = flags.get('--minions');
  if (minionFlag !== undefined && !(/^\d+$/.test(minionFlag) && Number(minionFlag) <= MAX_MINIONS))
    throw new UsageError(`--minions is a number from 0 to ${MAX_MINIONS}`);
  if (minionFlag !== undefined && minionFlag !== '0' && !enterprise)
    throw new UsageError('--minions goes with --profile enterprise');
  const frontendBind = flags.get('--frontend-bind') ?? '0.0.0.0';
  const frontendPort = port(flags, '--frontend-port') ?? 8000;
  const minions = minionsBeside(
    { bindAddress: frontendBind, port: frontendPort },
    enterprise ? Number(minionFlag ?? DEFAULT_MINIONS) : 0,
    [port(flags, '--api-port') ?? null, port(flags, '--gui-port') ?? null],
  );
  const loopback = (flag: string, expose: boolean) => ({
    bindAddress: expose ? '0.0.0.0' : '127.0.0.1',
    port: port(flags, flag) ?? null,
    ...(expose ? { expose: true } : {}),
  });
  return {
    engine: engine(flags, io),
    image: official
      ? { kind: 'official', reference: official }
      : { kind: 'local', binary: binary(flags, io.cwd), ...(extraFiles.length ? { extraFiles } : {}) },
    network,
    frontend: {
      hostname: flags.get('--hostname') ?? 'localhost',
      bindAddress: frontendBind,
      port: frontendPort,
    },
    ...(minions.length ? { minions } : {}),
    api: loopback('--api-port', flags.has('--expose-api')),
    gui: loopback('--gui-port', flags.has('--expose-gui')),
  };
}

function sshSettings(flags: ParsedFlags, io: CliIO): Record<string, unknown> {
  const host = flags.get('--host');
  const user = flags.get('--user');
  if (!host || !user) throw new UsageError('ssh needs --host and --user');
  const key = flags.get('--key');
  if (key && flags.has('--agent')) throw new UsageError('give --key or --agent, not both');
  if (!key && !flags.has('--agent')) throw new UsageError('ssh needs --key FILE or --agent');
  const auth = key
    ? {
        method: 'key',
        keyPath: resolve(io.cwd, key),
        ...(flags.get('--key-passphrase-ref') ? { passphraseRef: flags.get('--key-passphrase-ref') } : {}),
      }
    : { method: 'agent' };
  return {
    ssh: {
      host,
      port: port(flags, '--ssh-port') ?? 22,
      username: user,
      auth,
      sudo: flags.has('--sudo')
        ? {
            mode: 'sudo',
            ...(flags.get('--sudo-password-ref') ? { passwordRef: flags.get('--sudo-password-ref') } : {}),
          }
        : { mode: 'none' },
    },
    binary: binary(flags, io.cwd),
    frontend: { hostname: flags.get('--hostname') ?? host },
    api: { port: 8001, expose: flags.has('--expose-api') },
    gui: { port: 8889, expose: flags.has('--expose-gui') },
    ...(flags.get('--datastore') ? { datastoreDir: flags.get('--datastore') } : {}),
  };
}

/** What both clouds share: who reaches which port, the ports, the release (a cloud VM downloads it). */
function cloudSettings(flags: ParsedFlags, io: CliIO): Record<string, unknown> {
  const agentCidrs = flags.all('--agents');
  const responderCidrs = flags.all('--responder');
  if (!agentCidrs.length || !responderCidrs.length)
    throw new UsageError('a cloud deployment needs --agents CIDR and --responder CIDR (your own address)');
  if (flags.has('--binary'))
    throw new UsageError('a cloud VM downloads a release itself: use --tag, not --binary');
  const key = flags.get('--ssh-key');
  if (flags.has('--ssh-tunnel') !== Boolean(key))
    throw new UsageError('--ssh-tunnel goes with --ssh-key FILE');
  return {
    access: {
      agentCidrs,
      responderCidrs,
      via: key
        ? { mode: 'ssh-tunnel', auth: { method: 'key', keyPath: resolve(io.cwd, key) } }
        : { mode: 'direct' },
    },
    ports: {
      frontend: port(flags, '--frontend-port') ?? 8000,
      api: port(flags, '--api-port') ?? 8001,
      gui: port(flags, '--gui-port') ?? 8889,
    },
    release: { tag: flags.get('--tag') ?? RECOMMENDED_RELEASE },
    ...(flags.get('--hostname') ? { frontendHostname: flags.get('--hostname') } : {}),
  };
}

function awsSettings(flags: ParsedFlags, io: CliIO): Record<string, unknown> {
  const region = flags.get('--region');
  if (!region) throw new UsageError('aws needs --region');
  const minions = flags.get('--minions');
  if (minions !== undefined && !/^\d$/.test(minions))
    throw new UsageError('--minions is a number from 0 to 5');
  const profile = flags.get('--aws-profile');
  return {
    ...cloudSettings(flags, io),
    region,
    credentials: profile ? { source: 'profile', profile } : { source: 'chain' },
    ...(flags.get('--instance-type') ? { instanceType: flags.get('--instance-type') } : {}),
    ...(flags.get('--subnet') ? { subnetId: flags.get('--subnet') } : {}),
    ...(flags.get('--key-pair') ? { keyPair: flags.get('--key-pair') } : {}),
    ...(minions !== undefined ? { minions: Number(minions) } : {}),
  };
}

function azureSettings(flags: ParsedFlags, io: CliIO): Record<string, unknown> {
  const subscriptionId = flags.get('--subscription');
  const location = flags.get('--location');
  if (!subscriptionId || !location) throw new UsageError('azure needs --subscription and --location');
  const keyFile = flags.get('--ssh-public-key');
  return {
    ...cloudSettings(flags, io),
    subscriptionId,
    location,
    ...(flags.get('--tenant') ? { tenantId: flags.get('--tenant') } : {}),
    ...(flags.get('--vm-size') ? { vmSize: flags.get('--vm-size') } : {}),
    ...(keyFile ? { sshPublicKey: readFileSync(resolve(io.cwd, keyFile), 'utf8').trim() } : {}),
  };
}

/**
 * The SSH host's key before anything else happens on it: known — on; never seen — trusted only with
 * `--accept-host-key` naming its fingerprint (never accepted by default); changed — refused with the
 * old and the new fingerprint. A dry run says what it found and changes nothing.
 */
async function sshHostKey(
  service: DeploymentService,
  hop: { host: string; port: number },
  accepted: string | undefined,
  dryRun: boolean,
  io: CliIO,
): Promise<void> {
  const check = await checkHostKey(service.hostKeys, hop);
  const key = `${check.keyType} ${check.fingerprint}`;
  if (check.status === 'changed')
    throw new AppError('SSH_HOST_KEY_MISMATCH', check.message ?? `The host key of ${hop.host} changed.`, {
      details: { host: hop.host, port: hop.port, presented: check.fingerprint, known: check.known },
    });
  if (check.status === 'known') {
    io.stderr.write(`  host key ${key}: known\n`);
    return;
  }
  const compare = `Compare it with the host's own key (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host)`;
  if (dryRun) {
    io.stderr.write(
      `  host key ${key}: never seen. ${compare}; deploy with --accept-host-key ${check.fingerprint}\n`,
    );
    return;
  }
  if (!accepted)
    throw new AppError(
      'SSH_HOST_KEY_UNKNOWN',
      `${hop.host}:${hop.port} presents a host key never seen before: ${key}. ${compare}, then run again with --accept-host-key ${check.fingerprint}. Nothing was done on the host.`,
      { details: { host: hop.host, port: hop.port, keyType: check.keyType, fingerprint: check.fingerprint } },
    );
  await trustHostKey(service.hostKeys, hop, accepted);
  io.stderr.write(`  host key ${key}: trusted and remembered\n`);
}

function labSettings(flags: ParsedFlags, io: CliIO): Record<string, unknown> {
  return { binary: binary(flags, io.cwd), client: !flags.has('--no-client') };
}

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'deploy a Velociraptor server (docker, ssh, lab, aws, azure) with live progress',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const [target, ...rest] = argv;
    const specs = { docker: DOCKER, ssh: SSH, lab: LAB, aws: AWS, azure: AZURE } as const;
    if (!target || !Object.hasOwn(specs, target))
      throw new UsageError(
        `the target is docker, ssh, lab, aws or azure${target ? `, not "${target}"` : ''}`,
      );
    const kind = target as keyof typeof specs;
    const flags = parseFlags(rest, specs[kind]);
    const name = flags.get('--name');
    if (!name) throw new UsageError('--name is required');
    const profile = (flags.get('--profile') ?? 'rapid') as ProfileName;
    if (!['rapid', 'standard', 'enterprise'].includes(profile))
      throw new UsageError('--profile is rapid, standard or enterprise');
    const hoursText = flags.get('--auto-destroy-hours');
    const hours = hoursText === undefined ? undefined : Number(hoursText);
    if (hours !== undefined && !(hours > 0))
      throw new UsageError('--auto-destroy-hours must be a positive number');
    const settings = {
      docker: dockerSettings,
      ssh: sshSettings,
      lab: labSettings,
      aws: awsSettings,
      azure: azureSettings,
    }[kind](flags, io);
    const json = flags.has('--json');

    const d = await openDeployments(io);
    try {
      const plan = await d.service.plan(kind, {
        name,
        profile,
        ...(hours !== undefined ? { overrides: { autoDestroyHours: hours } } : {}),
        settings,
      });
      if (json && flags.has('--dry-run')) {
        writeJson(io, {
          plan: {
            id: plan.deploymentId,
            steps: plan.steps,
            warnings: plan.warnings,
            autoDestroyAt: plan.autoDestroyAt,
          },
        });
        return 0;
      }
      io.stderr.write(
        `Plan ${plan.deploymentId}: ${plan.name} on ${target}, ${plan.profile.title} profile\n`,
      );
      for (const s of plan.steps) {
        io.stderr.write(`  ${s.title}\n`);
        for (const r of s.resources) io.stderr.write(`    + ${r.kind} ${r.id} — ${r.title}\n`);
      }
      for (const w of plan.warnings) io.stderr.write(`  warning: ${w}\n`);
      if (plan.autoDestroyAt) io.stderr.write(`  destroys itself about ${plan.autoDestroyAt}\n`);
      if (kind === 'ssh') {
        const ssh = (settings as { ssh: { host: string; port: number } }).ssh;
        await sshHostKey(
          d.service,
          { host: ssh.host, port: ssh.port },
          flags.get('--accept-host-key'),
          flags.has('--dry-run'),
          io,
        );
      }
      if (flags.has('--dry-run')) return 0;

      const out = await d.service.deploy(plan, { onEvent: progressPrinter(io) });
      const o = out.journal.outputs;
      const result = {
        id: out.deploymentId,
        name: out.journal.name,
        state: out.journal.state,
        guiUrl: o.guiUrl,
        apiEndpoint: o.apiEndpoint,
        frontendUrl: o.frontendUrl,
        caFingerprint: o.caFingerprint,
        connection: o.connectionName,
        adminUser: o.adminUser,
        autoDestroyAt: out.journal.autoDestroyAt,
      };
      if (json) writeJson(io, result);
      else
        io.stdout.write(
          [
            `Deployed ${result.name} (${result.id}).`,
            `  GUI:            ${String(result.guiUrl)} (user ${String(result.adminUser)}; the password is in the keychain)`,
            `  API:            ${String(result.apiEndpoint)} (connection "${String(result.connection)}")`,
            `  Agents dial:    ${String(result.frontendUrl)}`,
            `  CA fingerprint: ${String(result.caFingerprint)}`,
            ...(result.autoDestroyAt ? [`  Destroys itself at ${result.autoDestroyAt}`] : []),
            `Next: agents — megaraptor deployments docs ${result.id} writes their client config.`,
            '',
          ].join('\n'),
        );
      return 0;
    } catch (e) {
      if (isAppError(e) && e.code === 'DEPLOY_PREFLIGHT_FAILED') {
        const checks = (e.details?.checks ?? []) as Array<{ title: string; status: string; message: string }>;
        for (const c of checks)
          io.stderr.write(`  ${c.status === 'failed' ? 'FAILED' : c.status}: ${c.title} — ${c.message}\n`);
      }
      throw e;
    } finally {
      await d.close();
    }
  },
};
