/**
 * The DFIR tools name real Velociraptor artifacts and their parameters; the simulator carries the
 * same definitions (names and parameter names from Velociraptor's own artifacts). A catalogue entry
 * the simulator lacks would make a tool fail only at run time on that OS, so every one is checked.
 */
import { describe, expect, it } from 'vitest';
import { findArtifact } from '../sim/dataset/artifacts';
import { catalogArtifacts, FILE_FINDER, HASH_HUNTER } from './dfir-catalog';

describe('DFIR catalogue against the simulator catalogue', () => {
  it('every artifact a DFIR tool collects exists', () => {
    const missing = catalogArtifacts().filter((name) => !findArtifact(name));
    expect(missing).toEqual([]);
  });

  it('the file-search artifacts take the parameters the tool sends', () => {
    for (const [os, f] of Object.entries(FILE_FINDER)) {
      const names = (findArtifact(f.artifact)?.parameters ?? []).map((p) => p.name);
      expect({ os, missing: [f.glob.name, f.yara, f.hash].filter((n) => !names.includes(n)) }).toEqual({
        os,
        missing: [],
      });
    }
    const hunter = (findArtifact(HASH_HUNTER)?.parameters ?? []).map((p) => p.name);
    for (const n of ['TargetGlob', 'MD5List', 'SHA1List', 'SHA256List']) expect(hunter).toContain(n);
  });
});
