/**
 * The one way the app composes VQL. Query text comes only from template literals written in this
 * code base; every value (user input, ids, lists) is an argument object that the builder places in
 * `env` (VQLEnv, always strings) under a generated name and references by that name. Plain strings
 * cannot be interpolated (neither by the types nor at run time), so a hostile value can never
 * change the query text. Identifiers are additionally checked against their patterns so a bad id
 * fails early with INVALID_ARGUMENT instead of as an empty result.
 */
import { AppError } from '../../../../shared/errors';

export interface BuiltQuery {
  vql: string;
  env: Record<string, string>;
}

type ArgKind = 'string' | 'json' | 'json-array' | 'int' | 'bool';

/** A value for a query, created only by the factories below. */
export class VqlArg {
  /** @internal */
  private constructor(
    readonly kind: ArgKind,
    readonly value: string,
  ) {}
  /** @internal */
  static make(kind: ArgKind, value: string): VqlArg {
    return new VqlArg(kind, value);
  }
}

/** A piece of query text with its arguments, composable into bigger queries. */
export class VqlFragment {
  /** @internal */
  constructor(
    readonly strings: readonly string[],
    readonly args: ReadonlyArray<VqlArg | VqlFragment>,
  ) {}
}

export type VqlInterpolation = VqlArg | VqlFragment;

/** Template tag: `vql\`SELECT * FROM flows(client_id=${clientId(id)})\``. */
export function vql(strings: TemplateStringsArray, ...args: VqlInterpolation[]): VqlFragment {
  for (const a of args) {
    if (!(a instanceof VqlArg) && !(a instanceof VqlFragment)) {
      // JavaScript callers or casts: refuse rather than splice text into the query.
      throw new AppError(
        'INTERNAL',
        'VQL builder: a raw value was interpolated into query text; wrap it with str()/json()/an id helper.',
      );
    }
  }
  return new VqlFragment([...strings], args);
}

/** Joins fragments with a separator (written in code, never user data). */
export function join(fragments: VqlFragment[], separator: ', ' | ' AND ' | ' OR ' | '\n'): VqlFragment {
  if (fragments.length === 0) return new VqlFragment([''], []);
  const strings = [''];
  for (let i = 1; i < fragments.length; i++) strings.push(separator);
  strings.push('');
  return new VqlFragment(strings, fragments);
}

const ENV_PREFIX = 'MrArg';

/** Assigns env names in order of appearance and returns the final text and env. */
export function build(fragment: VqlFragment, extraEnv: Record<string, string> = {}): BuiltQuery {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(extraEnv)) {
    checkEnvKey(k);
    env[k] = v;
  }
  let n = 0;
  const render = (f: VqlFragment): string => {
    let out = f.strings[0] ?? '';
    f.args.forEach((a, i) => {
      out += a instanceof VqlFragment ? render(a) : reference(a);
      out += f.strings[i + 1] ?? '';
    });
    return out;
  };
  const reference = (a: VqlArg): string => {
    switch (a.kind) {
      case 'int':
      case 'bool':
        return a.value; // validated literal: digits or TRUE/FALSE
      default: {
        const name = `${ENV_PREFIX}${n++}`;
        env[name] = a.value;
        if (a.kind === 'json') return `parse_json(data=${name})`;
        // Velociraptor's parse_json() decodes objects only; a JSON list needs parse_json_array().
        if (a.kind === 'json-array') return `parse_json_array(data=${name})`;
        return name;
      }
    }
  };
  return { vql: render(fragment).trim(), env };
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function checkEnvKey(key: string): void {
  if (!ENV_KEY.test(key) || key.startsWith(ENV_PREFIX)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `"${key}" is not a usable VQL variable name (letters, digits, _; not starting with ${ENV_PREFIX}).`,
    );
  }
}

/**
 * VQL typed by a person (notebook cell, CLI, MCP run_vql): passed through as written, with its own
 * env; it is the user's query, so nothing is spliced into it.
 */
export function userQuery(text: string, env: Record<string, string> = {}): BuiltQuery {
  if (text.trim() === '') throw new AppError('INVALID_ARGUMENT', 'The VQL query is empty.');
  for (const k of Object.keys(env)) checkEnvKey(k);
  return { vql: text, env: { ...env } };
}

// ---- argument factories -----------------------------------------------------------------------

/** Any string value, referenced by name. */
export function str(value: string): VqlArg {
  if (typeof value !== 'string') throw new AppError('INVALID_ARGUMENT', 'Expected a string value.');
  return VqlArg.make('string', value);
}

/** A dict or other JSON value, decoded in VQL with parse_json(). */
export function json(value: Record<string, unknown>): VqlArg {
  return VqlArg.make('json', JSON.stringify(value));
}

/** A list, decoded in VQL with parse_json_array(). */
export function jsonArray(values: readonly unknown[]): VqlArg {
  return VqlArg.make('json-array', JSON.stringify(values));
}

export function int(value: number): VqlArg {
  if (!Number.isSafeInteger(value))
    throw new AppError('INVALID_ARGUMENT', `Expected an integer, got ${String(value)}.`);
  return VqlArg.make('int', String(value));
}

export function bool(value: boolean): VqlArg {
  return VqlArg.make('bool', value ? 'TRUE' : 'FALSE');
}

// ---- identifiers: validated by pattern, then passed like any value -----------------------------

export const PATTERNS = {
  clientId: /^(?:C\.[0-9a-f]{1,32}|server)$/,
  flowId: /^F\.[A-Za-z0-9]{1,40}(?:\.[A-Za-z0-9]{1,20})?$/,
  huntId: /^H\.[A-Za-z0-9]{1,40}$/,
  artifact: /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$/,
  artifactSource: /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*(?:\/[A-Za-z0-9_][A-Za-z0-9_ .-]{0,99})?$/,
  orgId: /^[A-Za-z0-9_-]{1,64}$/,
  label: /^[\p{L}\p{N}_.:@#+\- ]{1,128}$/u,
  userName: /^[A-Za-z0-9@.\-_#+]{1,128}$/,
} as const;

export type IdKind = keyof typeof PATTERNS;

export function validateId(kind: IdKind, value: string): string {
  if (typeof value !== 'string' || !PATTERNS[kind].test(value)) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(String(value)).slice(0, 80)} is not a valid ${kind}.`,
      { details: { kind } },
    );
  }
  return value;
}

export const clientId = (v: string): VqlArg => str(validateId('clientId', v));
export const flowId = (v: string): VqlArg => str(validateId('flowId', v));
export const huntId = (v: string): VqlArg => str(validateId('huntId', v));
export const artifactName = (v: string): VqlArg => str(validateId('artifact', v));
export const artifactSource = (v: string): VqlArg => str(validateId('artifactSource', v));
export const orgId = (v: string): VqlArg => str(validateId('orgId', v));
export const userName = (v: string): VqlArg => str(validateId('userName', v));
export const labels = (vs: readonly string[]): VqlArg => jsonArray(vs.map((v) => validateId('label', v)));
export const artifactNames = (vs: readonly string[]): VqlArg =>
  jsonArray(vs.map((v) => validateId('artifact', v)));
