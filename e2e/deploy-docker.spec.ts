/**
 * The deployment wizard drives a Docker deployment to the end in browser mode, on a REAL Docker
 * engine: the test run's own Debian dockerd (scripts/dockerd.mjs; `npm test` starts it for the e2e
 * stage and says where in MEGARAPTOR_TEST_DOCKER_HOST, a run of this file alone starts its own). That
 * engine has no bridge (`--bridge=none`, test-recipes.md): containers use the engine's host network
 * and are reached on 127.0.0.1 only, so the responder chooses "Engine's host network" and free ports.
 *
 * The SIMULATOR stands in for the Velociraptor binary as in docker-deploy.int.test.ts: the
 * `velociraptor` launcher (sim/launcher.ts) is "a binary I have" (unsigned: the review warns), and
 * node, its libraries and the built CLI go into the image as the wizard's extra files. Everything
 * else is the product's path: the image imported from a root filesystem, volumes, the config over
 * the Docker API, `user add` in a one-shot container, the server with its health check, the rapid
 * profile's timer container, the API verified over mTLS, the GUI login, the connection. The spec
 * then tests the added connection, queries through it (the clients page), destroys the deployment
 * from the Deployments page and asserts that the engine holds nothing labelled with it.
 *
 * By hand, MEGARAPTOR_REAL_VELOCIRAPTOR=/path/to/a static linux-amd64 velociraptor runs the same spec
 * with the real binary as "a binary I have" and no extra files (docs/real-server-conformance.md).
 *
 * Where no engine can run (not root, no dockerd) the spec skips with the reason; in CI it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { chromium, keyringSession } from '../test/real-parts';
import { DockerEngines } from '../electron/core/deploy/docker/engine';
import { LABEL } from '../electron/core/deploy/docker/spec';
import {
  dockerEngine,
  startTestEngine,
  type TestEngine,
} from '../electron/core/deploy/testing/docker-engine';
import { RAPID_DOCKER_STEPS } from '../electron/core/deploy/testing/expected-steps';
import { freePort } from '../electron/core/deploy/testing/free-port';
import { simRuntime, type SimRuntime } from '../electron/core/deploy/testing/sim-runtime';
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { DeploymentsPage } from './pages/DeploymentsPage';
import { ShellPage } from './pages/ShellPage';
import { CLI, startServe, type RunningServer } from './serve';
import { removeAllDeployments } from './ws-client';

const engine = dockerEngine();
const realBinary = process.env.MEGARAPTOR_REAL_VELOCIRAPTOR;
let dir: string | undefined;
let testEngine: TestEngine | undefined;
let engines: DockerEngines | undefined;
let docker: Docker;
let runtime: SimRuntime;
let app: RunningServer | undefined;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  if (!engine.ready || !keyringSession().ready) return;
  dir = mkdtempSync(join(tmpdir(), 'mr-e2e-docker-'));
  testEngine = await startTestEngine();
  engines = new DockerEngines();
  docker = await engines.get(testEngine.ref);
  // The launcher runs `node /opt/megaraptor/megaraptor.mjs sim …` inside the image: the built CLI.
  runtime = await simRuntime(join(dir, 'runtime'), CLI);
  if (testEngine.ref.kind !== 'socket') throw new Error('the test engine is a local socket');
  // The app finds the engine the way Docker's CLI does: DOCKER_HOST.
  app = await startServe({ env: { DOCKER_HOST: `unix://${testEngine.ref.path}` } });
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  await app?.stop();
  await engines?.close();
  await testEngine?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.beforeEach(() => {
  chromium().skipOrFail((skip, why) => test.skip(skip, why));
  engine.skipOrFail((skip, why) => test.skip(skip, why));
  keyringSession().skipOrFail((skip, why) => test.skip(skip, why));
});

/** Removes every deployment the app still lists (a failed test must not leave containers behind). */
test.afterEach(async () => {
  if (app) await removeAllDeployments(app);
});

