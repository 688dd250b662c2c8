/**
 * `megaraptor sim --velociraptor-version 0.75|0.77` plays that release (issue 12 item 2): the
 * catalogue a client then reads is that release's. Run in-process; SIGINT stops it as it would
 * the real command.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApiConfig } from '../../core/velociraptor/config/api-config';
import { ConnectionRegistry } from '../../core/velociraptor/registry';
import { VelociraptorService } from '../../core/velociraptor/service';
import { simCommand } from './sim';

const dir = mkdtempSync(join(tmpdir(), 'mr-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function play(
  version: string | undefined,
): Promise<{ banner: string; version: string; quarantine: string }> {
  const out = new PassThrough();
  let banner = '';
  out.on('data', (d: Buffer) => (banner += d.toString()));
  const config = join(dir, `api-${version ?? 'default'}.yaml`);
  const argv = ['--write-api-config', config, '--role', 'administrator'];
  if (version) argv.push('--velociraptor-version', version);
  const running = simCommand.run(argv, {
    stdout: out,
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    env: {},
    cwd: dir,
  });
  await expect.poll(() => banner, { timeout: 20_000 }).toContain('Press Ctrl+C');
  const registry = new ConnectionRegistry();
  registry.addConfig('sim', loadApiConfig(readFileSync(config, 'utf8')));
  try {
    const svc = new VelociraptorService(registry.connection('sim'));
    const d = await svc.declarations(['MacOS.Remediation.Quarantine']);
    return {
      banner,
      version: await svc.serverVersion(),
      quarantine: d.artifacts.get('MacOS.Remediation.Quarantine') ? 'present' : 'absent',
    };
  } finally {
    registry.close();
    process.emit('SIGINT');
    expect(await running).toBe(0);
  }
}

describe('megaraptor sim --velociraptor-version', () => {
  it.each([
    ['0.75', '0.75.7', 'absent'],
    ['0.77', '0.77.2', 'present'],
    [undefined, '0.77.2', 'present'],
  ])('%s plays Velociraptor %s (MacOS.Remediation.Quarantine %s)', async (asked, version, quarantine) => {
    const r = await play(asked);
    expect(r.banner).toContain(`emulating Velociraptor ${version}`);
    expect(r.version).toBe(version);
    expect(r.quarantine).toBe(quarantine);
  });

  it('refuses a release it cannot play', async () => {
    await expect(
      simCommand.run(['--velociraptor-version', '0.72'], {
        stdout: new PassThrough(),
        stderr: new PassThrough(),
        stdin: new PassThrough(),
        env: {},
        cwd: dir,
      }),
    ).rejects.toThrow(/0\.75 or 0\.77/);
  });
});
