/**
 * A deployment made from the command line is listed on the Credentials page like one made in the
 * app: the built CLI (out/cli/megaraptor.mjs) deploys a local lab, and the credential index the page
 * reads (CredentialService.list over the same data dir) lists the deployment's CA key, API identity
 * and admin password and the connection's API config; `deployments destroy` takes them off again.
 * The lab runs the simulator as its binary (sim/launcher.ts); the secrets go to the real keychain of
 * the test run's gnome-keyring session.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOf, builtCli, keyringSession } from '../../../test/real-parts';
import { BUILT_CLI, runBuiltCli } from '../testing/run-cli';
import { createCredentialService } from '../../core/credentials/index';
import { velociraptorLauncher } from '../../core/sim/launcher';

const parts = allOf('the built CLI in a keyring session', [builtCli('deploy'), keyringSession()]);

it(`has ${parts.name} (required in CI)`, () => parts.check());

describe.runIf(parts.ready)('megaraptor deploy and the credential index (built CLI)', () => {
  let root: string;
  let launcher: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mr-cli-deploy-creds-'));
    launcher = join(root, 'velociraptor');
    await writeFile(launcher, velociraptorLauncher(BUILT_CLI, process.execPath));
    await chmod(launcher, 0o755);
    env = { MEGARAPTOR_DATA_DIR: join(root, 'data') };
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('lists what `deploy lab` saved, and forgets it after `deployments destroy`', async () => {
    const deployed = await runBuiltCli(
      [
        'deploy',
        'lab',
        '--name',
        'cli-lab',
        '--profile',
        'standard',
        '--binary',
        launcher,
        '--no-client',
        '--json',
      ],
      env,
    );
    expect(deployed.code, deployed.err).toBe(0);
    const { id, connection } = JSON.parse(deployed.out) as { id: string; connection: string };
    const credentials = createCredentialService(env.MEGARAPTOR_DATA_DIR!);
    let destroyed: Awaited<ReturnType<typeof runBuiltCli>> | undefined;
    try {
      expect(connection).toBe('cli-lab');

      const listed = (await credentials.list()).items;
      const ofDeployment = listed.filter((c) => c.owner.deploymentId === id);
      // CA, server config, API identity, administrator password.
      expect(ofDeployment.map((c) => c.kind).sort()).toEqual([
        'ca-key',
        'password',
        'private-key',
        'private-key',
      ]);
      expect(ofDeployment.every((c) => c.name.startsWith('cli-lab — '))).toBe(true);
      expect(listed.filter((c) => c.owner.serverName === 'cli-lab').map((c) => c.kind)).toContain(
        'api-config',
      );

      destroyed = await runBuiltCli(['deployments', 'destroy', id, '--no-export', '--yes'], env);
    } finally {
      // A failed assertion must not leave the lab's processes running.
      destroyed ??= await runBuiltCli(['deployments', 'destroy', id, '--no-export', '--yes'], env);
    }
    expect(destroyed.code, destroyed.err).toBe(0);
    const after = (await credentials.list()).items;
    expect(after.filter((c) => c.owner.deploymentId === id || c.owner.serverName === 'cli-lab')).toEqual([]);
  }, 240_000);
});
