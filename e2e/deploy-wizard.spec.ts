/**
 * The deployment wizard end to end in browser mode, on the local lab target: target → profile →
 * settings → review (the core's plan, every resource) → live progress → result, then the deployment
 * on the Deployments page with its countdown, and destroyed from there; the result's next step opens
 * the Agents wizard for the new server.
 *
 * The lab runs the SIMULATOR as a drop-in for the Velociraptor binary (electron/core/sim/launcher.ts:
 * an executable `velociraptor` running `megaraptor sim`), given to the wizard as "a binary I have" —
 * unsigned, so the review must warn. Everything else is the product's own path: the real keychain
 * (the e2e stage's gnome-keyring session), `user add` before the first start, `frontend` and `client`
 * as processes, the API verified over mTLS as the registered identity, the GUI login, the connection.
 * The Docker target is driven the same way, on the run's own dockerd, in deploy-docker.spec.ts.
 *
 * Every test removes what it deployed (afterEach, through the core), so it runs alone and in any order.
 * Screenshots: docs/screenshots/deploy-wizard.png (review), deploy-result.png,
 * deploy-timeline.png, deployments.png (the list).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyringSession } from '../test/real-parts';
import { velociraptorLauncher } from '../electron/core/sim/launcher';
import { expect, test } from './fixtures';
import { AgentsPage } from './pages/AgentsPage';
import { CredentialsPage } from './pages/CredentialsPage';
import { DeploymentsPage } from './pages/DeploymentsPage';
import { saveScreenshot } from './pages/screenshots';
import { CLI } from './serve';
import { removeAllDeployments } from './ws-client';

let dir: string;
let launcher: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-e2e-deploy-'));
  // Named like the release asset of this machine, as a responder's downloaded binary would be.
  launcher = join(dir, 'velociraptor');
  writeFileSync(launcher, velociraptorLauncher(CLI, process.execPath));
  chmodSync(launcher, 0o755);
});

test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.beforeEach(() => keyringSession().skipOrFail((skip, why) => test.skip(skip, why)));
test.afterEach(async ({ server }) => removeAllDeployments(server));

test('the wizard deploys a local lab to the end: plan, live progress, result, countdown, destroy', async ({
  shell,
  page,
}) => {
  test.setTimeout(240_000);
  await shell.open();
  await shell.goTo('deployments');
  const deployments = new DeploymentsPage(page);

  // Rapid, with its 72 h self-destruction shortened to 12 h (a profile override the core checks).
  await deployments.start('lab', 'rapid', { autoDestroyHours: 12 });
  await deployments.name.fill('e2e-lab');
  await deployments.useBinaryFile(launcher);
  await expect(deployments.problems).toHaveCount(0);
  await deployments.next.click();

  // Review: the core's plan, every step with what it creates, and the unsigned binary said first.
  await expect(deployments.review).toBeVisible({ timeout: 30_000 });
  for (const step of ['binary', 'identity', 'files', 'register', 'server', 'client', 'verify-api', 'connect'])
    await expect(deployments.reviewStep(step)).toBeVisible();
  await expect(deployments.reviewStep('identity')).toContainText('admin-password');
  await expect(deployments.reviewWarnings).toContainText('carries no release signature');
  await expect(deployments.review).toContainText('Destroys itself around');
  await expect(deployments.review).toContainText('overridden: autoDestroyHours');
  await saveScreenshot(page, 'deploy-wizard');

  // Live progress: steps turn done one by one, the log streams.
  await deployments.deploy.click();
  await expect(deployments.progress).toBeVisible();
  await expect(deployments.step('preflight')).toHaveAttribute('data-state', /running|done/);
  await expect(deployments.progressLog).toContainText('[preflight]', { timeout: 30_000 });
  await expect(deployments.step('server')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });

  // Result: URLs, the administrator, the connection, and the password behind a confirmed reveal.
  await expect(deployments.result).toBeVisible({ timeout: 120_000 });
  await expect(deployments.resultUrl('guiUrl')).toHaveText(/^https:\/\/127\.0\.0\.1:\d+\/$/);
  await expect(deployments.resultUrl('frontendUrl')).toHaveText(/^https:\/\/.+:\d+\/$/);
  await expect(deployments.resultAdminUser).toHaveText('admin');
  await expect(deployments.resultConnection).toContainText('e2e-lab');
  await saveScreenshot(page, 'deploy-result');
  // How it went, kept beside the result: every step done, and how long each took on one time axis.
  await deployments.resultRun.click();
  await expect(deployments.step('connect')).toHaveAttribute('data-state', 'done');
  await deployments.progress.getByText('Timeline').click();
  await expect(deployments.timeline).toContainText('Start the server');
  await deployments.timeline.scrollIntoViewIfNeeded();
  await saveScreenshot(page, 'deploy-timeline');
  const creds = new CredentialsPage(page);
  await deployments.resultReveal.click();
  await expect(creds.revealModal).toBeVisible();
  await creds.revealConfirm.click();
  await expect(creds.revealValue).toHaveAttribute('data-shown', 'false');
  await creds.revealToggle.click();
  await expect(creds.revealValue).toHaveValue(/^[A-Za-z0-9]{24}$/);
  await page.keyboard.press('Escape');
  await expect(creds.revealModal).toHaveCount(0);

  // Next step, agents: the Agents wizard opens with the new server chosen as the one they enrol with.
  await deployments.resultGoAgents.click();
  await expect(shell.area('agents')).toBeVisible();
  const agents = new AgentsPage(page);
  await expect(agents.wizard).toBeVisible();
  await page.getByTestId('agents-paste').fill('127.0.0.1:22');
  await agents.next.click();
  await expect(page.getByTestId('agents-server')).toHaveValue('e2e-lab');
  await page.keyboard.press('Escape');
  await expect(agents.wizard).toHaveCount(0);
  await shell.goTo('deployments');

  // The list: deployed, rapid, counting down from 12 h.
  const row = deployments.rowsNamed('e2e-lab');
  await expect(row).toHaveCount(1);
  await expect(deployments.stateOf(row)).toHaveText('deployed');
  await expect(deployments.countdownOf(row)).toHaveText(/^1[01]:\d\d:\d\d$/);
  await saveScreenshot(page, 'deployments');

  // Its details: healthy as the target sees it now, every certificate with its expiry, every resource.
  const detail = await deployments.openDetail(row);
  await expect(detail.getByTestId('deployment-health')).toHaveAttribute('data-ok', 'true', {
    timeout: 30_000,
  });
  await expect(detail.getByTestId('deployment-certificates').locator('tr')).toHaveCount(4);
  await expect(detail.getByTestId('deployment-resources')).toContainText('process');
  await page.keyboard.press('Escape');
  await expect(deployments.detail).toHaveCount(0);

  // Destroy from the page, skipping the evidence export explicitly: the core removes what the
  // journal lists and forgets the deployment.
  await deployments.menuAction(row, 'destroy');
  await expect(deployments.destroyModal).toBeVisible();
  await deployments.destroyModal.getByLabel(/Destroy without exporting/).check();
  await deployments.destroyRun.click();
  await expect(deployments.destroyModal).toHaveCount(0, { timeout: 60_000 });
  await expect(deployments.rowsNamed('e2e-lab')).toHaveCount(0);
});

test("a plan the core refuses shows the core's own message, and nothing is deployed", async ({
  shell,
  page,
}) => {
  await shell.open();
  await shell.goTo('deployments');
  const deployments = new DeploymentsPage(page);
  await deployments.start('lab', 'standard');
  await deployments.name.fill('e2e-missing-binary');
  const missing = join(dir, 'no-such-velociraptor');
  await deployments.useBinaryFile(missing);
  await deployments.next.click();
  await expect(deployments.wizardError).toHaveText(`There is no file at ${missing}. (NOT_FOUND)`);
  await expect(deployments.review).toHaveCount(0);
  // The enterprise profile does not allow a lab: the wizard says so before the plan.
  await deployments.back.click();
  await deployments.profile('enterprise').click({ force: true });
  await expect(deployments.profile('enterprise')).toHaveAttribute('aria-disabled', 'true');
  await expect(deployments.profile('enterprise')).toHaveAttribute('data-selected', 'false');
});

/** A journal as a deploying process leaves it when it dies in the middle (state `applying`, a dead owner). */
function interruptedJournal(id: string, file: string): object {
  const at = new Date().toISOString();
  return {
    format: 'megaraptor-deployment-journal',
    version: 1,
    id,
    name: 'left-behind',
    target: 'lab',
    profile: { name: 'rapid' },
    settings: {},
    plannedSteps: [],
    warnings: [],
    state: 'applying',
    // A pid above Linux's pid_max: no process has it, so the journal's owner is gone.
    owner: { pid: 2 ** 22 + 7, token: 't', since: at, heartbeatAt: at },
    createdAt: at,
    updatedAt: at,
    autoDestroyAt: null,
    steps: [{ id: 'files', phase: 'apply', state: 'running', startedAt: at }],
    resources: [
      {
        kind: 'local-file',
        id: file,
        scope: 'this machine',
        title: 'server config',
        state: 'created',
        step: 'files',
        at,
        facts: { type: 'file' },
      },
    ],
    outputs: {},
  };
}

