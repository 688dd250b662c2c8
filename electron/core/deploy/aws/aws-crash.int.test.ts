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
import { AwsFleet } from '../testing/aws-fleet';
import { AWS_TEST_REGION, awsLeftovers, awsTestSettings, NOTHING } from '../testing/aws-world';
import { bundleScript, type BundledScript } from '../testing/bundle';
import { crashRound, killAtEachStep } from '../testing/cloud-crash';
import { freePort } from '../testing/docker-world';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { MOTO_CREDENTIALS, motoServer, startMoto, type Moto } from '../testing/moto';
import { startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { signedRelease, SSH_TEST_TAG, testServerBinary } from '../testing/ssh-world';

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
    child = await bundleScript(join(__dirname, '..', 'testing', 'cloud-crash-child.ts'));
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

  it('lists the interrupted deployment and cleans it up to nothing, at every kill point', async () => {
    await killAtEachStep({
      child,
      round: async (name) => ({
        ...crashRound(root, name, { url: releases.url, caPem: releases.caPem, key: signer.key }),
        target: 'aws',
        motoEndpoint: fleet.endpoint,
        settings: awsTestSettings({
          frontend: await freePort(),
          api: await freePort(),
          gui: await freePort(),
        }),
      }),
      leftovers: (world, secrets, id) => awsLeftovers(aws, world, secrets, id, 'crash'),
      nothing: NOTHING,
      resourceWrites: /^resource:cloud-(stack|secret):.*:(intended|created)$/,
      mustKillAt: [
        'step:account:running',
        'step:stack:running',
        expect.stringMatching(/^resource:cloud-stack:.*:intended$/),
        expect.stringMatching(/^resource:cloud-stack:.*:created$/),
        expect.stringMatching(/^resource:cloud-secret:.*:intended$/),
        'step:boot:running',
        'step:seal:running',
        'step:connect:running',
      ],
    });
  }, 1_800_000);
});
