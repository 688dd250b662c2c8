/**
 * Address ranges a cloud firewall opens a port to (security group rules, NSG rules). Written as the
 * responder typed them, checked here and normalised to their network address (203.0.113.7/24 →
 * 203.0.113.0/24), so the rule the cloud holds is exactly the range shown in the review.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from '../../../../shared/errors';

export interface Cidr {
  text: string;
  version: 4 | 6;
  prefix: number;
}

function ipv4Bits(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function expandIpv6(ip: string): number[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  if (tail === undefined) return h;
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

function ipv6Bits(ip: string): bigint {
  return expandIpv6(ip).reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function ipv4Text(bits: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 255n)).join('.');
}

function ipv6Text(bits: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt((7 - i) * 16)) & 0xffffn));
  // The longest run of zero groups becomes '::' (RFC 5952).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** Parses and normalises a CIDR ("203.0.113.0/24", "2001:db8::/32"); a bare address is a /32 or /128. */
export function parseCidr(input: string): Cidr {
  const text = input.trim();
  const [ip = '', prefixText, extra] = text.split('/');
  const version = isIPv4(ip) ? 4 : isIPv6(ip) && !ip.includes('%') ? 6 : 0;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (!version || extra !== undefined || prefix < 0 || prefix > max)
    throw new AppError(
      'INVALID_ARGUMENT',
      `"${input}" is not an address range: write it like 203.0.113.0/24 or 2001:db8::/32.`,
    );
  const bits = version === 4 ? ipv4Bits(ip) : ipv6Bits(ip);
  const size = BigInt(max);
  const mask = prefix === 0 ? 0n : ((1n << size) - 1n) ^ ((1n << (size - BigInt(prefix))) - 1n);
  const network = bits & mask;
  return {
    text: `${version === 4 ? ipv4Text(network) : ipv6Text(network)}/${prefix}`,
    version,
    prefix,
  };
}

/** The whole address space of its family: anyone on the internet. */
export function isEverywhere(c: Cidr): boolean {
  return c.prefix === 0;
}
