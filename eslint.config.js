import { readdirSync, statSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/*
 * Import boundaries: what docs/architecture.md draws, checked on every lint. Each folder of
 * electron/core is a domain; another domain reaches it only through its index.ts. Only the
 * composition root (electron/core/services.ts) and the CLI import sim/, the test double. The
 * renderer never imports electron/ or proto/; shared/ never imports either side. Tests and
 * testing/ helpers may reach inside (they set up doubles), so these rules skip them.
 * The rule is ESLint's own no-restricted-imports; patterns are generated per domain and per folder
 * depth because a relative import says where it points only together with where it stands.
 */
const CORE = 'electron/core';
const DOMAINS = readdirSync(CORE)
  .filter((d) => statSync(`${CORE}/${d}`).isDirectory())
  .sort();
const MAX_DEPTH = 6;
const TESTS = ['**/*.test.ts', '**/*.test.tsx', '**/testing/**'];
const up = (n) => `(\\.\\./){${n}}`;
const NO_ELECTRON = { name: 'electron', message: 'Only electron/main and electron/preload import Electron.' };
const MSG = {
  deep: 'Import another domain through its index.ts (`<domain>/index`): what it exports there is its public API.',
  sim: 'Only the composition root (electron/core/services.ts) and the CLI import sim/, the simulator; take what you need from sim as an injected dependency.',
  root: 'A domain does not import the composition root (electron/core/services.ts); it is given what it needs.',
  renderer:
    'The renderer reaches the core only through the contract client (renderer/src/api): never electron/, proto/ or node:.',
  shared: 'shared/ is imported by both the core and the renderer: it never imports electron/ or renderer/.',
  preload: 'The preload script exposes the contract only: it never imports electron/core.',
};

/** A relative import from `prefix` (the way up to electron/core/) into a domain other than `own`, past its index. */
const deepInto = (prefix, own) => ({
  regex: `^${prefix}${own ? `(?!${own}/)` : ''}[A-Za-z0-9_-]+/(?!index$).+`,
  message: MSG.deep,
});
const simFrom = (prefix) => ({ regex: `^${prefix}sim(/|$)`, message: MSG.sim });

function restrict(patterns, { electron = false } = {}) {
  return { 'no-restricted-imports': ['error', { paths: electron ? [] : [NO_ELECTRON], patterns }] };
}

/** One block per domain and depth: electron/core/<domain>/(*\/){depth-1}*.ts. */
const domainBlocks = DOMAINS.flatMap((domain) =>
  Array.from({ length: MAX_DEPTH }, (_, i) => {
    const depth = i + 1;
    const prefix = up(depth);
    return {
      files: [`${CORE}/${domain}/${'*/'.repeat(depth - 1)}*.ts`],
      ignores: TESTS,
      rules: restrict([
        deepInto(prefix, domain),
        ...(domain === 'sim' ? [] : [simFrom(prefix)]),
        { regex: `^${prefix}services$`, message: MSG.root },
      ]),
    };
  }),
);

/** electron/main and the CLI reach core through `(../){depth}core/`; the CLI may start the simulator. */
const shellBlocks = ['main', 'cli'].flatMap((shell) =>
  Array.from({ length: MAX_DEPTH }, (_, i) => {
    const depth = i + 1;
    const prefix = `${up(depth)}core/`;
    return {
      files: [`electron/${shell}/${'*/'.repeat(depth - 1)}*.ts`],
      ignores: TESTS,
      rules: restrict([deepInto(prefix), ...(shell === 'cli' ? [] : [simFrom(prefix)])], {
        electron: shell === 'main',
      }),
    };
  }),
);

export const boundaryBlocks = [
  ...domainBlocks,
  ...shellBlocks,
  // The composition root itself may start the simulator, but still goes through each index.
  { files: [`${CORE}/*.ts`], ignores: TESTS, rules: restrict([deepInto('\\./')]) },
  {
    files: ['electron/preload/**/*.ts'],
    rules: restrict([{ regex: '^(\\.\\./)+core(/|$)', message: MSG.preload }], { electron: true }),
  },
  {
    files: ['shared/**/*.ts'],
    rules: restrict([{ regex: '^(\\.\\./)+(electron|renderer)(/|$)', message: MSG.shared }]),
  },
];

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      '.venv-test/**',
      'node_modules/**',
      'proto/gen/**',
      'tools/**',
      'test-results/**',
      'playwright-report/**',
      '**/*.mjs',
      '**/*.cjs',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json', './tsconfig.e2e.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [NO_ELECTRON],
          patterns: [
            { group: ['node:*'], message: MSG.renderer },
            { regex: '^(\\.\\./)+(electron|proto)(/|$)', message: MSG.renderer },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/core/**/*.ts', 'electron/cli/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [NO_ELECTRON] }],
    },
  },
  ...boundaryBlocks,
  {
    files: ['**/*.test.ts', '**/*.test.tsx', 'e2e/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
