/**
 * Command-line flags for every `megaraptor` subcommand: each declares the flags it knows, and
 * anything else is a usage error (exit 2) that names the closest known flag — a mistyped
 * `--read-only-api-confg` must not silently run without the read-only identity it asked for.
 */

export class UsageError extends Error {}

export interface FlagSpec {
  /** Takes a value (`--name VALUE` or `--name=VALUE`); otherwise a switch. */
  value?: boolean;
  /** May be given more than once. */
  repeat?: boolean;
}

export interface ParsedFlags {
  /** Values of a flag in order (a switch given once is ['']). */
  all(flag: string): string[];
  /** The value of a flag given once, or undefined. */
  get(flag: string): string | undefined;
  has(flag: string): boolean;
  positionals: string[];
}

/** Levenshtein distance, for suggestions (flags are short: the quadratic table is fine). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The known flag closest to `given`, when it is close enough to be a typo. */
export function closestFlag(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(given, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

export function unknownFlagMessage(given: string, known: readonly string[]): string {
  const near = closestFlag(given, known);
  return `unknown option ${given}${near ? ` (did you mean ${near}?)` : ''}`;
}

/**
 * Parses `argv` against `spec` (keys are the flags with their dashes, e.g. '--api-config').
 * `--` ends the flags; positionals are allowed only when `positionals` is true.
 */
export function parseFlags(
  argv: readonly string[],
  spec: Readonly<Record<string, FlagSpec>>,
  options: { positionals?: boolean } = {},
): ParsedFlags {
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const known = Object.keys(spec);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (!options.positionals) throw new UsageError(`unexpected argument "${arg}"`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const s = spec[name];
    if (!s) throw new UsageError(unknownFlagMessage(name, known));
    let value = '';
    if (s.value) {
      if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2))
          throw new UsageError(`${name} needs a value`);
        value = next;
        i++;
      }
    } else if (eq > 0) throw new UsageError(`${name} takes no value`);
    const list = values.get(name) ?? [];
    if (list.length > 0 && !s.repeat) throw new UsageError(`${name} is given more than once`);
    list.push(value);
    values.set(name, list);
  }
  return {
    all: (flag) => values.get(flag) ?? [],
    get: (flag) => values.get(flag)?.[0],
    has: (flag) => values.has(flag),
    positionals,
  };
}