test('a deployment a dead process left unfinished is announced on every page, offered resume and clean-up, which removes what it made', async ({
  shell,
  page,
  server,
}) => {
  const id = 'e2e-left-01';
  const labDir = join(server.dataDir, 'labs', id);
  mkdirSync(labDir, { recursive: true });
  const file = join(labDir, 'server.config.yaml');
  writeFileSync(file, 'made before the crash');
  mkdirSync(join(server.dataDir, 'deployments'), { recursive: true });
  writeFileSync(
    join(server.dataDir, 'deployments', `${id}.json`),
    JSON.stringify(interruptedJournal(id, file)),
  );

  // At start, on whatever page the responder is: the badge on Deployments and the shell's alert,
  // which leads to the page that offers resume and clean-up.
  await shell.open();
  await shell.goTo('clients');
  await expect(shell.deploymentsBadge).toHaveText('1');
  await expect(shell.deploymentNotices).toContainText('left unfinished when the app stopped');
  await expect(shell.deploymentNotices).toContainText('left-behind');
  await shell.deploymentNoticesOpen.click();
  await expect(shell.area('deployments')).toBeVisible();
  await expect(shell.deploymentNotices).toHaveCount(0);
  const deployments = new DeploymentsPage(page);
  await expect(deployments.interrupted).toContainText('left-behind');
  const row = deployments.rowsNamed('left-behind');
  await expect(row).toHaveAttribute('data-interrupted', 'true');
  await expect(deployments.stateOf(row)).toHaveText('interrupted (applying)');
  await expect(deployments.action(row, 'resume')).toBeVisible();

  await deployments.action(row, 'cleanup').click();
  await expect(deployments.confirmModal).toContainText('1 resource (');
  await deployments.confirmRun.click();
  await expect(deployments.confirmModal).toHaveCount(0, { timeout: 30_000 });
  await expect(deployments.rowsNamed('left-behind')).toHaveCount(0);
  await expect(deployments.interrupted).toHaveCount(0);
  await expect(shell.deploymentsBadge).toHaveCount(0);
  expect(existsSync(file)).toBe(false);
});
