/**
 * The read-only VQL allow-list: defence in depth. What makes a read-only query read-only is the
 * server: it runs under an identity that holds the `api` role alone (read-only-identity.ts). This
 * gate refuses, before anything is sent, a query that would try to do more, resolving every name
 * the way Velociraptor's engine (vfilter) does:
 *
 * - Tokens come from the product's VQL lexer (shared/vql/lexer), which follows the engine's rules
 *   (a `--` comment may start mid-line, `-name(…)` is a call, backticks quote names).
 * - `FROM name(…)` calls the built-in plugin `name` when one exists, whatever a LET says; only when
 *   none exists (or with no parentheses) does the engine look for a variable (a LET, a LET
 *   parameter, an env value). The same holds for functions in expressions. So a built-in must be
 *   on the allow-list for its kind, and any other name must be defined by the query itself (a LET
 *   may come after its use: a lazy LET body is evaluated when it runs). Names are case-sensitive
 *   and must exist in Velociraptor (vql-catalog.ts).
 * - Arguments the engine compiles as VQL (lambdas such as filter(condition=…), regex_replace(
 *   replace_lambda=…), query text) are refused on every allowed call.
 * - The one variable that runs code is `Artifact` (each artifact is a plugin under it), reachable
 *   by name or through the scope object (`$root`, the scope() function, a `FROM scope()` row) with
 *   a dynamic key. So a name or a literal key spelled artifact (any case) or starting with `$` is
 *   refused, and keys that could be computed (get(member|field=…), foreach(column=…), x[…]) must be
 *   literals. Without a plugin value, nothing in a query can call a plugin it does not name.
 *
 * What it cannot promise: it reads Velociraptor 0.75–0.77's rules; a later engine may add a way to
 * reach code. That is why the server-side identity, not this list, is the enforcement.
 */
import { AppError } from '../../../shared/errors';
import { isKeyword, isOp, lexVql, VqlSyntaxError, type VqlToken } from '../../../shared/vql/lexer';
import { VELOCIRAPTOR_FUNCTIONS, VELOCIRAPTOR_PLUGINS, VQL_CODE_ARGS } from './vql-catalog';

/** Plugins that read Velociraptor's own data (results, clients, hunts, artifacts) or shape rows. */
export const READ_ONLY_PLUGINS: ReadonlySet<string> = new Set([
  'artifact_definitions',
  'chain',
  'clients',
  'flatten',
  'flow_logs',
  'flow_results',
  'flows',
  'foreach',
  'gui_users',
  'help',
  'hunt_flows',
  'hunt_results',
  'hunts',
  'if',
  'items',
  'monitoring',
  'monitoring_logs',
  'orgs',
  'range',
  'scope',
  'source',
  'switch',
  'timeline',
  'uploads',
]);

/** Pure functions and functions that only read the server's data. */
export const READ_ONLY_FUNCTIONS: ReadonlySet<string> = new Set([
  'array',
  'atoi',
  'base64decode',
  'base64encode',
  'basename',
  'client_info',
  'client_metadata',
  'count',
  'crypto_rc4',
  'dict',
  'dirname',
  'encode',
  'entropy',
  'enumerate',
  'filter',
  'format',
  'get',
  'get_client_monitoring',
  'get_server_monitoring',
  'humanize',
  'hunt_info',
  'if',
  'int',
  'ip',
  'items',
  'join',
  'len',
  'lowcase',
  'max',
  'min',
  'now',
  'org',
  'parse_float',
  'parse_json',
  'parse_json_array',
  'parse_string_with_regex',
  'path_join',
  'path_split',
  'regex_replace',
  'serialize',
  'slice',
  'split',
  'str',
  'strip',
  'substr',
  'sum',
  'timestamp',
  'timestamp_format',
  'to_dict',
  'typeof',
  'unhex',
  'upcase',
  'url',
  'utf16',
  'utf16_encode',
  'version',
  'whoami',
  'xor',
]);

/** Arguments used as keys into a value (possibly the scope): they must be literal, non-reflective keys. */
const KEY_ARGS: Readonly<Record<string, readonly string[]>> = {
  'function:get': ['member', 'field'],
  'plugin:foreach': ['column'],
};

export interface ReadOnlyVerdict {
  ok: boolean;
  /** Every call the query makes, as `plugin:name` / `function:name` (dotted names kept whole). */
  calls: string[];
  /** Why it was refused (empty when ok). */
  reasons: string[];
}

type Kind = 'plugin' | 'function';

