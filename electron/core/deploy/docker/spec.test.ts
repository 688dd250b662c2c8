import { describe, expect, it } from 'vitest';
import { bindChecks } from './preflight';
import {
  checkOfficialReference,
  officialVersion,
  DEFAULT_HEALTH,
  healthcheck,
  imageChanges,
  rootfsEntries,
  serverContainerSpec,
} from './spec';

const base = {
  deploymentId: 'dabc',
  profile: 'rapid',
  destroyAt: '2030-01-04T00:00:00.000Z',
  image: 'megaraptor/velociraptor-server:dabc',
  binary: '/usr/local/bin/velociraptor',
  user: '65532:65532',
  ports: { frontend: 8000, api: 8001, gui: 8889 },
  limits: { memoryBytes: 4 * 1024 ** 3, nanoCpus: 2e9, pids: 4096 },
  health: DEFAULT_HEALTH,
};

describe('Docker create requests', () => {
  it('publishes the frontend where chosen and GUI/API on 127.0.0.1, with limits, Init and a health check', () => {
    const spec = serverContainerSpec({
      ...base,
      network: 'bridge',
      publish: {
        frontend: { bindAddress: '0.0.0.0', port: 443 },
        api: { bindAddress: '127.0.0.1', port: null },
        gui: { bindAddress: '127.0.0.1', port: 8889 },
      },
    });
    expect(spec.HostConfig?.PortBindings).toEqual({
      '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '443' }],
      '8001/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '8889/tcp': [{ HostIp: '127.0.0.1', HostPort: '8889' }],
    });
    expect(spec.HostConfig).toMatchObject({
      Memory: 4 * 1024 ** 3,
      MemorySwap: 4 * 1024 ** 3,
      NanoCpus: 2e9,
      PidsLimit: 4096,
      Init: true,
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      RestartPolicy: { Name: 'unless-stopped' },
    });
    expect(spec.HostConfig?.Mounts).toEqual([
      { Type: 'volume', Source: 'megaraptor-dabc-config', Target: '/etc/velociraptor', ReadOnly: true },
      { Type: 'volume', Source: 'megaraptor-dabc-data', Target: '/data', ReadOnly: false },
    ]);
    expect(spec.Labels).toEqual({
      'org.megaraptor.managed-by': 'megaraptor-desktop',
      'org.megaraptor.deployment': 'dabc',
      'org.megaraptor.role': 'server',
      'org.megaraptor.profile': 'rapid',
      'org.megaraptor.auto-destroy-at': '2030-01-04T00:00:00.000Z',
    });
    expect(spec.Cmd).toEqual([
      '/usr/local/bin/velociraptor',
      '--config',
      '/etc/velociraptor/server.config.yaml',
      'frontend',
      '-v',
    ]);
    // Nothing secret travels in the environment.
    expect(spec.Env).toBeUndefined();
  });

  it('publishes nothing with host networking', () => {
    const spec = serverContainerSpec({
      ...base,
      network: 'host',
      publish: {
        frontend: { bindAddress: '127.0.0.1', port: 8000 },
        api: { bindAddress: '127.0.0.1', port: 8001 },
        gui: { bindAddress: '127.0.0.1', port: 8889 },
      },
    });
    expect(spec.HostConfig?.NetworkMode).toBe('host');
    expect(spec.HostConfig?.PortBindings).toBeUndefined();
    expect(spec.ExposedPorts).toBeUndefined();
  });

  it('checks health with the binary itself (no shell in the image)', () => {
    const h = healthcheck('/usr/local/bin/velociraptor', 8000, DEFAULT_HEALTH);
    expect(h.Test?.slice(0, 3)).toEqual(['CMD', '/usr/local/bin/velociraptor', 'query']);
    expect(h.Test?.[3]).toMatch(
      /log\(level='ERROR'.*http_client\(url='https:\/\/127\.0\.0\.1:8000\/healthz'.*WHERE Response != 200$/,
    );
    expect(h.Interval).toBe(5e9);
  });

  it('builds a minimal root filesystem owned by an unprivileged user', () => {
    const entries = rootfsEntries('/cache/velociraptor-v0.77.2-linux-amd64-musl');
    expect(entries.map((e) => `${e.type} ${e.path} ${e.mode.toString(8)} ${e.uid ?? 0}`)).toEqual([
      'dir etc 755 0',
      'file etc/passwd 644 0',
      'file etc/group 644 0',
      'dir etc/velociraptor 700 65532',
      'dir data 700 65532',
      'dir tmp 1777 0',
      'dir usr 755 0',
      'dir usr/local 755 0',
      'dir usr/local/bin 755 0',
      'file usr/local/bin/velociraptor 755 0',
    ]);
    expect(imageChanges('dabc', 'rapid')).toContain('USER 65532:65532');
  });

  it("pins upstream's image to a release tag or a digest, never :latest", () => {
    expect(checkOfficialReference('ghcr.io/velocidex/velociraptor-server:0.77.2')).toBeTruthy();
    // The GitHub release tag is not the image's tag (the image has the bare version).
    expect(() => checkOfficialReference('ghcr.io/velocidex/velociraptor-server:v0.77.2')).toThrow(
      'use ghcr.io/velocidex/velociraptor-server:0.77.2 instead',
    );
    expect(
      checkOfficialReference(`ghcr.io/velocidex/velociraptor-server@sha256:${'a'.repeat(64)}`),
    ).toBeTruthy();
    expect(() => checkOfficialReference('ghcr.io/velocidex/velociraptor-server:latest')).toThrow(
      /Never :latest/,
    );
    expect(() => checkOfficialReference('ghcr.io/velocidex/velociraptor-server')).toThrow(/pinned/);
    expect(officialVersion('ghcr.io/velocidex/velociraptor-server:0.77.2')).toBe('0.77.2');
    expect(officialVersion(`ghcr.io/velocidex/velociraptor-server@sha256:${'a'.repeat(64)}`)).toBeUndefined();
    expect(() => checkOfficialReference('docker.io/evil/velociraptor-server:0.77.2')).toThrow(/pinned/);
  });

  it('refuses to publish GUI or API beyond loopback unless confirmed', () => {
    const checks = bindChecks({
      ports: {
        frontend: { bindAddress: '0.0.0.0', port: 8000 },
        api: { bindAddress: '0.0.0.0', port: 8001 },
        gui: { bindAddress: '10.0.0.5', port: 8889, expose: true },
      },
    });
    expect(checks.map((c) => `${c.id}:${c.status}`)).toEqual([
      'bind-frontend:ok',
      'bind-api:failed',
      'bind-gui:warn',
    ]);
    expect(
      bindChecks({
        ports: {
          frontend: { bindAddress: 'x', port: 1 },
          api: { bindAddress: '127.0.0.1', port: 1 },
          gui: { bindAddress: '127.0.0.1', port: 2 },
        },
      }).map((c) => c.status),
    ).toEqual(['failed', 'ok', 'ok', 'failed']);
  });
});
