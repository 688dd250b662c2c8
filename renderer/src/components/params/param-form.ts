/**
 * Turns an artifact's declared parameters into form fields, and form values back into the strings
 * Velociraptor expects (it converts them by the declared type when it compiles the artifact:
 * bool is true for Y/TRUE/YES/OK, timestamps are parsed, csv is CSV text with a header line).
 * Pure: the form component only renders what this decides.
 */
import type { ArtifactParameter } from '../../../../shared/contracts/collections';
import { checkParameter, isGlobParameter, type ParamDef } from '../../../../shared/params';

export type FieldKind = 'bool' | 'select' | 'int' | 'float' | 'timestamp' | 'csv' | 'multiline' | 'text';

export interface Field {
  name: string;
  /** The declared parameter (shared/params.ts checks values against it). */
  def: ParamDef;
  kind: FieldKind;
  description: string;
  /** The value the form starts with, in the field's own representation. */
  initial: string | boolean;
  choices: string[];
  /** For csv: the header columns. */
  csvColumns: string[];
  /** A hint shown under the input (format expectations). */
  hint: string;
}

const TRUE = /^(Y|TRUE|YES|OK)$/i;
const MULTILINE = new Set(['yaml', 'json', 'json_array', 'artifactset', 'hidden_yaml', 'xml']);

export function fieldFor(p: ArtifactParameter): Field {
  const type = p.type.toLowerCase();
  const base = {
    name: p.name,
    def: { name: p.name, type: p.type, default: p.default, choices: p.choices },
    description: p.description,
    choices: [] as string[],
    csvColumns: [] as string[],
    hint: '',
  };
  switch (type) {
    case 'bool':
      return { ...base, kind: 'bool', initial: TRUE.test(p.default.trim()) };
    case 'choices':
      return { ...base, kind: 'select', initial: p.default, choices: p.choices ?? [] };
    case 'int':
    case 'int64':
      return { ...base, kind: 'int', initial: p.default, hint: 'A whole number.' };
    case 'float':
      return { ...base, kind: 'float', initial: p.default, hint: 'A number.' };
    case 'timestamp':
      return {
        ...base,
        kind: 'timestamp',
        initial: p.default,
        hint: 'UTC, e.g. 2026-08-21T13:00:00Z. Empty for no limit.',
      };
    case 'csv': {
      const [header = '', ...rest] = p.default.replace(/\r/g, '').split('\n');
      return {
        ...base,
        kind: 'csv',
        initial: rest.filter((l) => l !== '').join('\n'),
        csvColumns: header
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
        hint: 'One row per line; columns separated by commas.',
      };
    }
    case 'regex':
      return {
        ...base,
        kind: 'text',
        initial: p.default,
        hint: 'A regular expression in RE2 syntax (no lookaround, no backreferences).',
      };
    default:
      if (MULTILINE.has(type) || p.default.includes('\n'))
        return {
          ...base,
          kind: 'multiline',
          initial: p.default,
          hint: type === 'json' ? 'JSON.' : type === 'yaml' ? 'YAML.' : '',
        };
      return {
        ...base,
        kind: 'text',
        initial: p.default,
        hint: isGlobParameter(p.name) ? 'A file glob: *, ** (any depth), ?, [abc], {a,b}.' : '',
      };
  }
}

export function fieldsFor(params: readonly ArtifactParameter[]): Field[] {
  return params.map(fieldFor);
}

/**
 * Validation message for one value, or null when it is acceptable: the checks MCP tools make too
 * (shared/params.ts). A value left at the artifact's default is not sent, so it is not checked.
 */
export function validate(f: Field, v: string | boolean): string | null {
  if (typeof v === 'boolean' || v === f.initial || f.kind === 'csv') return null;
  const t = v.trim();
  if (f.kind === 'timestamp' && t !== '' && Number.isNaN(Date.parse(t)))
    return 'Enter a date and time, e.g. 2026-08-21T13:00:00Z.';
  return checkParameter(f.def, v);
}

/** The Velociraptor string for one field value. */
export function toWire(f: Field, v: string | boolean): string {
  switch (f.kind) {
    case 'bool':
      return v === true ? 'Y' : 'N';
    case 'timestamp': {
      const t = String(v).trim();
      return t === '' ? '' : new Date(t).toISOString();
    }
    case 'csv': {
      const body = String(v)
        .replace(/\r/g, '')
        .split('\n')
        .filter((l) => l.trim() !== '');
      return [f.csvColumns.join(','), ...body].join('\n') + '\n';
    }
    default:
      return String(v);
  }
}

/**
 * Parameters to send: only those changed from the artifact's default, so the artifact's own
 * defaults keep applying. Throws the first validation error (with the field name).
 */
export function parametersToSend(
  fields: readonly Field[],
  values: Readonly<Record<string, string | boolean>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name] ?? f.initial;
    const err = validate(f, v);
    if (err) throw new Error(`${f.name}: ${err}`);
    if (v === f.initial) continue;
    out[f.name] = toWire(f, v);
  }
  return out;
}
