import { describe, expect, it } from 'vitest';
import { costHint, describeCost } from './cost';

describe('costHint', () => {
  it('prices a rapid AWS server until it destroys itself', () => {
    const c = costHint({
      instances: [{ type: 't3.medium', count: 1, diskGiB: 30 }],
      disk: 'aws-gp3',
      publicAddresses: 1,
      hours: 72,
    });
    // 0.0416 (VM) + 30 × 0.08 / 730 (disk) + 0.005 (address)
    expect(c.items).toEqual([
      { what: 'VM t3.medium', count: 1, hourly: 0.0416 },
      { what: '30 GiB encrypted disk', count: 1, hourly: 0.0033 },
      { what: 'public IPv4 address', count: 1, hourly: 0.005 },
    ]);
    expect(c.hourly).toBe(0.0499);
    expect(c.total).toBe(3.59);
    expect(describeCost(c)).toMatch(
      /^Estimated cost: about \$0\.050\/h, about \$3\.59 until it destroys itself in 72 h\./,
    );
  });

  it('counts every frontend and the shared store of a multi-frontend deployment', () => {
    const c = costHint({
      instances: [{ type: 'm6i.xlarge', count: 3, diskGiB: 30 }],
      disk: 'aws-gp3',
      publicAddresses: 3,
      sharedStoreGiB: 200,
      hours: null,
    });
    expect(c.items.map((i) => [i.what, i.count])).toEqual([
      ['VM m6i.xlarge', 3],
      ['30 GiB encrypted disk', 3],
      ['public IPv4 address', 3],
      ['shared file store (EFS, ~200 GiB assumed)', 1],
    ]);
    expect(c.hourly).toBeCloseTo(3 * 0.192 + 3 * 0.0033 + 3 * 0.005 + 0.0822, 4);
    expect(c.total).toBeNull();
    expect(describeCost(c)).toMatch(/until destroyed — it does not destroy itself/);
  });

  it('names an instance type it has no price for instead of guessing one', () => {
    const c = costHint({
      instances: [{ type: 'x9.huge', count: 1, diskGiB: 20 }],
      disk: 'aws-gp3',
      publicAddresses: 0,
      hours: 1,
    });
    expect(c.items[0]).toEqual({ what: 'VM x9.huge', count: 1, hourly: 0 });
    expect(c.basis).toMatch(/No price known for x9\.huge: counted as 0\./);
  });
});
