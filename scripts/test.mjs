#!/usr/bin/env node
// `npm test`: every stage a newcomer and CI run, in order, with the time of each. It starts what the
// stages need: for the integration tests a private D-Bus session with an unlocked gnome-keyring and a
// Docker engine of the run's own (scripts/dockerd.mjs; MEGARAPTOR_TEST_DOCKER_HOST; also for e2e), stopped after;
// sshd is started by the test files that use it. Benchmarks are not part of it (`npm run bench`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerdUnavailable, startDockerd, stopDockerd } from './dockerd.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CI = process.env.CI === 'true' || process.env.CI === '1';
const only = process.argv.slice(2); // e.g. `npm test -- unit e2e`
const bin = (name) => join(root, 'node_modules', '.bin', name);
const reports = join(root, 'test-results');
mkdirSync(reports, { recursive: true });

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', (e) => {
      console.error(`test: cannot start ${cmd}: ${e.message}`);
      resolve(127);
    });
  });
}

function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Wraps a command in a private session bus with an unlocked Secret Service (test-recipes.md). */
function keyringSession(cmd, args) {
  const home = mkdtempSync(join(tmpdir(), 'megaraptor-keyring-'));
  for (const d of ['data', 'run', 'config', 'cache']) mkdirSync(join(home, d), { recursive: true });
  chmodSync(join(home, 'run'), 0o700);
  const env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    MEGARAPTOR_TEST_KEYRING: '1',
  };
  const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const script = `echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec ${quoted}`;
  return {
    cmd: 'dbus-run-session',
    args: ['--', 'sh', '-c', script],
    env,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

/**
 * Runs `fn(env)` with a Docker engine of this run's own for the deployment tests (test-recipes.md),
 * MEGARAPTOR_TEST_DOCKER_HOST in `env` saying where it is or why there is none; stopped after.
 * In CI a missing engine fails the stage.
 */
async function withDockerEngine(fn) {
  let dockerd = null;
  let dockerHost;
  const noDocker = dockerdUnavailable();
  if (noDocker) {
    if (CI) {
      console.error(`test: ${noDocker}: a Docker engine is required in CI`);
      return 1;
    }
    console.warn(`test: ${noDocker}; the Docker deployment tests will be skipped`);
    dockerHost = `unavailable:${noDocker}`;
  } else {
    try {
      dockerd = await startDockerd();
      dockerHost = dockerd.host;
    } catch (e) {
      if (CI) {
        console.error(`test: dockerd did not start: ${e.message}`);
        return 1;
      }
      console.warn(`test: dockerd did not start (${e.message}); the Docker deployment tests will be skipped`);
      dockerHost = `unavailable:dockerd did not start`;
    }
  }
  try {
    return await fn((env) => ({ ...env, MEGARAPTOR_TEST_DOCKER_HOST: dockerHost }));
  } finally {
    if (dockerd) await stopDockerd(dockerd);
  }
}

function vitestCounts(file) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    return {
      passed: r.numPassedTests ?? 0,
      failed: r.numFailedTests ?? 0,
      skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
    };
  } catch {
    return undefined;
  }
}

function playwrightCounts(file) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const s = r.stats ?? {};
    return { passed: (s.expected ?? 0) + (s.flaky ?? 0), failed: s.unexpected ?? 0, skipped: s.skipped ?? 0 };
  } catch {
    return undefined;
  }
}

const known = [
  'generate',
  'format',
  'lint',
  'typecheck',
  'build',
  'unit',
  'integration',
  'e2e',
  'electron-security',
];
for (const name of only) {
  if (!known.includes(name)) {
    console.error(`test: unknown stage "${name}"; stages: ${known.join(', ')}`);
    process.exit(2);
  }
}

