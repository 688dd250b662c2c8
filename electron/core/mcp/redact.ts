/**
 * Keeps secrets out of tool output, errors and the audit log. Three nets: values registered as
 * secrets (the bearer token, key material from API configs) are replaced wherever they appear;
 * object keys that name secrets have their values replaced; and text that looks like key material
 * (PEM private keys, bearer headers) is replaced even when nobody registered it.
 */

export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /(pass(word|phrase)?|secret|token|private[_-]?key|api[_-]?key|authorization|cookie|credential)/i;
const PEM_PRIVATE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g;

export class Redactor {
  private secrets: string[] = [];

  /** Registers a secret value; strings shorter than 6 characters are ignored (too many false hits). */
  addSecret(value: string | undefined): void {
    if (value === undefined || value.length < 6 || this.secrets.includes(value)) return;
    this.secrets.push(value);
    // Longest first, so a secret containing another is replaced whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  text(s: string): string {
    let out = s;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out.replace(PEM_PRIVATE, REDACTED).replace(BEARER, `Bearer ${REDACTED}`);
  }

  /** Deep copy with secrets replaced. Cycles and depth beyond 32 become a marker, never a throw. */
  value(v: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
    if (typeof v === 'string') return this.text(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth > 32 || seen.has(v)) return '[…]';
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => this.value(x, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] =
        SECRET_KEY.test(k) && x !== null && x !== undefined && x !== ''
          ? REDACTED
          : this.value(x, depth + 1, seen);
    }
    return out;
  }
}
