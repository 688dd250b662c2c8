/**
 * The read-only VQL gate. It is an ALLOW-list: every call in the query (plugin or function, however
 * it is reached: FROM, a column, a WHERE, a subquery, an argument, a LET body) must name something
 * on the list, or a stored query the same text defines. A deny-list cannot work for VQL: `query()`,
 * artifact plugins (`Artifact.X()`), `foreach`, `LET` aliases and backtick identifiers all reach a
 * writing function under another spelling.
 *
 * Where our tokenizer and Velociraptor's could disagree, the query is refused instead of guessed:
 * comments (they could hide a quote that shifts every token after it) and backslash-escaped quotes
 * inside strings. The server-side least-privilege identity (a user with only `api`/`reader` roles)
 * backs this gate, so a bug here still meets a permission check.
 *
 * The tokenizer is the simulator's (core/sim/vql/lexer); it has no simulator dependencies and
 * belongs in a shared core module.
 */
import { AppError } from '../../../shared/errors';
// eslint-disable-next-line no-restricted-imports -- until the one VQL lexer leaves sim/ (issue 13, item 3)
import { tokenize, VqlSyntaxError, type Token } from '../sim/vql/lexer';

/** Plugins that read Velociraptor's own data (results, clients, hunts, artifacts) and nothing else. */
export const READ_ONLY_PLUGINS: ReadonlySet<string> = new Set([
  'scope',
  'info',
  'clients',
  'flows',
  'source',
  'flow_results',
  'flow_logs',
  'uploads',
  'hunts',
  'hunt_results',
  'hunt_flows',
  'artifact_definitions',
  'orgs',
  'gui_users',
  'monitoring',
  'flatten',
  'chain',
  'range',
  'items',
  'foreach',
  'if',
  'switch',
  'parse_records_with_regex',
  'split_records',
  'help',
  'timeline',
  'client_flows',
]);

/** Pure functions and functions that only read the server's data. */
export const READ_ONLY_FUNCTIONS: ReadonlySet<string> = new Set([
  'count',
  'sum',
  'min',
  'max',
  'avg',
  'enumerate',
  'format',
  'dict',
  'array',
  'len',
  'upcase',
  'lowcase',
  'regex_replace',
  'split',
  'join',
  'now',
  'timestamp',
  'humanize',
  'int',
  'str',
  'float',
  'parse_json',
  'parse_json_array',
  'parse_json_array_string',
  'get',
  'if',
  'items',
  'serialize',
  'base64decode',
  'base64encode',
  'strip',
  'substr',
  'basename',
  'dirname',
  'path_join',
  'path_split',
  'filter',
  'slice',
  'encode',
  'to_dict',
  'unhex',
  'hex',
  'url',
  'whoami',
  'client_info',
  'client_metadata',
  'hunt_info',
  'org',
  'server_version',
  'strftime',
  'parse_string_with_regex',
  'unzip',
  'set',
  'atoi',
  'bool',
  'crypto_rc4',
  'entropy',
  'ip',
  'lookup',
  'utf16',
  'utf16_encode',
  'sort',
  'uniq',
  'typeof',
  'version',
  'trim',
  'lowcase',
  'elide',
  'format_time',
  'dedup',
  'coalesce',
  'starl',
  'xor',
  'get_client_monitoring',
  'get_server_monitoring',
]);

/** Plugins/functions whose arguments are queries: a string there could be compiled as VQL. */
const QUERY_TAKING = new Set(['foreach', 'chain', 'if', 'switch', 'flatten']);

const KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'LET',
  'AND',
  'OR',
  'NOT',
  'AS',
  'ORDER',
  'GROUP',
  'BY',
  'LIMIT',
  'DESC',
  'ASC',
  'IN',
  'EXPLAIN',
  'NULL',
  'TRUE',
  'FALSE',
]);

export interface ReadOnlyVerdict {
  ok: boolean;
  /** Every call the query makes, lowercased, as `name` (dotted names kept whole). */
  calls: string[];
  /** Why it was refused (empty when ok). */
  reasons: string[];
}

function isKeyword(t: Token): boolean {
  return t.kind === 'ident' && !t.text.startsWith('`') && KEYWORDS.has(t.text.toUpperCase());
}

/** Reads a dotted name starting at `i`; returns the name and the index after it. */
function dottedName(tokens: Token[], i: number): { name: string; next: number } {
  let name = String(tokens[i]?.value ?? '');
  let j = i + 1;
  while (tokens[j]?.kind === 'op' && tokens[j]?.text === '.' && tokens[j + 1]?.kind === 'ident') {
    name += '.' + String(tokens[j + 1]?.value ?? '');
    j += 2;
  }
  return { name, next: j };
}