/** Every container, volume and image on the engine labelled with deployment `id`. */
async function labelled(id: string): Promise<string[]> {
  const filters = { label: [`${LABEL.deployment}=${id}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  const images = await docker.listImages({ filters });
  return [
    ...containers.map((c) => `container ${c.Names[0]}`),
    ...volumes.map((v) => `volume ${v.Name}`),
    ...images.map((i) => `image ${i.RepoTags?.[0] ?? i.Id}`),
  ];
}

test('the wizard deploys to Docker to the end: plan, progress, result, connection, query, destroy', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const shell = new ShellPage(page, app!);
  await shell.open();
  await shell.goTo('deployments');
  const deployments = new DeploymentsPage(page);

  await deployments.start('docker', 'rapid', { autoDestroyHours: 6 });
  await deployments.name.fill('e2e-docker');
  const wizard = deployments.wizard;
  // The engine the wizard will use is the one DOCKER_HOST names.
  if (testEngine!.ref.kind === 'socket') await expect(wizard.getByText(testEngine!.ref.path)).toBeVisible();
  await deployments.useBinaryFile(realBinary ?? runtime.launcher);
  if (!realBinary)
    await wizard
      .getByTestId('settings-extra-files')
      .fill(
        runtime.extraFiles
          .map((f) => `${f.path}=${f.source}:${f.mode.toString(8).padStart(4, '0')}`)
          .join('\n'),
      );
  await wizard.getByTestId('settings-docker-network').getByText("Engine's host network").click();
  const ports = { frontend: await freePort(), gui: await freePort(), api: await freePort() };
  for (const [which, port] of Object.entries(ports))
    await wizard.getByTestId(`settings-${which}-port`).fill(String(port));
  await expect(deployments.problems).toHaveCount(0);
  await deployments.next.click();

  // Review: every Docker step with what it creates, the unsigned binary said, the self-destruction.
  await expect(deployments.review).toBeVisible({ timeout: 60_000 });
  for (const step of RAPID_DOCKER_STEPS) await expect(deployments.reviewStep(step)).toBeVisible();
  await expect(deployments.reviewStep('volumes')).toContainText('volume');
  await expect(deployments.reviewStep('container')).toContainText('container');
  await expect(deployments.reviewWarnings).toContainText('carries no release signature');
  await expect(deployments.review).toContainText('Destroys itself around');

  // Live progress, then the result.
  await deployments.deploy.click();
  await expect(deployments.progress).toBeVisible();
  await expect(deployments.progressLog).toContainText('[preflight]', { timeout: 60_000 });
  await expect(deployments.step('image')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(deployments.result).toBeVisible({ timeout: 240_000 });
  await expect(deployments.resultUrl('guiUrl')).toHaveText(`https://127.0.0.1:${ports.gui}/`);
  await expect(deployments.resultUrl('frontendUrl')).toHaveText(
    new RegExp(`^https://localhost:${ports.frontend}/$`),
  );
  await expect(deployments.resultAdminUser).toHaveText('admin');
  await expect(deployments.resultConnection).toContainText('e2e-docker');
  await deployments.close.click();

  const row = deployments.rowsNamed('e2e-docker');
  await expect(deployments.stateOf(row)).toHaveText('deployed');
  const id = (await row.getAttribute('data-testid'))!.replace('deployment-row-', '');
  const made = await labelled(id);
  expect(made.filter((m) => m.startsWith('container '))).toHaveLength(2); // the server and its timer
  expect(made.filter((m) => m.startsWith('volume '))).toHaveLength(2);
  expect(made.filter((m) => m.startsWith('image '))).toHaveLength(1);

  // The added connection: its test passes over mTLS as the registered identity, and it answers a query.
  const connections = new ConnectionsPage(page);
  await shell.goTo('connections');
  await connections.use('e2e-docker');
  await connections.connection('e2e-docker').getByTestId('run-connection-test').click();
  await connections.expectTestPassed('e2e-docker');
  const clients = new ClientsPage(page);
  await shell.goTo('clients');
  await expect(clients.table.or(clients.noClients)).toBeVisible({ timeout: 30_000 });

  // Destroy from the Deployments page: nothing labelled with the deployment is left, nor its connection.
  await shell.goTo('deployments');
  await deployments.menuAction(row, 'destroy');
  await expect(deployments.destroyModal).toBeVisible();
  await deployments.destroyModal.getByLabel(/Destroy without exporting/).check();
  await deployments.destroyRun.click();
  await expect(deployments.destroyModal).toHaveCount(0, { timeout: 120_000 });
  await expect(deployments.rowsNamed('e2e-docker')).toHaveCount(0);
  expect(await labelled(id)).toEqual([]);
  await shell.goTo('connections');
  await expect(connections.connection('e2e-docker')).toHaveCount(0);
});
