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

/** Shorter pieces of a key would match ordinary text: a PEM line is 64 characters, the last one less. */
const MIN_PIECE = 16;

function base64(text: string): string[] {
  const b = Buffer.from(text, 'utf8');
  return [b.toString('base64'), b.toString('base64url')];
}

/**
 * The spellings a PEM private key can take in a query result: the PEM itself (also with CRLF line
 * ends), its base64 body on one line (the DER as base64), each of its lines (a key split across
 * rows or cells), and the whole PEM base64-encoded (VQL's base64encode) in both alphabets.
 */
export function keyMaterialForms(pem: string): string[] {
  const text = pem.trim();
  if (!text) return [];
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const body = lines.filter((l) => l !== '' && !l.startsWith('-----') && !/^[A-Za-z-]+:/.test(l));
  const forms = [
    text,
    lines.join('\r\n'),
    body.join(''),
    ...body.filter((l) => l.length >= MIN_PIECE),
    ...base64(text),
    ...base64(text + '\n'),
  ];
  return [...new Set(forms.filter((f) => f.length >= MIN_PIECE))];
}

export class Redactor {
  private secrets: string[] = [];

  /** Registers every spelling of a PEM private key (keyMaterialForms). */
  addKeyMaterial(pem: string | undefined): void {
    for (const f of keyMaterialForms(pem ?? '')) this.addSecret(f);
  }

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
