/**
 * Crash tests of the AWS target against moto: a real child process deploys (its SDK clients talking
 * to moto through the stand-in fleet's relay, the fleet booting each instance's real user-data) and is
 * SIGKILLed as each step starts, and just before and after the stack and the config secret are asked
 * for. After each kill a fresh runner in this process must list the deployment as interrupted, and
 * clean-up must leave nothing: no stack, instance, security group or secret on "AWS", no stand-in VM,
 * no keychain entry, no connection, no journal. One kill point resumes instead and must end deployed
 * and verified, then destroy to nothing. The stack's name is chosen before it exists, so a kill between
 * CreateStack and its journal entry still finds it.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import type { AwsCrashChildConfig } from '../testing/aws-crash-child';
import { AwsFleet } from '../testing/aws-fleet';
import { AWS_TEST_REGION, awsLeftovers, awsTestSettings, awsWorld, NOTHING } from '../testing/aws-world';
import { bundleScript, type BundledScript } from '../testing/bundle';
import { runChild } from '../testing/child-run';
import { freePort } from '../testing/docker-world';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { MOTO_CREDENTIALS, motoServer, startMoto, type Moto } from '../testing/moto';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { signedRelease, SSH_TEST_TAG, testServerBinary } from '../testing/ssh-world';
import { openVault } from '../testing/vault';

const ASSET = 'velociraptor-v0.77.2-linux-amd64';
const part = motoServer();

it(`has ${part.name} (required in CI)`, () => part.check());

describe.runIf(part.run)('AWS deployment killed at each step', () => {
  let moto: Moto;
  let fleet: AwsFleet;
  let signer: TestSigner;
  let releases: ReleaseServer;
  let child: BundledScript;
  let root: string;
  let aws: { ec2: EC2Client; cfn: CloudFormationClient; sm: SecretsManagerClient; fleet: AwsFleet };

  beforeAll(async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    root = await mkdtemp(join(tmpdir(), 'megaraptor-aws-crash-'));
    moto = await startMoto();
    signer = await makeTestSigner();
    child = await bundleScript(join(__dirname, '..', 'testing', 'aws-crash-child.ts'));
    const binary = (await testServerBinary(await buildCli(join(root, 'megaraptor.mjs')))).data;
    releases = await startReleaseServer([
      await signedRelease(SSH_TEST_TAG, { [ASSET]: binary }, (d) => signer.sign(d)),
    ]);
    await writeFile(join(root, 'release-ca.pem'), releases.caPem);
    fleet = new AwsFleet({
      moto,
      region: AWS_TEST_REGION,
      root: join(root, 'vm'),
      dir: join(root, 'vms'),
      caFile: join(root, 'release-ca.pem'),
    });
    await fleet.start();
    const config = { region: AWS_TEST_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS };
    aws = {
      ec2: new EC2Client(config),
      cfn: new CloudFormationClient(config),
      sm: new SecretsManagerClient(config),
      fleet,
    };
  }, 240_000);

  afterAll(async () => {
    await fleet?.stop();
    if (aws) for (const c of [aws.ec2, aws.cfn, aws.sm]) c.destroy();
    await moto?.stop();
    await releases?.close();
    await signer?.cleanup();
    await child?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  async function round(name: string): Promise<AwsCrashChildConfig> {
    return {
      dataDir: join(root, name),
      vaultPath: join(root, name, 'vault.json'),
      vaultPassphrase: 'crash-test-passphrase',
      motoEndpoint: fleet.endpoint,
      vmRoot: join(root, 'vm'),
      release: { url: releases.url, caPem: releases.caPem, key: signer.key },
      settings: awsTestSettings({ frontend: await freePort(), api: await freePort(), gui: await freePort() }),
      stopAt: null,
    };
  }

  /** A fresh app "after the restart" on the same data dir. */
  async function restart(config: AwsCrashChildConfig) {
    const secrets = await openVault(config.vaultPath, config.vaultPassphrase);
    const world = awsWorld({
      dataDir: config.dataDir,
      motoEndpoint: fleet.endpoint,
      vmRoot: config.vmRoot,
      release: config.release,
      secrets,
    });
    return { world, secrets };
  }

  it('lists the interrupted deployment and cleans it up to nothing, at every kill point', async () => {
    // One full run names every journal write; the kill points are picked from it.
    const full = await round('full');
    const r = await runChild(child.file, [JSON.stringify(full)], child.env, { timeoutMs: 240_000 });
    expect(r.stdout).toMatch(/DONE deployed \d+/);
    const id = /PLANNED (\S+)/.exec(r.stdout)![1]!;
    const after = await restart(full);
    expect((await after.world.runner.destroy(id)).filter((x) => !x.ok)).toEqual([]);
    await expect
      .poll(() => awsLeftovers(aws, after.world, after.secrets, id, 'crash'), { timeout: 10_000 })
      .toEqual(NOTHING);
    await after.world.close();

    const writes = [...r.stdout.matchAll(/^WRITE (\d+) (.+)$/gm)].map((m) => ({
      n: Number(m[1]),
      label: m[2]!,
    }));
    const points = writes.filter(
      (w) =>
        /^step:[a-z-]+:running$/.test(w.label) ||
        /^resource:cloud-(stack|secret):.*:(intended|created)$/.test(w.label),
    );
    expect(points.map((p) => p.label)).toEqual(
      expect.arrayContaining([
        'step:account:running',
        'step:stack:running',
        expect.stringMatching(/^resource:cloud-stack:.*:intended$/),
        expect.stringMatching(/^resource:cloud-stack:.*:created$/),
        expect.stringMatching(/^resource:cloud-secret:.*:intended$/),
        'step:boot:running',
        'step:seal:running',
        'step:connect:running',
      ]),
    );
    console.log(`${writes.length} journal writes; killing at ${points.length} of them`);
    const resumeAt = points.find((p) => p.label === 'step:boot:running')?.n;

    for (const point of points) {
      const config = { ...(await round(`kill-${point.n}`)), stopAt: point.n };
      const killed = await runChild(child.file, [JSON.stringify(config)], child.env, {
        killWhen: /BOUNDARY \d+/,
        timeoutMs: 240_000,
      });
      expect([point.label, killed.killed]).toEqual([point.label, true]);
      const deploymentId = /PLANNED (\S+)/.exec(killed.stdout)![1]!;

      const app = await restart(config);
      try {
        const interrupted = await app.world.runner.interrupted();
        expect([point.label, interrupted.map((j) => j.id)]).toEqual([point.label, [deploymentId]]);
        if (point.n === resumeAt) {
          const out = await app.world.runner.resume(deploymentId);
          expect([point.label, out.journal.state, out.journal.outputs.connectionName]).toEqual([
            point.label,
            'deployed',
            'crash',
          ]);
          expect((await app.world.runner.destroy(deploymentId)).filter((x) => !x.ok)).toEqual([]);
        } else {
          const removed = await app.world.runner.cleanup(deploymentId);
          expect([point.label, removed.filter((x) => !x.ok)]).toEqual([point.label, []]);
        }
        await expect
          .poll(
            async () => [point.label, await awsLeftovers(aws, app.world, app.secrets, deploymentId, 'crash')],
            {
              timeout: 10_000,
            },
          )
          .toEqual([point.label, NOTHING]);
      } finally {
        await app.world.close();
      }
    }
  }, 1_800_000);
});
