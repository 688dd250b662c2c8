/**
 * The house rule for tests on real parts (DEVELOPERS.md), in one place for vitest files and
 * Playwright specs: in CI (`CI=true` or `1`) a missing part is a failure that says what is missing
 * and how to get it; anywhere else the tests that need it are skipped and the reason is printed.
 *
 *   const keyring = keyringSession();
 *   it(`has ${keyring.name} (required in CI)`, () => keyring.check());
 *   it.runIf(keyring.run)('stores a secret', ...);          // vitest
 *   keyring.skipOrFail((skip, why) => test.skip(skip, why)); // Playwright, inside a test or fixture
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CHROMIUM_PATH } from '../e2e/chromium.mjs';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** The repository root (this file is test/real-parts.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, '..');

const warned = new Set<string>();

export class RealPart {
  /**
   * `missing`: what is missing and how to get it, or undefined when the part is here. `ci`: whether a
   * missing part fails (this run's CI flag; a test of this module passes its own).
   */
  constructor(
    readonly name: string,
    readonly missing: string | undefined,
    private readonly ci = IN_CI,
  ) {}

  get ready(): boolean {
    return this.missing === undefined;
  }

  /** Whether the tests that need it run: it is here, or this is CI, where they must fail loudly. */
  get run(): boolean {
    return this.ready || this.ci;
  }

  get skipReason(): string {
    return `${this.name} is missing: ${this.missing ?? 'nothing'}`;
  }

  /** The check as a test of its own: throws in CI when the part is missing; elsewhere warns once. */
  check(): void {
    if (this.ready) return;
    if (this.ci) throw new Error(`${this.skipReason} (required in CI)`);
    if (warned.has(this.skipReason)) return;
    warned.add(this.skipReason);
    console.warn(`skipped: ${this.skipReason}`);
  }

  /** For a runner whose skip is a call (Playwright's `test.skip(condition, reason)`). */
  skipOrFail(skip: (condition: boolean, reason: string) => void): void {
    if (this.ready) return;
    if (this.ci) throw new Error(`${this.skipReason} (required in CI)`);
    skip(true, this.skipReason);
  }
}

/** Several parts one suite needs at once (their reasons joined). */
export function allOf(name: string, parts: readonly RealPart[]): RealPart {
  const missing = parts.filter((p) => !p.ready).map((p) => p.skipReason);
  return new RealPart(name, missing.length ? missing.join('; ') : undefined);
}

/** The private D-Bus session with an unlocked gnome-keyring that `npm test` starts (scripts/test.mjs). */
export function keyringSession(): RealPart {
  return new RealPart(
    'a gnome-keyring session',
    process.env.MEGARAPTOR_TEST_KEYRING === '1'
      ? undefined
      : 'MEGARAPTOR_TEST_KEYRING is not 1 (run through `npm test -- integration` or `npm test -- e2e`)',
  );
}

/** Programs on PATH, with the way to install them. */
export function onPath(programs: readonly string[], install: string): RealPart {
  const missing = programs.filter(
    (p) => spawnSync('sh', ['-c', `command -v '${p}'`], { stdio: 'ignore' }).status !== 0,
  );
  return new RealPart(
    programs.join(', '),
    missing.length ? `${missing.join(', ')} not on PATH (${install})` : undefined,
  );
}

/** The built CLI bundle, with `subcommand` compiled in. */
export function builtCli(subcommand?: string): RealPart {
  const file = join(REPO_ROOT, 'out', 'cli', 'megaraptor.mjs');
  const ok =
    existsSync(file) &&
    (subcommand === undefined || readFileSync(file, 'utf8').includes(`megaraptor ${subcommand}`));
  return new RealPart(
    subcommand ? `the built CLI with \`${subcommand}\`` : 'the built CLI',
    ok ? undefined : `${file} (run: npm run build)`,
  );
}

/** Files a suite needs, with the command that installs them. */
export function files(name: string, paths: readonly string[], install: string): RealPart {
  return new RealPart(name, paths.every((p) => existsSync(p)) ? undefined : `run: ${install}`);
}

/** Debian's Chromium, the only browser the e2e suite drives. */
export function chromium(): RealPart {
  return new RealPart(
    `Chromium (${CHROMIUM_PATH})`,
    existsSync(CHROMIUM_PATH) ? undefined : 'not installed (run scripts/setup-test-env.sh)',
  );
}
