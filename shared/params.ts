/**
 * Checks of artifact parameters and resource limits before anything is launched, shared by the
 * collect and hunt wizards (at the field) and the MCP tools (before a plan is shown): a value that
 * Velociraptor would reject, or worse accept and misread, is refused with the reason.
 *
 * Velociraptor compiles regex parameters with Go's regexp (RE2): no lookaround, no backreferences, no
 * atomic or possessive groups, repeats up to 1000. `checkRegex` rejects those by name, then compiles
 * the pattern (RE2-only syntax translated) to catch plain syntax errors. No Node, no DOM.
 */
import { messageOf } from './errors';

export interface ParamDef {
  name: string;
  type: string;
  default: string;
  choices?: string[] | undefined;
}

const RE2_UNSUPPORTED: Array<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2'],
  [/\\[1-9]/, 'backreferences (\\1) are not supported by RE2'],
  [/\\k<\w+>/, 'named backreferences (\\k<name>) are not supported by RE2'],
  [/\(\?>/, 'atomic groups ((?>...)) are not supported by RE2'],
  [/[*+?}]\+/, 'possessive repeats (*+, ++) are not supported by RE2'],
];

/** RE2 syntax JavaScript spells differently, mapped for the syntax check only. */
function toJs(p: string): { source: string; flags: string } {
  let flags = '';
  let source = p.replace(/^\(\?([imsU]+)\)/, (_m, f: string) => {
    flags = [...new Set(f.replace('U', '').split(''))].join('');
    return '';
  });
  source = source
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
    .replace(/\[\[:(\w+):\]\]/g, '[a-z]')
    .replace(/\[:(\w+):\]/g, 'a-z')
    .replace(/\(\?[imsU]+:/g, '(?:')
    .replace(/\\[pP]\{?\w+\}?/g, 'x')
    .replace(/\\Q(.*?)(\\E|$)/g, (_m, lit: string) => lit.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return { source, flags };
}

/** Why RE2 (Velociraptor's regex engine) would refuse `pattern`, or null when it compiles. */
export function checkRegex(pattern: string): string | null {
  for (const [re, why] of RE2_UNSUPPORTED)
    if (re.test(pattern.replace(/\\\\/g, ''))) return `Not a valid RE2 regex: ${why}.`;
  for (const m of pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g))
    if (Number(m[1]) > 1000 || Number(m[2] ?? 0) > 1000)
      return 'Not a valid RE2 regex: a repeat count above 1000 is not supported.';
  const { source, flags } = toJs(pattern);
  try {
    new RegExp(source, flags);
    return null;
  } catch (e) {
    const why = messageOf(e).replace(/^Invalid regular expression: \/.*\/\w*: /, '');
    return `Not a valid regex: ${why}.`;
  }
}

/**
 * Why a file glob is malformed, or null: Velociraptor's globs take `*`, `**`, `?`, `[...]` and `{a,b}`
 * alternatives; an unclosed `[` or `{`, a stray `}` or an empty pattern is refused.
 */
export function checkGlob(glob: string): string | null {
  if (glob.trim() === '') return 'Enter a glob, e.g. C:\\Users\\*\\Downloads\\** or /home/*/.ssh/*.';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) return 'An unclosed [ in the glob: close it with ].';
      i = end;
    } else if (c === '{') braces++;
    else if (c === '}' && --braces < 0) return 'A } in the glob without its {.';
  }
  return braces > 0 ? 'An unclosed { in the glob: close the alternatives with }.' : null;
}

/** Parameters whose value is a file glob (one per line): by Velociraptor's naming convention. */
export function isGlobParameter(name: string): boolean {
  return /globs?$/i.test(name);
}

const BOOL = /^(Y|N|YES|NO|TRUE|FALSE|OK|T|F|0|1)?$/i;
const INTEGER = /^-?\d+$/;

/**
 * Why `value` (the string sent to Velociraptor) does not fit the declared parameter, or null. An empty
 * value means "no value" for text types; for numbers, choices and regexes it is only allowed when the
 * artifact's own default is empty (otherwise the field is required: clearing it would send '').
 */