export function checkReadOnlyVql(source: string): ReadOnlyVerdict {
  const reasons: string[] = [];
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch (e) {
    const msg = e instanceof VqlSyntaxError ? e.message : String(e);
    return { ok: false, calls: [], reasons: [`the query does not tokenize: ${msg}`] };
  }

  // Anything between two tokens that is not whitespace was a comment: refuse (see the header).
  let prevEnd = 0;
  for (const t of tokens) {
    if (source.slice(prevEnd, t.start).trim() !== '') {
      reasons.push('comments are not allowed in read-only mode; remove them');
      break;
    }
    prevEnd = t.end;
  }
  for (const t of tokens) {
    if (t.kind === 'string' && !t.text.startsWith("'''") && /\\['"]/.test(t.text)) {
      reasons.push(
        'escaped quotes inside strings are not allowed in read-only mode; use the other quote kind or an env parameter',
      );
      break;
    }
  }

  // Names the query itself defines with LET (stored queries and variables).
  const defined = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'ident' && !t.text.startsWith('`') && t.text.toUpperCase() === 'LET') {
      const n = tokens[i + 1];
      if (n?.kind === 'ident') {
        const name = String(n.value).toLowerCase();
        if (READ_ONLY_PLUGINS.has(name) || READ_ONLY_FUNCTIONS.has(name)) {
          reasons.push(`LET may not redefine the built-in "${name}"`);
        }
        defined.add(name);
        // `LET a = b` where b is a bare name: an alias, which could smuggle a callable under a new name.
        const eq = tokens[i + 2];
        const body = tokens[i + 3];
        const after = tokens[i + 4];
        if (
          eq?.kind === 'op' &&
          (eq.text === '=' || eq.text === '<=') &&
          body?.kind === 'ident' &&
          !isKeyword(body)
        ) {
          const afterIsEnd =
            after === undefined ||
            after.kind === 'eof' ||
            isKeyword(after) ||
            (after.kind === 'op' && after.text === ';');
          if (afterIsEnd)
            reasons.push(
              `LET ${name} aliases "${String(body.value)}"; aliases are not allowed in read-only mode`,
            );
        }
      }
    }
  }

  const calls: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'ident' || isKeyword(t)) continue;
    // Skip the second half of a dotted name (handled with its head) and member access on values.
    const before = tokens[i - 1];
    if (before?.kind === 'op' && before.text === '.') continue;
    const { name, next } = dottedName(tokens, i);
    const lower = name.toLowerCase();
    const afterName = tokens[next];
    const isCall = afterName?.kind === 'op' && afterName.text === '(';
    const prevIsFrom =
      before !== undefined &&
      before.kind === 'ident' &&
      !before.text.startsWith('`') &&
      before.text.toUpperCase() === 'FROM';
    if (lower.split('.')[0] === 'artifact' && (name.includes('.') || isCall || prevIsFrom)) {
      reasons.push(`"${name}" runs an artifact; not allowed in read-only mode`);
      continue;
    }
    if (!isCall && !prevIsFrom) continue;
    if (name.includes('.')) {
      // a.b(...) is not a VQL call form except for artifacts; refuse rather than guess.
      reasons.push(`"${name}" is not an allowed plugin or function`);
      continue;
    }
    calls.push(lower);
    if (defined.has(lower)) continue;
    const allowed = prevIsFrom
      ? READ_ONLY_PLUGINS.has(lower)
      : READ_ONLY_FUNCTIONS.has(lower) || READ_ONLY_PLUGINS.has(lower);
    if (!allowed) {
      reasons.push(`"${name}" is not on the read-only allow-list`);
      continue;
    }
    if (QUERY_TAKING.has(lower) && isCall) {
      // Refuse string literals as argument values of query-taking calls.
      let depth = 0;
      for (let j = next; j < tokens.length; j++) {
        const a = tokens[j] as Token;
        if (a.kind === 'op' && (a.text === '(' || a.text === '{' || a.text === '[')) depth++;
        else if (a.kind === 'op' && (a.text === ')' || a.text === '}' || a.text === ']')) {
          depth--;
          if (depth === 0) break;
        } else if (depth === 1 && a.kind === 'string') {
          const prev = tokens[j - 1];
          if (prev?.kind === 'op' && prev.text === '=') {
            reasons.push(`${lower}() is given a string as an argument; pass a {subquery} instead`);
            break;
          }
        }
      }
    }
  }
  return { ok: reasons.length === 0, calls, reasons: [...new Set(reasons)] };
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
