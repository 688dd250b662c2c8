/**
 * A cost hint for the review step: the billed items of a cloud deployment at on-demand list prices
 * (USD, Linux, AWS us-east-1 / Azure East US, as published in 2026), multiplied by the hours until
 * the self-destruction. A hint, not a quote: regions, taxes, data transfer and discounts differ, and
 * an instance type missing from the table is listed without a price rather than guessed.
 */
import type { CostHint } from '../../../../shared/deploy';

const HOURS_PER_MONTH = 730;

/** USD per hour, on demand, Linux. */
const INSTANCE_HOURLY: Readonly<Record<string, number>> = {
  // AWS
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6i.2xlarge': 0.384,
  'm7i.large': 0.1008,
  'm7i.xlarge': 0.2016,
  'c6i.xlarge': 0.17,
  // Azure
  Standard_B2s: 0.0416,
  Standard_B2ms: 0.0832,
  Standard_D2s_v5: 0.096,
  Standard_D4s_v5: 0.192,
  Standard_D8s_v5: 0.384,
};

/** USD per GiB-month. */
const STORAGE_MONTHLY = {
  'aws-gp3': 0.08,
  'aws-efs-standard': 0.3,
  'azure-premium-ssd': 0.15,
} as const;

/** A public IPv4 address, per hour (AWS since 2024, Azure standard static). */
const PUBLIC_IPV4_HOURLY = 0.005;

export interface CostInput {
  instances: Array<{ type: string; count: number; diskGiB: number }>;
  disk: keyof typeof STORAGE_MONTHLY;
  publicAddresses: number;
  /** Multi-frontend on AWS: the shared file store, at an assumed size. */
  sharedStoreGiB?: number;
  hours: number | null;
}

function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

export function costHint(input: CostInput): CostHint {
  const items: CostHint['items'] = [];
  const unpriced: string[] = [];
  for (const i of input.instances) {
    const price = INSTANCE_HOURLY[i.type];
    if (price === undefined) unpriced.push(i.type);
    items.push({ what: `VM ${i.type}`, count: i.count, hourly: price ?? 0 });
    items.push({
      what: `${i.diskGiB} GiB encrypted disk`,
      count: i.count,
      hourly: round((i.diskGiB * STORAGE_MONTHLY[input.disk]) / HOURS_PER_MONTH),
    });
  }
  if (input.publicAddresses)
    items.push({ what: 'public IPv4 address', count: input.publicAddresses, hourly: PUBLIC_IPV4_HOURLY });
  if (input.sharedStoreGiB)
    items.push({
      what: `shared file store (EFS, ~${input.sharedStoreGiB} GiB assumed)`,
      count: 1,
      hourly: round((input.sharedStoreGiB * STORAGE_MONTHLY['aws-efs-standard']) / HOURS_PER_MONTH),
    });
  const hourly = round(items.reduce((sum, i) => sum + i.count * i.hourly, 0));
  return {
    currency: 'USD',
    items,
    hourly,
    hours: input.hours,
    total: input.hours === null ? null : Math.round(hourly * input.hours * 100) / 100,
    basis: `On-demand list prices (Linux; AWS us-east-1 / Azure East US, 2026); data transfer, taxes and discounts not included.${unpriced.length ? ` No price known for ${unpriced.join(', ')}: counted as 0.` : ''}`,
  };
}

/** One line for the plan's warnings (the CLI and MCP show those as they are). */
export function describeCost(c: CostHint): string {
  const per = `about $${c.hourly.toFixed(3)}/h`;
  return c.total === null
    ? `Estimated cost: ${per} (about $${(c.hourly * HOURS_PER_MONTH).toFixed(0)}/month) until destroyed — it does not destroy itself. ${c.basis}`
    : `Estimated cost: ${per}, about $${c.total.toFixed(2)} until it destroys itself in ${c.hours} h. ${c.basis}`;
}
