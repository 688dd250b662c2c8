/**
 * systemd unit files as data: written from sections of key/value pairs (values checked: one line
 * each), and read back (the recording service manager of the tests starts what a unit says).
 * ExecStart arguments are quoted by systemd's own rules (systemd.service "Command lines"): double
 * quotes, backslash escapes, `%` specifiers doubled, `$` doubled so nothing is expanded.
 */
import { AppError } from '../../../../shared/errors';

export type UnitEntries = ReadonlyArray<readonly [key: string, value: string]>;
export type UnitSections = ReadonlyArray<readonly [section: string, entries: UnitEntries]>;

export function renderUnit(sections: UnitSections, header?: string): string {
  const out: string[] = header ? header.split('\n').map((l) => `# ${l}`) : [];
  for (const [section, entries] of sections) {
    if (out.length) out.push('');
    out.push(`[${section}]`);
    for (const [key, value] of entries) {
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key) || /[\r\n]/.test(value))
        throw new AppError('INTERNAL', `A unit entry ${key} would not be one line.`);
      out.push(`${key}=${value}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** One ExecStart argument, quoted only when it needs to be. */
export function execArg(arg: string): string {
  const escaped = arg.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (escaped !== '' && /^[A-Za-z0-9_@+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export function execLine(argv: readonly string[]): string {
  return argv.map(execArg).join(' ');
}

/** Splits an ExecStart line back into argv (the inverse of execLine). */
export function parseExecLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const s = line.trim().replace(/^[-@:+!]+/, '');
  while (i < s.length) {
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    let arg = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        arg += s[i++];
      }
      i++;
    } else {
      while (i < s.length && s[i] !== ' ') arg += s[i++];
    }
    out.push(arg.replaceAll('%%', '%').replaceAll('$$', '$'));
  }
  return out;
}

/** Sections of a unit file, each with its entries in order (repeated keys kept). */
export function parseUnit(text: string): Map<string, Array<[string, string]>> {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = sections.get(header[1]!) ?? [];
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current) current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return sections;
}

export function unitValue(
  unit: Map<string, Array<[string, string]>>,
  section: string,
  key: string,
): string | undefined {
  return unit
    .get(section)
    ?.filter(([k]) => k === key)
    .pop()?.[1];
}

/** `OnCalendar=` for one instant: `YYYY-MM-DD HH:MM:SS UTC` (systemd.time). */
export function onCalendarAt(at: Date): string {
  const iso = new Date(Math.ceil(at.getTime() / 1000) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

export function parseOnCalendarAt(value: string): Date | null {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/.exec(value.trim());
  return m ? new Date(`${m[1]}T${m[2]}Z`) : null;
}