const stages = [
  { name: 'generate', run: () => run(process.execPath, ['scripts/gen-proto.mjs']) },
  // One repo-wide style: a file Prettier would change fails here, with its name (`npm run format` fixes it).
  { name: 'format', run: () => run(bin('prettier'), ['--check', '--log-level', 'warn', '.']) },
  { name: 'lint', run: () => run(bin('eslint'), ['.', '--max-warnings', '0']) },
  { name: 'typecheck', run: () => run('npm', ['run', '-s', 'typecheck']) },
  { name: 'build', run: () => run(process.execPath, ['scripts/build.mjs', '--skip-proto']) },
  {
    name: 'unit',
    run: () =>
      run(bin('vitest'), [
        'run',
        '--project',
        'unit',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${join(reports, 'unit.json')}`,
      ]),
    counts: () => vitestCounts(join(reports, 'unit.json')),
  },
  {
    name: 'integration',
    run: async () => {
      const args = [
        'run',
        '--project',
        'integration',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${join(reports, 'integration.json')}`,
        '--passWithNoTests',
      ];
      return withDockerEngine(async (withDocker) => {
        if (!have('dbus-run-session') || !have('gnome-keyring-daemon')) {
          const msg = 'dbus-run-session / gnome-keyring-daemon not installed (run scripts/setup-test-env.sh)';
          if (CI) {
            console.error(`test: ${msg}: required in CI`);
            return 1;
          }
          console.warn(`test: ${msg}; keychain tests will report the keychain as unavailable`);
          return await run(bin('vitest'), args, { env: withDocker(process.env) });
        }
        const s = keyringSession(bin('vitest'), args);
        try {
          return await run(s.cmd, s.args, { env: withDocker(s.env) });
        } finally {
          s.cleanup();
        }
      });
    },
    counts: () => vitestCounts(join(reports, 'integration.json')),
  },
  {
    name: 'e2e',
    run: async () => {
      const chromium = process.env.MEGARAPTOR_CHROMIUM ?? '/usr/bin/chromium';
      if (!existsSync(chromium)) {
        const msg = `${chromium} not installed (run scripts/setup-test-env.sh)`;
        if (CI) {
          console.error(`test: ${msg}: required in CI`);
          return 1;
        }
        console.warn(`test: ${msg}; the browser specs will be skipped`);
      }
      if (!existsSync(join(root, 'out', 'cli', 'megaraptor.mjs'))) {
        console.error(
          'test: out/cli/megaraptor.mjs is missing: run the build stage first (`npm test -- build e2e`)',
        );
        return 1;
      }
      const json = { PLAYWRIGHT_JSON_OUTPUT_NAME: join(reports, 'e2e.json') };
      // The wizard's Docker deployment (e2e/deploy-docker.spec.ts) runs on the run's own engine.
      return withDockerEngine(async (withDocker) => {
        // Inside the keyring session the UI reports the real Secret Service (and the screenshot shows it).
        if (!have('dbus-run-session') || !have('gnome-keyring-daemon'))
          return run(bin('playwright'), ['test'], { env: withDocker({ ...process.env, ...json }) });
        const s = keyringSession(bin('playwright'), ['test']);
        try {
          return await run(s.cmd, s.args, { env: withDocker({ ...s.env, ...json }) });
        } finally {
          s.cleanup();
        }
      });
    },
    counts: () => playwrightCounts(join(reports, 'e2e.json')),
  },
  { name: 'electron-security', run: () => run(process.execPath, ['scripts/electron-security-scan.mjs']) },
];

// Reports of an earlier run must never be counted as this run's.
for (const f of ['unit.json', 'integration.json', 'e2e.json']) rmSync(join(reports, f), { force: true });

const results = [];
for (const stage of stages) {
  if (only.length && !only.includes(stage.name)) continue;
  console.log(`\n=== ${stage.name} ===`);
  const t0 = Date.now();
  const code = await stage.run();
  const seconds = (Date.now() - t0) / 1000;
  const counts = stage.counts?.();
  results.push({ name: stage.name, code, seconds, counts });
  console.log(`=== ${stage.name}: ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${seconds.toFixed(1)} s`);
}

console.log('\nStage            result   time      tests');
let passed = 0,
  failed = 0,
  skipped = 0;
for (const r of results) {
  const c = r.counts;
  if (c) {
    passed += c.passed;
    failed += c.failed;
    skipped += c.skipped;
  }
  console.log(
    `${r.name.padEnd(16)} ${(r.code === 0 ? 'ok' : 'FAILED').padEnd(8)} ${(r.seconds.toFixed(1) + ' s').padEnd(9)} ${c ? `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped` : ''}`,
  );
}
const failedStages = results.filter((r) => r.code !== 0).map((r) => r.name);
if (failedStages.length && failed === 0) failed = failedStages.length; // a stage failure counts even without test counts
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failedStages.length) {
  console.error(`test: failed stages: ${failedStages.join(', ')}`);
  process.exit(1);
}
