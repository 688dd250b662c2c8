import { describe, expect, it } from 'vitest';
import { allowListChoices } from './allow-list';

describe('allow-list choices', () => {
  const status = {
    gatedTools: ['collect_artifact', 'run_vql', 'destroy_deployment'],
    alwaysAskTools: ['destroy_deployment'],
  };

  it('offers the gated tools but not those that always ask', () => {
    expect(allowListChoices(status, [])).toEqual(['collect_artifact', 'run_vql']);
  });

  it('keeps what the saved policy lists, so it can be taken out', () => {
    expect(allowListChoices(status, ['run_vql', 'destroy_deployment'])).toEqual([
      'collect_artifact',
      'run_vql',
      'destroy_deployment',
    ]);
  });
});
