/**
 * The deployment wizard's choices as the form holds them, their safe defaults, and how they become
 * the `settings` a target's deployer checks (electron/core/deploy/<target>). Pure: the settings step
 * draws from it, the tests pin the defaults and the mapping.
 *
 * Safe defaults, as the design asks: the GUI and the API on 127.0.0.1 (reachable from this machine
 * only; exposing them is an explicit choice the deployer also makes the responder confirm), the
 * frontend — the one port agents must reach — on the address the responder picks, Velociraptor's own
 * ports, and the signature-verified release rather than a local binary.
 */
import { formatBytes } from '../../../../shared/bytes';
import {
  DEFAULT_MINIONS,
  MAX_MINIONS,
  minionsBeside,
  officialImageReference,
  parseExtraFile,
  type ProfileName,
} from '../../../../shared/deploy';

export type WizardTarget = 'docker' | 'ssh' | 'lab' | 'aws' | 'azure';

export const isCloud = (t: WizardTarget): t is 'aws' | 'azure' => t === 'aws' || t === 'azure';

export interface BinaryChoice {
  source: 'release' | 'file';
  /** A release tag (`v0.77.2`), verified against Velocidex's signing key. */
  tag: string;
  /** A binary the responder already has; accepted with its sha256 and a warning if unsigned. */
  path: string;
  signaturePath: string;
}

export interface PortChoice {
  bindAddress: string;
  port: number;
}

export interface WizardForm {
  target: WizardTarget;
  profile: ProfileName;
  /** Hours until self-destruction when it differs from the profile's (rapid: 72); null keeps the profile's. */
  autoDestroyHours: number | null;
  name: string;
  adminUser: string;
  binary: BinaryChoice;
  docker: {
    engine: { kind: 'socket'; path: string } | { kind: 'tcp'; host: string; port: number };
    image: 'local' | 'official';
    /**
     * 'bridge' publishes the ports; 'host' binds the server on the engine's host directly (engines
     * without a usable bridge network): every port is then a port of that host.
     */
    network: 'bridge' | 'host';
    /** Files of this machine added to the local image, one `/path/in/image=/file/here[:mode]` a line. */
    extraFiles: string;
    frontendHostname: string;
    frontend: PortChoice;
    gui: PortChoice;
    api: PortChoice;
    /** Confirms that a non-loopback GUI/API address is meant. */
    exposeAdminPorts: boolean;
    /** Enterprise only: Velociraptor minions beside the master, each a frontend of its own. */
    minions: number;
  };
  ssh: {
    host: string;
    port: number;
    username: string;
    auth: 'agent' | 'key';
    keyPath: string;
    sudo: boolean;
    /** Empty: the host's address. */
    frontendHostname: string;
    frontend: PortChoice;
    exposeGui: boolean;
    exposeApi: boolean;
  };
  lab: {
    /** 0: Velociraptor's default when free, else a free port. */
    ports: { frontend: number; api: number; gui: number };
    client: boolean;
  };
  /** What AWS and Azure share: who reaches which port (CIDRs, one a line or comma-separated). */
  cloud: {
    /** Where agents connect from: the frontend port is open to these only. */
    agentCidrs: string;
    /** The responder's own address(es): GUI and API are open to these only. */
    responderCidrs: string;
  };
  aws: {
    region: string;
    /** The SDK's standard chain (environment, ~/.aws, SSO) or a named profile. */
    credentials: 'chain' | 'profile';
    profile: string;
    /** Empty: the profile's instance type. */
    instanceType: string;
  };
  azure: {
    subscriptionId: string;
    location: string;
    /** Empty: the profile's VM size. */
    vmSize: string;
  };
}

export const VELOCIRAPTOR_PORTS = { frontend: 8000, api: 8001, gui: 8889 } as const;

export function defaultForm(options: {
  defaultTag: string;
  dockerEngine: WizardForm['docker']['engine'];
}): WizardForm {
  return {
    target: 'docker',
    profile: 'rapid',
    autoDestroyHours: null,
    name: '',
    adminUser: 'admin',
    binary: { source: 'release', tag: options.defaultTag, path: '', signaturePath: '' },
    docker: {
      engine: options.dockerEngine,
      image: 'local',
      network: 'bridge',
      extraFiles: '',
      frontendHostname: 'localhost',
      frontend: { bindAddress: '127.0.0.1', port: VELOCIRAPTOR_PORTS.frontend },
      gui: { bindAddress: '127.0.0.1', port: VELOCIRAPTOR_PORTS.gui },
      api: { bindAddress: '127.0.0.1', port: VELOCIRAPTOR_PORTS.api },
      exposeAdminPorts: false,
      minions: DEFAULT_MINIONS,
    },
    ssh: {
      host: '',
      port: 22,
      username: '',
      auth: 'agent',
      keyPath: '',
      sudo: true,
      frontendHostname: '',
      frontend: { bindAddress: '0.0.0.0', port: VELOCIRAPTOR_PORTS.frontend },
      exposeGui: false,
      exposeApi: false,
    },
    lab: { ports: { frontend: 0, api: 0, gui: 0 }, client: true },
    cloud: { agentCidrs: '', responderCidrs: '' },
    aws: { region: 'eu-west-1', credentials: 'chain', profile: '', instanceType: '' },
    azure: { subscriptionId: '', location: 'westeurope', vmSize: '' },
  };
}

