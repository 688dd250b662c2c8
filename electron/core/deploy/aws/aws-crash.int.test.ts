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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsLeftovers, awsTestSettings, NOTHING } from '../testing/aws-world';
import type { BundledScript } from '../testing/bundle';
import { startAwsBed, withCrashChild, type AwsBed } from '../testing/cloud-bed';
import { crashRound, killAtEachStep } from '../testing/cloud-crash';
import { freePort } from '../testing/docker-world';
import { motoServer } from '../testing/moto';

const part = motoServer();

it(`has ${part.name} (required in CI)`, () => part.check());

describe.runIf(part.run)('AWS deployment killed at each step', () => {
  let bed: AwsBed & { child: BundledScript };

  beforeAll(async () => {
    bed = await withCrashChild(startAwsBed('megaraptor-aws-crash-'));
  }, 240_000);

  afterAll(async () => {
    await bed?.close();
  }, 120_000);

  it('lists the interrupted deployment and cleans it up to nothing, at every kill point', async () => {
    await killAtEachStep({
      child: bed.child,
      round: async (name) => ({
        ...crashRound(bed.root, name, bed.release),
        target: 'aws',
        motoEndpoint: bed.fleet.endpoint,
        settings: awsTestSettings({
          frontend: await freePort(),
          api: await freePort(),
          gui: await freePort(),
        }),
      }),
      leftovers: (world, secrets, id) => awsLeftovers(bed.aws, world, secrets, id, 'crash'),
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
