import { describe, expect, it } from 'vitest';
import { isEverywhere, parseCidr } from './cidr';
import { CloudAccess } from './settings';

describe('parseCidr', () => {
  it.each([
    ['203.0.113.7/24', '203.0.113.0/24', 4],
    ['203.0.113.7', '203.0.113.7/32', 4],
    [' 10.1.2.3/8 ', '10.0.0.0/8', 4],
    ['0.0.0.0/0', '0.0.0.0/0', 4],
    ['2001:db8:1:2::5/48', '2001:db8:1::/48', 6],
    ['2001:DB8::1', '2001:db8::1/128', 6],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128', 6],
    ['::/0', '::/0', 6],
  ])('normalises %s to %s', (input, text, version) => {
    expect(parseCidr(input)).toMatchObject({ text, version });
  });

  it.each([
    '203.0.113.0/33',
    '2001:db8::/129',
    'example.org/24',
    '203.0.113.0/24/1',
    '10.0.0.0/x',
    'fe80::1%eth0/64',
    '',
  ])('refuses %j with a hint of the form', (input) => {
    expect(() => parseCidr(input)).toThrow(/is not an address range: write it like 203\.0\.113\.0\/24/);
  });

  it('knows the whole address space of either family', () => {
    expect(isEverywhere(parseCidr('0.0.0.0/0'))).toBe(true);
    expect(isEverywhere(parseCidr('::/0'))).toBe(true);
    expect(isEverywhere(parseCidr('0.0.0.0/1'))).toBe(false);
  });
});

describe('CloudAccess', () => {
  it('normalises the ranges and defaults to direct access', () => {
    expect(CloudAccess.parse({ agentCidrs: ['0.0.0.0/0'], responderCidrs: ['203.0.113.7/24'] })).toEqual({
      agentCidrs: ['0.0.0.0/0'],
      responderCidrs: ['203.0.113.0/24'],
      via: { mode: 'direct' },
    });
  });

  it.each(['0.0.0.0/0', '::/0'])('never opens the GUI and API to everyone (%s)', (everyone) => {
    const r = CloudAccess.safeParse({
      agentCidrs: ['198.51.100.0/24'],
      responderCidrs: ['203.0.113.7/32', everyone],
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join()).toMatch(/must not be open to the whole internet/);
  });

  it('refuses a range that is not one', () => {
    const r = CloudAccess.safeParse({
      agentCidrs: ['agents.example.org'],
      responderCidrs: ['203.0.113.7/32'],
    });
    expect(r.error?.issues[0]?.path).toEqual(['agentCidrs', 0]);
  });
});
