import { defineConfig } from 'vitest/config';

// Two projects: `unit` (fast, in-process, loopback only) and `integration` (real daemons: the
// Secret Service session, sshd, dockerd, built CLI). `npm test` runs the integration project inside
// a private D-Bus session with an unlocked gnome-keyring (scripts/test.mjs).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{electron,shared,renderer,scripts,build,test}/**/*.test.{ts,tsx}'],
          exclude: ['**/*.int.test.{ts,tsx}', 'node_modules/**', 'out/**'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{electron,shared,renderer,scripts,build}/**/*.int.test.{ts,tsx}'],
          exclude: ['node_modules/**', 'out/**'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Daemons (sshd, dockerd) are shared machine resources: keep files sequential.
          fileParallelism: false,
        },
      },
    ],
  },
});
