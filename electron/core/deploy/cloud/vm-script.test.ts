import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostLayout } from '../ssh-host/layout';
import { expireScript, HOLD_TAG_VALUE, UNREACHABLE_GRACE_SECONDS } from './vm-script';

const run = promisify(execFile);

/**
 * The cloud VM's self-destruction script, run by the real sh under a folder of its own: the cloud's
 * tag is a file (missing file: the metadata service does not answer), systemctl records its calls,
 * and self_destruct writes a mark instead of shutting down.
 */
describe('the cloud VM self-destruction script', () => {
  let dir: string;
  let layout: ReturnType<typeof hostLayout>;
  const id = 'dep-hold';

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vm-expire-'));
    layout = hostLayout(id, join(dir, 'root'), '/opt/velociraptor');
    await mkdir(layout.unitDir, { recursive: true });
    await mkdir(layout.configDir, { recursive: true });
    await writeFile(
      join(layout.unitDir, layout.expireTimer),
      '[Timer]\nOnCalendar=2026-12-01 00:00:00 UTC\n',
    );
    await mkdir(join(dir, 'bin'));
    await writeFile(join(dir, 'bin', 'systemctl'), `#!/bin/sh\necho "$*" >>"${dir}/systemctl.log"\n`);
    await chmod(join(dir, 'bin', 'systemctl'), 0o755);
    const script = expireScript({
      deploymentId: id,
      layout,
      cloud: {
        vars: { TAG_FILE: join(dir, 'tag') },
        fetchConfig: 'fetch_config() { return 1; }',
        selfDestruct: `self_destruct() { echo destroyed >"${dir}/destroyed"; }`,
        destroyAtNow: 'destroy_at_now() { cat "$TAG_FILE"; }',
        storeDescription: 'a file',
      },
    });
    await writeFile(join(dir, 'expire.sh'), script, { mode: 0o700 });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const fire = async (tag: string | null) => {
    if (tag === null) await rm(join(dir, 'tag'), { force: true });
    else await writeFile(join(dir, 'tag'), tag);
    const { stdout } = await run('sh', [join(dir, 'expire.sh')], {
      env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` },
    });
    const timer = await readFile(join(layout.unitDir, layout.expireTimer), 'utf8');
    const at = /^OnCalendar=(.*) UTC$/m.exec(timer)![1]!;
    return {
      stdout,
      movedTo: Date.parse(`${at.replace(' ', 'T')}Z`),
      destroyed: await readFile(join(dir, 'destroyed'), 'utf8').then(
        () => true,
        () => false,
      ),
      systemctl: await readFile(join(dir, 'systemctl.log'), 'utf8').catch(() => ''),
    };
  };

  it('a later time moves the timer; an empty or past one destroys', async () => {
    const later = new Date(Date.now() + 5 * 3_600_000);
    later.setMilliseconds(0);
    const moved = await fire(later.toISOString());
    expect(moved.destroyed).toBe(false);
    expect(moved.movedTo).toBe(later.getTime());
    expect(moved.stdout).toContain(`self-destruction moved to ${later.toISOString()}`);
    expect(moved.systemctl).toContain(`restart ${layout.expireTimer}`);
    expect((await fire(new Date(Date.now() - 60_000).toISOString())).destroyed).toBe(true);
  });

  it('an empty tag destroys at once', async () => {
    const r = await fire('');
    expect(r.destroyed).toBe(true);
    expect(r.systemctl).toContain(`stop ${layout.serverUnit}`);
  });

  it('a legal hold destroys nothing and asks again in an hour', async () => {
    const before = Date.now();
    const r = await fire(HOLD_TAG_VALUE);
    expect(r.destroyed).toBe(false);
    expect(r.stdout).toContain('legal hold: self-destruction suspended');
    expect(r.movedTo).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3_600_000);
    expect(r.movedTo).toBeLessThanOrEqual(Date.now() + 3_601_000);
  });

  it('a cloud that cannot be asked delays by 15 minutes at a time for a day, then destroys', async () => {
    const first = await fire(null);
    expect(first.destroyed).toBe(false);
    expect(first.stdout).toContain('asking again in 15 minutes');
    expect(first.movedTo).toBeLessThanOrEqual(Date.now() + 901_000);
    const since = join(layout.configDir, '.megaraptor-expire-unreachable-since');
    const stamp = Number(await readFile(since, 'utf8'));
    expect(Math.abs(stamp - Date.now() / 1000)).toBeLessThan(60);

    // Still within the day: the first failure's time stays.
    expect((await fire(null)).destroyed).toBe(false);
    expect(Number(await readFile(since, 'utf8'))).toBe(stamp);

    // An answer in between forgets the failures.
    await fire(new Date(Date.now() + 3_600_000).toISOString());
    await expect(readFile(since, 'utf8')).rejects.toThrow();

    await writeFile(since, String(Math.floor(Date.now() / 1000) - UNREACHABLE_GRACE_SECONDS - 1));
    const last = await fire(null);
    expect(last.stdout).toContain('could not be asked for the destruction time for a day');
    expect(last.destroyed).toBe(true);
  });
});
