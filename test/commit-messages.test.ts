import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitsSinceRule, problems, type Commit } from './commit-messages';
import { RealPart, REPO_ROOT } from './real-parts';

const history = new RealPart(
  'the git history',
  existsSync(join(REPO_ROOT, '.git')) ? undefined : 'no .git here (run the tests in a clone)',
);

const commit = (subject: string, body = 'Why it was done.', merge = false): Commit => ({
  hash: 'a'.repeat(40),
  subject,
  body,
  merge,
});

describe('commit messages', () => {
  it('a subject over 72 characters, or a change without a body, is reported', () => {
    expect(problems([commit('x'.repeat(72)), commit('é'.repeat(72))])).toEqual([]);
    expect(problems([commit('x'.repeat(73))])).toEqual([
      `aaaaaaaaaa: the subject has 73 characters (at most 72): ${'x'.repeat(73)}`,
    ]);
    expect(problems([commit('Fix the grid', '')])).toEqual(['aaaaaaaaaa: no body says why: Fix the grid']);
    expect(problems([commit('Merge main into arch', '', true)])).toEqual([]);
  });

  it(`has ${history.name} (required in CI)`, () => history.check());

  it.runIf(history.run)('every commit since the rule began follows it', () => {
    const commits = commitsSinceRule(REPO_ROOT);
    expect(commits.length).toBeGreaterThan(0);
    expect(problems(commits)).toEqual([]);
  });
});
