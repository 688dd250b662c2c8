/**
 * The import boundaries in eslint.config.js fail on a forbidden import and stay quiet on an allowed
 * one. ESLint's own API lints made-up file contents under real paths of the tree, with the project's
 * real config; only no-restricted-imports runs, and without type information, to stay fast.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './real-parts';

const eslint = new ESLint({
  cwd: REPO_ROOT,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { project: false, projectService: false } } },
});

/** The no-restricted-imports messages for `code` placed at `path` (repo-relative). */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}/${path}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries (eslint.config.js)', () => {
  it.each([
    [
      'a domain importing the simulator',
      'electron/core/investigation/service.ts',
      "import { startSimulator } from '../sim/index';",
      /Only the composition root/,
    ],
    [
      'a nested domain file importing the simulator',
      'electron/core/mcp/tools/vql.ts',
      "import type { RunningSimulator } from '../../sim/index';",
      /Only the composition root/,
    ],
    [
      'a deep import past another domain index',
      'electron/core/connections/manager.ts',
      "import { ConnectionRegistry } from '../velociraptor/registry';",
      /through its index\.ts/,
    ],
    [
      'a deep type import from a nested folder',
      'electron/core/velociraptor/operations/users.ts',
      "import type { ServerAdmin } from '../../pki/rotation/rotation-service';",
      /through its index\.ts/,
    ],
    [
      'the composition root importing past an index',
      'electron/core/services.ts',
      "import { probeKeychain } from './credentials/keychain-probe';",
      /through its index\.ts/,
    ],
    [
      'electron/main importing past an index',
      'electron/main/window.ts',
      "import { WindowStateStore } from '../core/app/window-state';",
      /through its index\.ts/,
    ],
    [
      'electron/main importing the simulator',
      'electron/main/index.ts',
      "import { startSimulator } from '../core/sim/index';",
      /Only the composition root/,
    ],
    [
      'a domain importing the composition root',
      'electron/core/mcp/app.ts',
      "import { createCoreServices } from '../services';",
      /composition root/,
    ],
    [
      'the renderer importing the core',
      'renderer/src/app/App.tsx',
      "import { resolveDataDir } from '../../../electron/core/app/index';",
      /contract client/,
    ],
    [
      'the renderer importing node',
      'renderer/src/pages/clients/hex.ts',
      "import { readFileSync } from 'node:fs';",
      /contract client/,
    ],
    [
      'shared importing the core',
      'shared/errors.ts',
      "import { messageOf } from '../electron/core/files/index';",
      /shared\//,
    ],
    [
      'a domain importing electron',
      'electron/core/app/window-state.ts',
      "import { app } from 'electron';",
      /Only electron\/main/,
    ],
  ])('fails on %s', async (_what, path, code, message) => {
    const errors = await boundaryErrors(path, code);
    expect(errors.length, `${path}: ${code}`).toBeGreaterThan(0);
    expect(
      errors.some((e) => message.test(e)),
      errors.join('\n'),
    ).toBe(true);
  });

  it.each([
    [
      'a domain importing another through its index',
      'electron/core/connections/manager.ts',
      "import { ConnectionRegistry } from '../velociraptor/index';\nimport { JsonFile } from '../files';",
    ],
    [
      'a domain importing inside itself',
      'electron/core/velociraptor/operations/users.ts',
      "import { parseJsonExact } from '../query/json';\nimport { build } from '../vql/builder';",
    ],
    [
      'the composition root starting the simulator',
      'electron/core/services.ts',
      "import { startSimulator } from './sim/index';",
    ],
    [
      'the CLI starting the simulator',
      'electron/cli/commands/sim.ts',
      "import { runAgent } from '../../core/sim/index';",
    ],
    [
      'the simulator importing inside itself',
      'electron/core/sim/server/users.ts',
      "import { World } from '../world';",
    ],
    [
      'a test reaching into another domain',
      'electron/core/investigation/service.test.ts',
      "import { connect } from '../sim/test-client';",
    ],
    [
      'electron/main importing electron',
      'electron/main/window.ts',
      "import { BrowserWindow } from 'electron';",
    ],
    [
      'the renderer importing shared',
      'renderer/src/app/App.tsx',
      "import { describeError } from '../../../shared/errors';",
    ],
  ])('allows %s', async (_what, path, code) => {
    expect(await boundaryErrors(path, code)).toEqual([]);
  });
});