const extraFileLines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The CIDRs of a text field (one a line, or separated by commas or spaces). */
export function cidrsOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((c) => c.trim())
    .filter(Boolean);
}

/** The responder's address as a range of one: 203.0.113.7 → 203.0.113.7/32 (a range stays as it is). */
export function singleAddress(cidr: string): string {
  if (cidr.includes('/')) return cidr;
  return cidr.includes(':') ? `${cidr}/128` : `${cidr}/32`;
}

const EVERYWHERE = /^(0\.0\.0\.0|::)\/0$/;

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;
export const isLoopback = (address: string): boolean => LOOPBACK.test(address.trim());

function binarySettings(b: BinaryChoice) {
  return b.source === 'release'
    ? { kind: 'release' as const, tag: b.tag.trim() }
    : {
        kind: 'file' as const,
        path: b.path.trim(),
        ...(b.signaturePath.trim() ? { signaturePath: b.signaturePath.trim() } : {}),
      };
}

/** The `settings` of `deploy:plan` for the form's target (no secret: they are journaled as they are). */
export function settingsOf(form: WizardForm): Record<string, unknown> {
  const admin = { adminUser: form.adminUser.trim() || 'admin' };
  if (form.target === 'docker') {
    const d = form.docker;
    const exposed = (p: PortChoice) => ({
      bindAddress: p.bindAddress.trim(),
      port: p.port,
      ...(!isLoopback(p.bindAddress) && d.exposeAdminPorts ? { expose: true } : {}),
    });
    const extraFiles = extraFileLines(d.extraFiles).flatMap((l) => parseExtraFile(l) ?? []);
    return {
      ...admin,
      engine: d.engine,
      image:
        d.image === 'official'
          ? { kind: 'official', reference: officialImageReference(form.binary.tag) }
          : {
              kind: 'local',
              binary: binarySettings(form.binary),
              ...(extraFiles.length ? { extraFiles } : {}),
            },
      ...(d.network === 'host' ? { network: 'host' } : {}),
      frontend: {
        hostname: d.frontendHostname.trim(),
        bindAddress: d.frontend.bindAddress.trim(),
        port: d.frontend.port,
      },
      gui: exposed(d.gui),
      api: exposed(d.api),
      ...(form.profile === 'enterprise' && d.minions > 0
        ? { minions: minionsBeside(d.frontend, d.minions, [d.gui.port, d.api.port]) }
        : {}),
    };
  }
  if (form.target === 'ssh') {
    const s = form.ssh;
    return {
      ...admin,
      ssh: {
        host: s.host.trim(),
        port: s.port,
        username: s.username.trim(),
        auth: s.auth === 'agent' ? { method: 'agent' } : { method: 'key', keyPath: s.keyPath.trim() },
        sudo: s.sudo ? { mode: 'sudo' } : { mode: 'none' },
      },
      binary: binarySettings(form.binary),
      frontend: {
        hostname: s.frontendHostname.trim() || s.host.trim(),
        bindAddress: s.frontend.bindAddress.trim(),
        port: s.frontend.port,
      },
      api: { port: VELOCIRAPTOR_PORTS.api, expose: s.exposeApi },
      gui: { port: VELOCIRAPTOR_PORTS.gui, expose: s.exposeGui },
    };
  }
  if (isCloud(form.target)) {
    const common = {
      ...admin,
      access: {
        agentCidrs: cidrsOf(form.cloud.agentCidrs),
        responderCidrs: cidrsOf(form.cloud.responderCidrs).map(singleAddress),
      },
      release: { tag: form.binary.tag.trim() },
    };
    if (form.target === 'aws') {
      const a = form.aws;
      return {
        ...common,
        region: a.region.trim(),
        credentials:
          a.credentials === 'profile'
            ? { source: 'profile', profile: a.profile.trim() }
            : { source: 'chain' },
        ...(a.instanceType.trim() ? { instanceType: a.instanceType.trim() } : {}),
      };
    }
    const z = form.azure;
    return {
      ...common,
      subscriptionId: z.subscriptionId.trim(),
      location: z.location.trim(),
      ...(z.vmSize.trim() ? { vmSize: z.vmSize.trim() } : {}),
    };
  }
  const ports = Object.fromEntries(Object.entries(form.lab.ports).filter(([, p]) => p > 0));
  return { ...admin, binary: binarySettings(form.binary), ports, client: form.lab.client };
}