/** A name or key that reaches the artifact runner or the scope's hidden variables. */
function reflective(name: string): boolean {
  return name.split('.').some((part) => part.toLowerCase() === 'artifact' || part.startsWith('$'));
}

function isValueEnd(t: VqlToken | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'ident' || t.kind === 'string' || t.kind === 'number') return true;
  return isOp(t, ')') || isOp(t, ']') || isOp(t, '}');
}

/**
 * For every bracket, the index of its partner (tokens.length when unbalanced): one pass, so the
 * gate stays linear in the query's length however deeply it nests.
 */
function bracketPartners(tokens: VqlToken[]): Int32Array {
  const partner = new Int32Array(tokens.length).fill(tokens.length);
  const open: number[] = [];
  tokens.forEach((t, i) => {
    if (t.kind !== 'op') return;
    if (t.value === '(' || t.value === '[' || t.value === '{') open.push(i);
    else if (t.value === ')' || t.value === ']' || t.value === '}') {
      const o = open.pop();
      if (o !== undefined) {
        partner[o] = i;
        partner[i] = o;
      }
    }
  });
  return partner;
}

const isOpen = (t: VqlToken | undefined): boolean =>
  t?.kind === 'op' && (t.value === '(' || t.value === '[' || t.value === '{');

/** An argument `name = value`: the value is tokens[from, to). */
interface Arg {
  name: string;
  from: number;
  to: number;
}

/** The top-level `name = value` arguments of the call whose '(' is at `open`. */
function callArgs(tokens: VqlToken[], partner: Int32Array, open: number): Arg[] {
  const close = partner[open] ?? tokens.length;
  const args: Arg[] = [];
  let j = open + 1;
  while (j < close) {
    let end = j;
    while (end < close && !isOp(tokens[end], ','))
      end = isOpen(tokens[end]) ? (partner[end] ?? close) + 1 : end + 1;
    const nameTok = tokens[j];
    if (nameTok?.kind === 'ident' && isOp(tokens[j + 1], '='))
      args.push({ name: nameTok.value, from: j + 2, to: Math.min(end, close) });
    j = end + 1;
  }
  return args;
}

interface LetInfo {
  names: Set<string>;
  params: Set<string>;
  /** Token indexes that define names (LET names, parameter lists): not references. */
  definitions: Set<number>;
}

function letDefinitions(tokens: VqlToken[], partner: Int32Array, reasons: string[]): LetInfo {
  const info: LetInfo = { names: new Set(), params: new Set(), definitions: new Set() };
  tokens.forEach((t, i) => {
    if (!isKeyword(t, 'LET')) return;
    const n = tokens[i + 1];
    if (n?.kind !== 'ident') return;
    // The engine decodes escapes in a backtick LET name (Unquote_ident), unlike in calls.
    if (n.quoted && n.value.includes('\\'))
      reasons.push(`LET ${n.text} uses an escape in its name; name it plainly`);
    info.names.add(n.value);
    info.definitions.add(i + 1);
    if (isOp(tokens[i + 2], '(')) {
      const close = partner[i + 2] ?? tokens.length;
      for (let j = i + 3; j < close; j++) {
        const p = tokens[j] as VqlToken;
        // Parameters are names, or name=default (a default's own calls are checked like any other).
        if (p.kind === 'ident' && (isOp(tokens[j - 1], '(') || isOp(tokens[j - 1], ','))) {
          info.params.add(p.value);
          info.definitions.add(j);
        }
      }
    }
  });
  return info;
}

