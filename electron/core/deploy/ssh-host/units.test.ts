/**
 * The unit files and the self-destruction script an SSH host gets, rendered for a layout under a temp
 * folder (so ExecStart names a real executable): upstream's velociraptor_server settings and the
 * profile's limits are there, `systemd-analyze verify` accepts every unit without a word, and the
 * script is valid sh that removes exactly the deployment's paths.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath } from '../../../../test/real-parts';
import { resolveProfile } from '../profiles';
import type { ServiceManager } from '../ssh/services';
import { parseUnit, unitValue } from '../ssh/systemd-unit';
import { systemdVerify } from '../testing/recording-services';
import { hostLayout, type HostLayout } from './layout';
import { expireScript, expireServiceUnit, expireTimerUnit, serverUnit } from './units';

const analyze = onPath(['systemd-analyze'], 'apt-get install systemd');

/** systemd's own teardown lines, without a connection (they are pure strings). */
const systemdLines: Pick<ServiceManager, 'teardownLines'> = {
  teardownLines: (names, self) => [
    ...names.map((n) => `systemctl disable --now ${n} || true`),
    ...[...names, ...(self ? [self] : [])].map((n) => `rm -f -- /etc/systemd/system/${n}`),
    'systemctl daemon-reload || true',
  ],
};

describe('units of an SSH host deployment', () => {
  let dir: string;
  let layout: HostLayout;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'megaraptor-units-'));
    layout = hostLayout('dabc123', dir, '/opt/velociraptor');
    await mkdir(join(dir, 'usr/local/bin'), { recursive: true });
    await writeFile(layout.binary, '#!/bin/sh\n');
    await chmod(layout.binary, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('carries upstream velociraptor_server settings and the profile limits', () => {
    const text = serverUnit({
      layout,
      user: 'velociraptor',
      limits: resolveProfile('standard').limits,
      deploymentId: 'dabc123',
      name: 'line\nbreak',
    });
    const unit = parseUnit(text);
    expect(Object.fromEntries(unit.get('Service')!)).toEqual({
      Type: 'simple',
      Restart: 'always',
      RestartSec: '120',
      LimitNOFILE: '20000',
      Environment: 'LANG=en_US.UTF-8',
      ExecStart: `${layout.binary} --config ${layout.config} frontend`,
      User: 'velociraptor',
      Group: 'velociraptor',
      CapabilityBoundingSet: 'CAP_SYS_RESOURCE CAP_NET_BIND_SERVICE',
      AmbientCapabilities: 'CAP_SYS_RESOURCE CAP_NET_BIND_SERVICE',
      MemoryMax: String(8 * 1024 ** 3),
      CPUQuota: '400%',
      TasksMax: '16384',
    });
    expect(unitValue(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
    // A name with a line break stays in its comment line.
    expect(text.split('\n').filter((l) => l.includes('break'))).toEqual([
      '# Installed by Megaraptor Desktop for deployment dabc123 ("line break").',
    ]);
  });

  it(`has ${analyze.name} (required in CI)`, () => analyze.check());

  it.runIf(analyze.run)('passes systemd-analyze verify, every unit, silently', async () => {
    const at = new Date('2026-06-04T08:00:00Z');
    const units = {
      'velociraptor_server.service': serverUnit({
        layout,
        user: 'velociraptor',
        limits: resolveProfile('rapid').limits,
        deploymentId: 'dabc123',
        name: 'x',
      }),
      [layout.expireService]: expireServiceUnit(layout, 'dabc123'),
      [layout.expireTimer]: expireTimerUnit(layout, 'dabc123', at),
    };
    expect(unitValue(parseUnit(units[layout.expireTimer]!), 'Timer', 'OnCalendar')).toBe(
      '2026-06-04 08:00:00 UTC',
    );
    expect(await systemdVerify(units)).toEqual({ ok: true, output: '' });
    // And it does complain when a unit is wrong (the check can fail).
    const broken = await systemdVerify({
      'velociraptor_server.service': `${units['velociraptor_server.service']}Bogus=1\n`,
    });
    expect(broken.ok).toBe(false);
  });

  it('writes a self-destruction script that is valid sh and removes exactly what was made', () => {
    const script = expireScript({
      layout,
      deploymentId: 'dabc123',
      at: new Date('2026-06-04T08:00:00Z'),
      services: systemdLines as ServiceManager,
      files: [layout.config, layout.binary],
      folders: [layout.datastore, layout.configDir],
      user: 'velociraptor',
    });
    execFileSync('sh', ['-n'], { input: script });
    const lines = script.split('\n');
    expect(lines).toContain(`systemctl disable --now ${layout.expireTimer} || true`);
    expect(lines).toContain('systemctl disable --now velociraptor_server.service || true');
    // Its own service is not stopped (it runs the script), only forgotten.
    expect(lines).not.toContain(`systemctl disable --now ${layout.expireService} || true`);
    expect(lines).toContain(`rm -f -- /etc/systemd/system/${layout.expireService}`);
    expect(lines.filter((l) => l.startsWith('rm -rf'))).toEqual([
      `rm -rf --one-file-system -- ${layout.datastore}`,
      `rm -rf --one-file-system -- ${layout.configDir}`,
    ]);
    expect(lines.at(-3)).toBe(`rm -f -- ${layout.expireScript}`);
    expect(script).toContain('userdel velociraptor');
  });
});
