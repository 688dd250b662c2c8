/**
 * Helpers that exist once stay once (DEVELOPERS.md, "one way to do each thing"): each pattern here
 * was hand-copied across the tree before its helper existed. A new copy fails with where it is and
 * what to use instead.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './real-parts';

const sources = execFileSync('git', ['ls-files', 'electron', 'renderer', 'shared', 'e2e', 'test', 'build'], {
  cwd: REPO_ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => /\.(ts|tsx)$/.test(f) && f !== 'test/one-way.test.ts');

function copies(pattern: RegExp, except: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of sources) {
    if (except.includes(f)) continue;
    readFileSync(join(REPO_ROOT, f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (pattern.test(line)) out.push(`${f}:${i + 1}: ${line.trim()}`);
      });
  }
  return out;
}

describe('one way to do each thing', () => {
  it('the message of a caught value: messageOf / asError / describeError (shared/errors.ts)', () => {
    expect(
      copies(/(\w+) instanceof Error \? \1(\.message)? : (String\(|new Error\()/, ['shared/errors.ts']),
    ).toEqual([]);
  });

  it('the CI flag: IN_CI and RealPart (test/real-parts.ts)', () => {
    expect(copies(/process\.env\.CI\b/, ['test/real-parts.ts'])).toEqual([]);
  });

  it('an in-memory SecretStore: MemorySecretStore (credentials/memory-store.ts)', () => {
    expect(
      copies(/implements (Enumerable)?SecretStore\b/, [
        'electron/core/credentials/memory-store.ts',
        'electron/core/credentials/keychain-store.ts',
        'electron/core/credentials/file-vault.ts',
        'electron/core/credentials/keychain-or-memory.ts',
      ]),
    ).toEqual([]);
  });

  it('the AppError a promise rejects with, in a test: appErrorOf (test/app-error-of.ts)', () => {
    expect(copies(/throw new Error\(['`]expected an? (failure|rejection)/, ['test/app-error-of.ts'])).toEqual(
      [],
    );
  });

  it('a JSON file replaced by a temp file and a rename: JsonFile (files/json-file.ts)', () => {
    expect(
      copies(/`\$\{[\w.]+\}\.(\$\{[^}]+\}\.)*tmp`/, [
        'electron/core/files/atomic-file.ts',
        // Not a document rewritten: a file created once, exclusively, by linking a temp file in.
        'electron/core/credentials/file-lock.ts',
        'electron/core/credentials/keychain-namespace.ts',
      ]),
    ).toEqual([]);
  });
});