export function checkReadOnlyVql(source: string): ReadOnlyVerdict {
  const reasons: string[] = [];
  let tokens: VqlToken[];
  try {
    tokens = lexVql(source);
  } catch (e) {
    const msg = e instanceof VqlSyntaxError ? e.message : String(e);
    return { ok: false, calls: [], reasons: [`the query does not tokenize: ${msg}`] };
  }
  const partner = bracketPartners(tokens);
  const lets = letDefinitions(tokens, partner, reasons);
  const defined = (name: string) => lets.names.has(name) || lets.params.has(name);
  const calls: string[] = [];

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as VqlToken;

    if (isOp(t, '[') && isValueEnd(tokens[i - 1])) {
      checkIndex(tokens, i + 1, partner[i] ?? tokens.length, reasons);
      continue;
    }
    if (t.kind !== 'ident' || lets.definitions.has(i)) continue;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    // An argument name (`f(name=…)`) or an alias is a binding, not a reference.
    if (isOp(after, '=') && (isOp(before, '(') || isOp(before, ','))) continue;
    if (isKeyword(before, 'AS')) continue;
    if (isOp(before, '.')) continue; // handled with the head of its dotted name

    const parts = [t.value];
    let j = i + 1;
    while (isOp(tokens[j], '.') && tokens[j + 1]?.kind === 'ident') {
      parts.push((tokens[j + 1] as VqlToken).value);
      j += 2;
    }
    const name = parts.join('.');
    const bad = parts.find(reflective);
    if (bad !== undefined) {
      reasons.push(
        bad.startsWith('$')
          ? `"${name}" reads a hidden scope variable; not allowed in read-only mode`
          : `"${name}" reaches the artifact runner (Artifact); not allowed in read-only mode`,
      );
      continue;
    }
    const isCall = isOp(tokens[j], '(');
    const kind: Kind | undefined = isKeyword(before, 'FROM') ? 'plugin' : isCall ? 'function' : undefined;
    if (!kind) continue; // a plain value: a column, a LET value, an env value
    calls.push(`${kind}:${name}`);
    if (parts.length > 1) {
      reasons.push(`"${name}" is not a plugin or function VQL can call (dotted names run artifacts)`);
      continue;
    }
    const builtins = kind === 'plugin' ? VELOCIRAPTOR_PLUGINS : VELOCIRAPTOR_FUNCTIONS;
    if (isCall && builtins.has(name)) {
      // The engine calls the built-in, whatever a LET of the same name defines.
      const allowed = kind === 'plugin' ? READ_ONLY_PLUGINS : READ_ONLY_FUNCTIONS;
      if (!allowed.has(name)) {
        reasons.push(`the ${kind} "${name}" is not on the read-only allow-list`);
        continue;
      }
      checkArgs(kind, name, tokens, callArgs(tokens, partner, j), reasons);
      continue;
    }
    if (defined(name)) continue;
    reasons.push(
      builtins.has(name)
        ? `"${name}" without parentheses names a variable, and the query defines none by that name`
        : `"${name}" is not a Velociraptor ${kind} and the query does not define it with LET`,
    );
  }
  return { ok: reasons.length === 0, calls, reasons: [...new Set(reasons)] };
}

function checkArgs(kind: Kind, name: string, tokens: VqlToken[], args: Arg[], reasons: string[]): void {
  const code = (VQL_CODE_ARGS[kind][name] ?? []).map((a) => a.toLowerCase());
  const keys = KEY_ARGS[`${kind}:${name}`] ?? [];
  for (const a of args) {
    if (code.includes(a.name.toLowerCase()))
      reasons.push(`${name}(${a.name}=…) is compiled as VQL by the server; not allowed in read-only mode`);
    if (keys.includes(a.name)) checkLiteralKey(`${name}(${a.name}=…)`, tokens.slice(a.from, a.to), reasons);
  }
  if (kind === 'function' && name === 'get' && !args.some((a) => a.name === 'item'))
    reasons.push('get() without item= reads the scope itself; give item=');
}

/** A key into a value must be one literal that is not reflective. */
function checkLiteralKey(where: string, value: VqlToken[], reasons: string[]): void {
  const [v, extra] = value;
  if (!v || extra || (v.kind !== 'string' && v.kind !== 'number')) {
    reasons.push(`${where} must be a literal string in read-only mode`);
    return;
  }
  if (v.kind === 'string' && v.value.split('.').some(reflective))
    reasons.push(`${where} names "${v.value}", which reaches the artifact runner or the scope`);
}

/** x[…]: a literal index, key or slice only (a computed key could read any scope variable). */
function checkIndex(tokens: VqlToken[], from: number, to: number, reasons: string[]): void {
  for (let k = from; k < to; k++) {
    const t = tokens[k] as VqlToken;
    if (t.kind !== 'number' && t.kind !== 'string' && !isOp(t, ':')) {
      reasons.push('an index x[…] must be a literal number, string or range in read-only mode');
      return;
    }
    if (t.kind === 'string' && reflective(t.value))
      reasons.push(`the key "${t.value}" reaches the artifact runner or the scope`);
  }
}

/** Throws POLICY_FORBIDDEN with the reasons when the query is not read-only. */
export function assertReadOnlyVql(source: string): void {
  const v = checkReadOnlyVql(source);
  if (!v.ok) {
    throw new AppError(
      'POLICY_FORBIDDEN',
      `The query is not read-only: ${v.reasons.slice(0, 3).join('; ')}.`,
      {
        details: { reasons: v.reasons },
      },
    );
  }
}
