/**
 * What to complete, decided from the text before the cursor only (pure, so it is unit-tested):
 * - after FROM / JOIN-like positions: plugin names;
 * - inside `name(` ... before the closing paren: that call's argument names (and after
 *   `artifact=` / `Artifact.` positions: artifact names);
 * - after `Artifact.`: artifact names (VQL can call artifacts as plugins);
 * - inside a string or a comment: nothing;
 * - otherwise: functions and keywords.
 */
export type CompletionContext =
  | { kind: 'none' }
  | { kind: 'plugin'; prefix: string }
  | { kind: 'artifact'; prefix: string }
  | { kind: 'argument'; callee: string; prefix: string; used: string[] }
  | { kind: 'expression'; prefix: string };

interface Scan {
  inString: boolean;
  inComment: boolean;
  /** Open calls, innermost last: callee name and argument names already given. */
  calls: Array<{ callee: string; used: string[]; depthStart: number }>;
}

function scan(text: string): Scan {
  const calls: Scan['calls'] = [];
  let quote: string | null = null;
  let lineComment = false;
  let blockComment = false;
  const stack: Array<string | null> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (lineComment) {
      if (c === '\n') lineComment = false;
      continue;
    }
    if (blockComment) {
      if (c === '*' && text[i + 1] === '/') {
        blockComment = false;
        i++;
      }
      continue;
    }
    if (quote) {
      if (quote === "'''" ? text.startsWith("'''", i) : c === quote) {
        if (quote === "'''") i += 2;
        quote = null;
      } else if (c === '\\' && quote !== "'''") i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') lineComment = true;
    else if (c === '-' && text[i + 1] === '-') lineComment = true;
    else if (c === '/' && text[i + 1] === '*') blockComment = true;
    else if (text.startsWith("'''", i)) {
      quote = "'''";
      i += 2;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') {
      const m = /([A-Za-z_][A-Za-z0-9_.]*)\s*$/.exec(text.slice(0, i));
      const callee = m?.[1] ?? null;
      stack.push(callee);
      if (callee) calls.push({ callee, used: [], depthStart: stack.length });
    } else if (c === ')') {
      const popped = stack.pop();
      if (popped && calls.length && calls[calls.length - 1]!.depthStart === stack.length + 1) calls.pop();
    } else if (c === '=' && calls.length && calls[calls.length - 1]!.depthStart === stack.length) {
      const m = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(text.slice(0, i));
      if (m && text[i + 1] !== '~' && text[i - 1] !== '!' && text[i - 1] !== '<' && text[i - 1] !== '>')
        calls[calls.length - 1]!.used.push(m[1]!);
    }
  }
  return { inString: quote !== null, inComment: lineComment || blockComment, calls };
}

export function completionContext(before: string): CompletionContext {
  const s = scan(before);
  if (s.inString || s.inComment) return { kind: 'none' };
  const word = /([A-Za-z_][A-Za-z0-9_]*)$/.exec(before)?.[1] ?? '';
  const head = before.slice(0, before.length - word.length);

  const art = /Artifact\.([A-Za-z0-9_.]*)$/.exec(before);
  if (art) return { kind: 'artifact', prefix: art[1] ?? '' };

  if (/\bFROM\s+$/i.test(head)) return { kind: 'plugin', prefix: word };

  const call = s.calls[s.calls.length - 1];
  if (call) {
    // Directly after "(" or ",": an argument name is expected.
    if (/[(,]\s*$/.test(head))
      return { kind: 'argument', callee: call.callee, prefix: word, used: call.used };
  }
  return { kind: 'expression', prefix: word };
}