export function checkParameter(def: ParamDef, value: string): string | null {
  const type = def.type.toLowerCase();
  const t = value.trim();
  const typed = ['int', 'int64', 'uint64', 'float', 'choices', 'regex', 'bool', 'timestamp'].includes(type);
  if (t === '')
    return typed && def.default.trim() !== '' ? `Required: the artifact's default is ${def.default}.` : null;
  switch (type) {
    case 'int':
    case 'int64':
    case 'uint64':
      if (!INTEGER.test(t)) return 'Enter a whole number.';
      if (type === 'uint64' && t.startsWith('-')) return 'Enter a whole number of 0 or more.';
      return null;
    case 'float':
      return Number.isFinite(Number(t)) ? null : 'Enter a number.';
    case 'bool':
      return BOOL.test(t) ? null : 'Enter Y or N.';
    case 'timestamp':
      return Number.isNaN(Date.parse(t)) && !INTEGER.test(t)
        ? 'Enter a date and time, e.g. 2026-08-21T13:00:00Z.'
        : null;
    case 'choices':
      return def.choices?.length && !def.choices.includes(value)
        ? `Choose one of: ${def.choices.join(', ')}.`
        : null;
    case 'regex':
      return checkRegex(value);
    case 'json':
    case 'json_array':
      try {
        JSON.parse(value);
        return null;
      } catch {
        return 'Not valid JSON.';
      }
    default:
      if (isGlobParameter(def.name))
        for (const line of value.split(/\r?\n/).filter((l) => l.trim() !== '')) {
          const why = checkGlob(line.trim());
          if (why) return why;
        }
      return null;
  }
}

export interface ParameterProblem {
  artifact: string;
  parameter: string;
  message: string;
}

/**
 * Every problem of the parameters given to some artifacts: unknown artifacts or parameter names
 * (Velociraptor ignores an unknown name, so a typo would silently collect with the default), and
 * values that do not fit their declared type.
 */
export function checkParameters(
  defs: ReadonlyMap<string, readonly ParamDef[]>,
  given: Readonly<Record<string, Readonly<Record<string, string>>>>,
): ParameterProblem[] {
  const out: ParameterProblem[] = [];
  for (const [artifact, values] of Object.entries(given)) {
    const declared = defs.get(artifact);
    if (!declared) {
      out.push({ artifact, parameter: '', message: `There is no artifact ${artifact} on this server.` });
      continue;
    }
    for (const [name, value] of Object.entries(values)) {
      const def = declared.find((d) => d.name === name);
      const message = def
        ? checkParameter(def, value)
        : `${artifact} has no parameter ${name} (it has ${declared.map((d) => d.name).join(', ') || 'none'}).`;
      if (message) out.push({ artifact, parameter: name, message });
    }
  }
  return out;
}

export interface Limits {
  timeoutSeconds?: number | undefined;
  cpuLimit?: number | undefined;
  maxRows?: number | undefined;
  maxBytes?: number | undefined;
}

/** Why each resource limit is out of range (by field), empty when all fit; never clamped silently. */
export function checkLimits(l: Limits): Partial<Record<keyof Limits, string>> {
  const out: Partial<Record<keyof Limits, string>> = {};
  const whole = (v: number | undefined, min: number, max: number, what: string): string | undefined =>
    v === undefined
      ? undefined
      : !Number.isInteger(v)
        ? `${what} must be a whole number.`
        : v < min || v > max
          ? `${what} must be between ${min.toLocaleString('en-US')} and ${max.toLocaleString('en-US')}.`
          : undefined;
  const put = (k: keyof Limits, m: string | undefined) => {
    if (m) out[k] = m;
  };
  put('timeoutSeconds', whole(l.timeoutSeconds, 1, 86_400 * 7, 'The timeout (seconds)'));
  put('cpuLimit', whole(l.cpuLimit, 0, 100, 'The CPU limit (percent)'));
  put('maxRows', whole(l.maxRows, 1, 100_000_000, 'Max rows'));
  put('maxBytes', whole(l.maxBytes, 1, 1e13, 'Max upload bytes'));
  return out;
}
