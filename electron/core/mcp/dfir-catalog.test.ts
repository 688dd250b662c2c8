/**
 * The DFIR tools name real Velociraptor artifacts; the simulator carries the same definitions per
 * release it plays (names and parameter names from Velociraptor's own artifacts). A catalogue entry
 * a release lacks would leave a topic without its artifact on that OS, so every one is checked on
 * both catalogues. (Parameter forms are chosen per server: velociraptor/operations/file-search.)
 */
import { describe, expect, it } from 'vitest';
import { findArtifact } from '../sim/dataset/artifacts';
import { catalogArtifacts } from './dfir-catalog';

describe('DFIR catalogue against the simulator catalogues', () => {
  it.each(['0.75', '0.77'] as const)('every artifact a DFIR tool collects exists on %s', (line) => {
    const missing = catalogArtifacts().filter((name) => !findArtifact(name, line));
    expect(missing).toEqual([]);
  });
});