/** The profile overrides of `deploy:plan`: only what the responder changed (the core checks the bounds). */
export function overridesOf(
  form: Pick<WizardForm, 'autoDestroyHours'>,
  profile: { autoDestroyHours: number | null },
): { autoDestroyHours: number } | undefined {
  return form.autoDestroyHours !== null &&
    profile.autoDestroyHours !== null &&
    form.autoDestroyHours !== profile.autoDestroyHours
    ? { autoDestroyHours: form.autoDestroyHours }
    : undefined;
}

/**
 * What keeps the settings step from going on, in words; empty when the plan may be asked for. The
 * deployer checks everything again (and more): this only catches what is plainly missing.
 */
export function formProblems(form: WizardForm): string[] {
  const out: string[] = [];
  if (!form.name.trim()) out.push('Give the deployment a name (it also names the connection).');
  const cloud = isCloud(form.target);
  if ((cloud || form.binary.source === 'release') && !form.binary.tag.trim())
    out.push('Choose a release tag.');
  if (!cloud && form.binary.source === 'file' && !form.binary.path.trim())
    out.push('Give the path of the binary.');
  if (cloud) {
    if (!cidrsOf(form.cloud.agentCidrs).length)
      out.push('Give the address ranges agents connect from (0.0.0.0/0 if they can be anywhere).');
    const responder = cidrsOf(form.cloud.responderCidrs);
    if (!responder.length) out.push('Give your own address: the GUI and API are open to it only.');
    if (responder.some((c) => EVERYWHERE.test(c)))
      out.push(
        'The GUI and API must not be open to the whole internet: give your own address or a VPN range.',
      );
  }
  if (form.target === 'aws') {
    if (!form.aws.region.trim()) out.push('Choose the AWS region.');
    if (form.aws.credentials === 'profile' && !form.aws.profile.trim())
      out.push('Give the AWS profile name (from ~/.aws/config).');
  }
  if (form.target === 'azure') {
    if (!form.azure.subscriptionId.trim()) out.push('Give the Azure subscription id.');
    if (!form.azure.location.trim()) out.push('Choose the Azure location.');
  }
  if (form.target === 'docker') {
    if (!form.docker.frontendHostname.trim()) out.push('Give the name agents will use to reach the server.');
    const m = form.docker.minions;
    if (form.profile === 'enterprise' && !(Number.isInteger(m) && m >= 0 && m <= MAX_MINIONS))
      out.push(`Minions are a whole number from 0 to ${MAX_MINIONS}.`);
    const nonLoopback = [form.docker.gui, form.docker.api].some((p) => !isLoopback(p.bindAddress));
    if (nonLoopback && !form.docker.exposeAdminPorts)
      out.push('The GUI or API would be reachable from the network: confirm it, or keep 127.0.0.1.');
    if (form.docker.image === 'local')
      for (const line of extraFileLines(form.docker.extraFiles)) {
        const file = parseExtraFile(line);
        if (!file || !file.source.startsWith('/'))
          out.push(`Extra file "${line}" is not /path/in/image=/absolute/file/here[:mode].`);
      }
  }
  if (form.target === 'ssh') {
    if (!form.ssh.host.trim()) out.push('Give the host to deploy to.');
    if (!form.ssh.username.trim()) out.push('Give the login name on the host.');
    if (form.ssh.auth === 'key' && !form.ssh.keyPath.trim()) out.push('Give the path of the private key.');
  }
  return out;
}

/** What a profile enforces, one line each, for the profile step. */
export function profileRules(p: {
  limits: { memoryBytes: number; nanoCpus: number; pids: number };
  minimum: { cpus: number; memoryBytes: number; diskBytes: number };
  certificates: { caDays: number; serverDays: number; apiDays: number };
  autoDestroyHours: number | null;
  logRetentionDays: number;
}): string[] {
  return [
    p.autoDestroyHours === null
      ? 'No self-destruction'
      : `Destroys itself ${p.autoDestroyHours} h after deployment (on the target too), unless extended`,
    `Server capped at ${formatBytes(p.limits.memoryBytes)} memory, ${p.limits.nanoCpus / 1e9} CPUs, ${p.limits.pids} processes`,
    `Target needs ${p.minimum.cpus} CPU${p.minimum.cpus === 1 ? '' : 's'}, ${formatBytes(p.minimum.memoryBytes)} memory, ${formatBytes(p.minimum.diskBytes)} free disk`,
    `Certificates: CA ${p.certificates.caDays} d, server ${p.certificates.serverDays} d, API identity ${p.certificates.apiDays} d`,
    `Server logs kept ${p.logRetentionDays} days`,
  ];
}
