import { describe, expect, it } from 'vitest';
import {
  defaultForm,
  formProblems,
  isLoopback,
  overridesOf,
  profileRules,
  settingsOf,
  type WizardForm,
} from './wizard-form';

const base = () =>
  defaultForm({ defaultTag: 'v0.77.2', dockerEngine: { kind: 'socket', path: '/var/run/docker.sock' } });

describe('wizard form', () => {
  it('defaults to the verified release and keeps the GUI and API on this machine', () => {
    const form: WizardForm = { ...base(), name: 'ir-1' };
    expect(formProblems(form)).toEqual([]);
    expect(settingsOf(form)).toEqual({
      adminUser: 'admin',
      engine: { kind: 'socket', path: '/var/run/docker.sock' },
      image: { kind: 'local', binary: { kind: 'release', tag: 'v0.77.2' } },
      frontend: { hostname: 'localhost', bindAddress: '127.0.0.1', port: 8000 },
      gui: { bindAddress: '127.0.0.1', port: 8889 },
      api: { bindAddress: '127.0.0.1', port: 8001 },
    });
  });

  it('publishes the GUI or API on the network only when the responder confirms it', () => {
    const form = base();
    form.name = 'ir-1';
    form.docker.gui.bindAddress = '0.0.0.0';
    expect(formProblems(form)).toEqual([
      'The GUI or API would be reachable from the network: confirm it, or keep 127.0.0.1.',
    ]);
    form.docker.exposeAdminPorts = true;
    expect(formProblems(form)).toEqual([]);
    const s = settingsOf(form) as { gui: object; api: object };
    expect(s.gui).toEqual({ bindAddress: '0.0.0.0', port: 8889, expose: true });
    expect(s.api).toEqual({ bindAddress: '127.0.0.1', port: 8001 });
  });

  it("maps the engine's host network and the extra image files, refusing a malformed line", () => {
    const form = base();
    form.name = 'ir-1';
    form.docker.network = 'host';
    form.docker.extraFiles = '/usr/bin/node=/usr/bin/node:0755\n\n  /opt/tool.mjs=/home/me/tool.mjs  \n';
    expect(formProblems(form)).toEqual([]);
    expect(settingsOf(form)).toMatchObject({
      network: 'host',
      image: {
        kind: 'local',
        extraFiles: [
          { path: '/usr/bin/node', source: '/usr/bin/node', mode: 0o755 },
          { path: '/opt/tool.mjs', source: '/home/me/tool.mjs', mode: 0o644 },
        ],
      },
    });
    form.docker.extraFiles = 'tool=relative/tool';
    expect(formProblems(form)).toEqual([
      'Extra file "tool=relative/tool" is not /path/in/image=/absolute/file/here[:mode].',
    ]);
    // Upstream's image takes no extra files: the lines are kept in the form but not sent.
    form.docker.image = 'official';
    expect(formProblems(form)).toEqual([]);
    expect(settingsOf(form)).not.toHaveProperty('image.extraFiles');
    // Upstream tags its image with the bare version: the release tag v0.77.2 is the image's :0.77.2.
    expect(settingsOf(form)['image']).toEqual({
      kind: 'official',
      reference: 'ghcr.io/velocidex/velociraptor-server:0.77.2',
    });
  });

  it('gives an enterprise Docker deployment its minions on free ports after the frontend', () => {
    const standard: WizardForm = { ...base(), name: 'ir-1', profile: 'standard' };
    expect(settingsOf(standard)).not.toHaveProperty('minions');
    const enterprise: WizardForm = { ...base(), name: 'ir-1', profile: 'enterprise' };
    // 8001 is the API's: the two default minions take 8002 and 8003.
    expect(settingsOf(enterprise)['minions']).toEqual([
      { bindAddress: '127.0.0.1', port: 8002 },
      { bindAddress: '127.0.0.1', port: 8003 },
    ]);
    const one: WizardForm = { ...enterprise, docker: { ...enterprise.docker, minions: 1 } };
    expect(settingsOf(one)['minions']).toEqual([{ bindAddress: '127.0.0.1', port: 8002 }]);
    const none: WizardForm = { ...enterprise, docker: { ...enterprise.docker, minions: 0 } };
    expect(settingsOf(none)).not.toHaveProperty('minions');
    const many: WizardForm = { ...enterprise, docker: { ...enterprise.docker, minions: 9 } };
    expect(formProblems(many)).toEqual(['Minions are a whole number from 0 to 8.']);
  });

  it('maps an SSH host: agent or key login, sudo, the frontend named after the host by default', () => {
    const form = base();
    form.target = 'ssh';
    form.name = 'host';
    expect(formProblems(form)).toEqual(['Give the host to deploy to.', 'Give the login name on the host.']);
    Object.assign(form.ssh, {
      host: 'ir.example.org',
      username: 'deployer',
      auth: 'key',
      keyPath: ' /k/id ',
    });
    expect(settingsOf(form)).toMatchObject({
      ssh: {
        host: 'ir.example.org',
        port: 22,
        username: 'deployer',
        auth: { method: 'key', keyPath: '/k/id' },
        sudo: { mode: 'sudo' },
      },
      binary: { kind: 'release', tag: 'v0.77.2' },
      frontend: { hostname: 'ir.example.org', bindAddress: '0.0.0.0', port: 8000 },
      api: { port: 8001, expose: false },
      gui: { port: 8889, expose: false },
    });
  });

  it("maps the local lab with the responder's own binary and only the ports chosen", () => {
    const form = base();
    form.target = 'lab';
    form.name = 'lab';
    form.binary = { source: 'file', tag: '', path: '', signaturePath: '' };
    expect(formProblems(form)).toEqual(['Give the path of the binary.']);
    form.binary.path = '/opt/velociraptor';
    form.lab.ports.gui = 9889;
    expect(settingsOf(form)).toEqual({
      adminUser: 'admin',
      binary: { kind: 'file', path: '/opt/velociraptor' },
      ports: { gui: 9889 },
      client: true,
    });
  });

  it('says what a profile enforces', () => {
    const rules = profileRules({
      limits: { memoryBytes: 4 * 1024 ** 3, nanoCpus: 2e9, pids: 4096 },
      minimum: { cpus: 1, memoryBytes: 2 * 1024 ** 3, diskBytes: 10 * 1024 ** 3 },
      certificates: { caDays: 30, serverDays: 7, apiDays: 7 },
      autoDestroyHours: 72,
      logRetentionDays: 7,
    });
    expect(rules).toEqual([
      'Destroys itself 72 h after deployment (on the target too), unless extended',
      'Server capped at 4 GiB memory, 2 CPUs, 4096 processes',
      'Target needs 1 CPU, 2 GiB memory, 10 GiB free disk',
      'Certificates: CA 30 d, server 7 d, API identity 7 d',
      'Server logs kept 7 days',
    ]);
  });

  it('tells loopback addresses from the rest', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.5', '::', '128.0.0.1'].some(isLoopback)).toBe(false);
  });

  it("overrides the profile's self-destruction only when the responder changed it", () => {
    const rapid = { autoDestroyHours: 72 };
    expect(overridesOf({ autoDestroyHours: null }, rapid)).toBeUndefined();
    expect(overridesOf({ autoDestroyHours: 72 }, rapid)).toBeUndefined();
    expect(overridesOf({ autoDestroyHours: 12 }, rapid)).toEqual({ autoDestroyHours: 12 });
    // A profile that never destroys itself is not made to by a leftover value.
    expect(overridesOf({ autoDestroyHours: 12 }, { autoDestroyHours: null })).toBeUndefined();
  });

  it('asks a cloud target for its ranges and opens the GUI and API to the responder only', () => {
    const form: WizardForm = { ...base(), name: 'ir-aws', target: 'aws' };
    expect(formProblems(form)).toEqual([
      'Give the address ranges agents connect from (0.0.0.0/0 if they can be anywhere).',
      'Give your own address: the GUI and API are open to it only.',
    ]);
    form.cloud = { agentCidrs: '198.51.100.0/24,\n2001:db8:1::/48', responderCidrs: '0.0.0.0/0' };
    expect(formProblems(form)).toEqual([
      'The GUI and API must not be open to the whole internet: give your own address or a VPN range.',
    ]);
    form.cloud.responderCidrs = '203.0.113.7 2001:db8::7';
    expect(formProblems(form)).toEqual([]);
    expect(settingsOf(form)).toEqual({
      adminUser: 'admin',
      access: {
        agentCidrs: ['198.51.100.0/24', '2001:db8:1::/48'],
        responderCidrs: ['203.0.113.7/32', '2001:db8::7/128'],
      },
      release: { tag: 'v0.77.2' },
      region: 'eu-west-1',
      credentials: { source: 'chain' },
    });
    form.aws = { ...form.aws, credentials: 'profile', profile: '', instanceType: 't3.large' };
    expect(formProblems(form)).toEqual(['Give the AWS profile name (from ~/.aws/config).']);
    form.aws.profile = 'ir';
    expect(settingsOf(form)).toMatchObject({
      credentials: { source: 'profile', profile: 'ir' },
      instanceType: 't3.large',
    });
  });

  it('gives Azure its subscription and location, and a cloud the release only (never a local file)', () => {
    const form: WizardForm = {
      ...base(),
      name: 'ir-az',
      target: 'azure',
      cloud: { agentCidrs: '0.0.0.0/0', responderCidrs: '203.0.113.7/32' },
      binary: { source: 'file', tag: 'v0.77.2', path: '', signaturePath: '' },
    };
    expect(formProblems(form)).toEqual(['Give the Azure subscription id.']);
    form.azure.subscriptionId = '11111111-2222-4333-8444-555555555555';
    expect(formProblems(form)).toEqual([]);
    expect(settingsOf(form)).toEqual({
      adminUser: 'admin',
      access: { agentCidrs: ['0.0.0.0/0'], responderCidrs: ['203.0.113.7/32'] },
      release: { tag: 'v0.77.2' },
      subscriptionId: '11111111-2222-4333-8444-555555555555',
      location: 'westeurope',
    });
  });
});
