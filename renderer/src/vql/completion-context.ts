/**
 * What to complete, decided from the text before the cursor only (pure, so it is unit-tested), on
 * the tokens of the one VQL lexer (shared/vql/lexer) in its tolerant mode:
 * - after FROM: plugin names;
 * - inside `name(` ... before the closing paren: that call's argument names;
 * - after `Artifact.`: artifact names (VQL can call artifacts as plugins);
 * - inside a string or a comment: nothing;
 * - otherwise: functions and keywords.
 */
import { isKeyword, isOp, lexVql, type VqlToken } from '../../../shared/vql/lexer';

export type CompletionContext =
  | { kind: 'none' }
  | { kind: 'plugin'; prefix: string }
  | { kind: 'artifact'; prefix: string }
  | { kind: 'argument'; callee: string; prefix: string; used: string[] }
  | { kind: 'expression'; prefix: string };

/** An open bracket; a '(' right after a name is a call, with the argument names given so far. */
interface Open {
  bracket: string;
  call?: { callee: string; used: string[] };
}

const CLOSES: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

function openBrackets(tokens: VqlToken[]): Open[] {
  const stack: Open[] = [];
  tokens.forEach((t, i) => {
    if (t.kind !== 'op') return;
    const before = tokens[i - 1];
    if (t.value === '(' || t.value === '[' || t.value === '{') {
      const callee = t.value === '(' && before?.kind === 'ident' ? before.value : undefined;
      stack.push({ bracket: t.value, ...(callee ? { call: { callee, used: [] } } : {}) });
    } else if (CLOSES[t.value]) {
      if (stack.at(-1)?.bracket === CLOSES[t.value]) stack.pop();
    } else if (t.value === '=' && before?.kind === 'ident') {
      // name= directly inside a call is an argument; after it, that name is used.
      const prior = tokens[i - 2];
      const top = stack.at(-1);
      if (top?.call && (isOp(prior, '(') || isOp(prior, ','))) top.call.used.push(before.value);
    }
  });
  return stack;
}

export function completionContext(before: string): CompletionContext {
  const all = lexVql(before, { tolerant: true, trivia: true });
  const last = all.at(-1);
  if (last?.unterminated) return { kind: 'none' };
  if (last?.kind === 'comment' && last.end === before.length) return { kind: 'none' };
  if (last?.kind === 'string' && last.end === before.length) return { kind: 'none' };

  const tokens = all.filter((t) => t.kind !== 'whitespace' && t.kind !== 'comment');
  const typing = last?.kind === 'ident' && !last.quoted && last.end === before.length ? last : undefined;
  const prefix = typing?.value ?? '';
  const head = typing ? tokens.slice(0, -1) : tokens;

  // Artifact.A.B. … : the dotted name typed so far after "Artifact."
  let k = head.length;
  const parts: string[] = [prefix];
  while (isOp(head[k - 1], '.') && head[k - 2]?.kind === 'ident') {
    parts.unshift((head[k - 2] as VqlToken).value);
    k -= 2;
  }
  if (parts.length > 1 && parts[0] === 'Artifact')
    return { kind: 'artifact', prefix: parts.slice(1).join('.') };

  const prev = head.at(-1);
  if (isKeyword(prev, 'FROM')) return { kind: 'plugin', prefix };

  const top = openBrackets(head).at(-1);
  if (top?.call && (isOp(prev, '(') || isOp(prev, ',')))
    return { kind: 'argument', callee: top.call.callee, prefix, used: top.call.used };
  return { kind: 'expression', prefix };
}
