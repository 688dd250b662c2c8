/**
 * The deployment wizard's AWS target in browser mode, against moto (the AWS emulator of the
 * integration tests, run on loopback): settings → review with the cost hint, every cloud resource the
 * plan creates, and the target's pre-flight checks asked for before anything is made — the account
 * the credentials belong to (STS), the default subnet, the template accepted by CloudFormation, the
 * stack's name free.
 *
 * The app gets moto and the test credentials through AWS's own configuration, as a responder's
 * machine would give them: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY read by the
 * standard credential chain, AWS_EC2_METADATA_DISABLED, and no ~/.aws files — so nothing reaches
 * 169.254.169.254 or the internet. Deploying is not driven here: the VM's boot needs the stand-in
 * fleet of the integration tests (electron/core/deploy/aws/aws-deploy.int.test.ts deploys to the end)
 * and the release download a release mirror; this spec proves the wizard's side of the contract.
 * Screenshot: docs/screenshots/deploy-aws-review.png.
 */
import { keyringSession, chromium } from '../test/real-parts';
import { MOTO_CREDENTIALS, motoServer, startMoto, type Moto } from '../electron/core/deploy/testing/moto';
import { expect, test } from '@playwright/test';
import { DeploymentsPage } from './pages/DeploymentsPage';
import { saveScreenshot } from './pages/screenshots';
import { ShellPage } from './pages/ShellPage';
import { startServe, type RunningServer } from './serve';

const moto = motoServer();
let aws: Moto | undefined;
let server: RunningServer | undefined;

test.beforeAll(async () => {
  if (!moto.run || !chromium().run || !keyringSession().run) return;
  aws = await startMoto();
  server = await startServe({
    env: {
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/megaraptor-e2e/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/megaraptor-e2e/credentials',
      AWS_PROFILE: '',
    },
  });
});

test.afterAll(async () => {
  await server?.stop();
  await aws?.stop();
});

test.beforeEach(() => {
  for (const part of [chromium(), keyringSession(), moto])
    part.skipOrFail((skip, why) => test.skip(skip, why));
});

test('the wizard plans an AWS deployment: settings, cost, every cloud resource, the account before use', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const shell = new ShellPage(page, server!);
  await shell.open();
  await shell.goTo('deployments');
  const deployments = new DeploymentsPage(page);
  await deployments.start('aws', 'rapid');
  const w = deployments.wizard;

  await deployments.name.fill('e2e-aws');
  // A cloud target takes the verified release only, and asks who may reach which port.
  await expect(deployments.binarySource).toHaveCount(0);
  await expect(w.getByTestId('settings-aws-region')).toHaveValue('eu-west-1');
  await expect(deployments.problems).toContainText('Give your own address');
  await w.getByTestId('settings-responder-cidrs').fill('0.0.0.0/0');
  await w.getByTestId('settings-agent-cidrs').fill('198.51.100.0/24, 2001:db8:1::/48');
  await expect(deployments.problems).toContainText('must not be open to the whole internet');
  await w.getByTestId('settings-responder-cidrs').fill('203.0.113.7');
  await expect(deployments.problems).toHaveCount(0);
  await deployments.next.click();

  // The review: the core's plan for these settings.
  await expect(deployments.review).toBeVisible();
  const stack = w.getByTestId('review-step-stack');
  await expect(stack).toContainText('cloud-stack');
  await expect(stack).toContainText(/CloudFormation stack: .*IAM::Role.*SecurityGroup.*EIP.*Instance/);
  await expect(w.getByTestId('review-step-secret')).toContainText('cloud-secret');
  await expect(w.getByTestId('review-step-identity')).toContainText("the GUI administrator's password");
  await expect(w.getByTestId('review-step-connect')).toContainText('connection "e2e-aws"');
  await expect(deployments.reviewWarnings).toContainText('open to 203.0.113.7/32 only');
  const cost = w.getByTestId('review-cost');
  await expect(cost).toContainText('VM t3.medium');
  await expect(cost).toContainText('for 72 hours until it destroys itself');

  // The pre-flight checks, read-only: the account these credentials belong to, shown before use.
  const checks = w.getByTestId('review-checks');
  await expect(checks).toHaveAttribute('data-done', 'true', { timeout: 60_000 });
  await expect(w.getByTestId('review-check-account')).toHaveAttribute('data-status', 'ok');
  await expect(w.getByTestId('review-check-account')).toContainText(/Account \d{12} as arn:aws:/);
  await expect(w.getByTestId('review-check-account')).toContainText('region eu-west-1');
  for (const id of ['network', 'stack', 'template', 'connection'])
    await expect(w.getByTestId(`review-check-${id}`)).toHaveAttribute('data-status', 'ok');
  await saveScreenshot(page, 'deploy-aws-review');

  // Nothing was made: the app only read from "AWS".
  const asked = (await aws!.requests()).filter((r) => r.userAgent.includes('aws-sdk-js'));
  expect(asked.map((r) => r.action)).toEqual(
    expect.arrayContaining(['GetCallerIdentity', 'DescribeVpcs', 'DescribeSubnets', 'ValidateTemplate']),
  );
  expect(asked.filter((r) => /(^|\.)(Create|Run|Put|Delete)/.test(r.action))).toEqual([]);

  await deployments.close.click();
  await expect(w).toHaveCount(0);
});
