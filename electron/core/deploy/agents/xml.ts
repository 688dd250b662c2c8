/**
 * A small, strict XML reader for the two kinds of XML agents deal with: WS-Management SOAP answers
 * (WinRM) and launchd property lists. It builds a tree of elements with namespace URIs resolved and
 * refuses anything not well-formed (unclosed or mismatched tags, bad entities, text outside the root,
 * an undeclared prefix). No DTDs are processed — a DOCTYPE is skipped, so no entity expansion
 * ("billion laughs") and no external fetches. (The DOM parser in node_modules would pull the DOM's
 * global types into the Node project; this is all agents need.)
 */
import { AppError } from '../../../../shared/errors';

export interface XmlElement {
  /** Local name (without prefix). */
  name: string;
  /** Namespace URI ('' for none). */
  ns: string;
  /** Attributes by local name (namespaced attributes by `{uri}name` too). */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (concatenated character data, entities decoded). */
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;

function fail(message: string, at: number): never {
  throw new AppError('INVALID_ARGUMENT', `Not well-formed XML at offset ${at}: ${message}.`, {
    details: { at },
  });
}

function decode(text: string, at: number): string {
  return text.replace(/&([^;&\s]*);?/g, (m: string, ref: string) => {
    if (!m.endsWith(';')) fail(`"&" without ";"`, at);
    switch (ref) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const num = /^#x([0-9a-fA-F]+)$/.exec(ref) ?? /^#(\d+)$/.exec(ref);
    if (!num) fail(`unknown entity &${ref};`, at);
    const cp = parseInt(num[1]!, ref.startsWith('#x') ? 16 : 10);
    if (!(cp === 9 || cp === 10 || cp === 13 || (cp >= 32 && cp <= 0x10ffff)))
      fail(`bad character reference &${ref};`, at);
    return String.fromCodePoint(cp);
  });
}

interface Open {
  qname: string;
  attrsRaw: Array<[string, string]>;
  scope: Map<string, string>;
  element: XmlElement;
}

export function parseXml(text: string): XmlElement {
  let i = 0;
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  const baseScope = new Map<string, string>([['xml', 'http://www.w3.org/XML/1998/namespace']]);
  const resolve = (
    qname: string,
    scope: Map<string, string>,
    isAttr: boolean,
    at: number,
  ): { ns: string; name: string } => {
    const c = qname.indexOf(':');
    if (c < 0) return { ns: isAttr ? '' : (scope.get('') ?? ''), name: qname };
    const prefix = qname.slice(0, c);
    const ns = scope.get(prefix);
    if (ns === undefined) fail(`undeclared namespace prefix "${prefix}"`, at);
    return { ns, name: qname.slice(c + 1) };
  };
  if (text.startsWith('\ufeff')) i = 1;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (chunk) {
      const top = stack[stack.length - 1];
      if (top) top.element.text += decode(chunk, i);
      else if (chunk.trim()) fail('text outside the root element', i);
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction', i);
      if (text.startsWith('<?xml ', i) && i !== 0 && text.slice(0, i).trim() === '')
        fail('XML declaration not at the start', i);
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment', i);
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA section', i);
      const top = stack[stack.length - 1];
      if (!top) fail('CDATA outside the root element', i);
      top.element.text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith('<!DOCTYPE', i)) {
      if (root || stack.length) fail('DOCTYPE after the root element', i);
      // Skip it, internal subset included; nothing in it is processed.
      let depth = 0;
      let j = i + 9;
      for (; j < text.length; j++) {
        if (text[j] === '[') depth++;
        else if (text[j] === ']') depth--;
        else if (text[j] === '>' && depth <= 0) break;
      }
      if (j >= text.length) fail('unterminated DOCTYPE', i);
      i = j + 1;
    } else if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      if (end < 0) fail('unterminated end tag', i);
      const qname = text.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.qname !== qname) fail(`</${qname}> does not close <${top?.qname ?? 'nothing'}>`, i);
      i = end + 1;
    } else {
      const m = /^<([^\s/>]+)/.exec(text.slice(i, i + 300));
      if (!m || !NAME.test(m[1]!)) fail('bad start tag', i);
      const qname = m[1]!;
      let j = i + 1 + qname.length;
      const attrsRaw: Array<[string, string]> = [];
      for (;;) {
        while (/\s/.test(text[j] ?? '')) j++;
        if (text[j] === '>' || text.startsWith('/>', j)) break;
        const a = /^([^\s=/>]+)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(text.slice(j, j + 65_536));
        if (!a || !NAME.test(a[1]!)) fail(`bad attribute in <${qname}>`, j);
        if (attrsRaw.some(([n]) => n === a[1])) fail(`duplicate attribute ${a[1]}`, j);
        attrsRaw.push([a[1]!, decode(a[3] ?? a[4] ?? '', j)]);
        j += a[0].length;
        if (!/[\s/>]/.test(text[j] ?? '')) fail(`attributes of <${qname}> not separated`, j);
      }
      const selfClosing = text.startsWith('/>', j);
      const parentScope = stack[stack.length - 1]?.scope ?? baseScope;
      const scope = new Map(parentScope);
      for (const [n, v] of attrsRaw) {
        if (n === 'xmlns') scope.set('', v);
        else if (n.startsWith('xmlns:')) scope.set(n.slice(6), v);
      }
      const { ns, name } = resolve(qname, scope, false, i);
      const attrs: Record<string, string> = {};
      for (const [n, v] of attrsRaw) {
        if (n === 'xmlns' || n.startsWith('xmlns:')) continue;
        const r = resolve(n, scope, true, j);
        attrs[r.name] = v;
        if (r.ns) attrs[`{${r.ns}}${r.name}`] = v;
      }
      const element: XmlElement = { name, ns, attrs, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.element.children.push(element);
      else if (root) fail('a second root element', i);
      else root = element;
      i = j + (selfClosing ? 2 : 1);
      if (!selfClosing) stack.push({ qname, attrsRaw, scope, element });
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.qname}> is not closed`, text.length);
  if (!root) fail('no root element', 0);
  return root;
}

/** Children with this local name (and namespace, when given). */
export function children(e: XmlElement, name: string, ns?: string): XmlElement[] {
  return e.children.filter((c) => c.name === name && (ns === undefined || c.ns === ns));
}

export function child(e: XmlElement, name: string, ns?: string): XmlElement | undefined {
  return children(e, name, ns)[0];
}

/** The first descendant with this local name (depth first). */
export function find(e: XmlElement, name: string, ns?: string): XmlElement | undefined {
  for (const c of e.children) {
    if (c.name === name && (ns === undefined || c.ns === ns)) return c;
    const deep = find(c, name, ns);
    if (deep) return deep;
  }
  return undefined;
}

export function findAll(e: XmlElement, name: string, ns?: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of e.children) {
    if (c.name === name && (ns === undefined || c.ns === ns)) out.push(c);
    findAll(c, name, ns, out);
  }
  return out;
}

/** Text for an element or attribute value. */
export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

export type PlistValue =
  string | number | boolean | Date | Buffer | PlistValue[] | { [k: string]: PlistValue };

/** A launchd property list (XML form) as plain values. */
export function parsePlist(text: string): PlistValue {
  const root = parseXml(text);
  if (root.name !== 'plist') throw new AppError('INVALID_ARGUMENT', 'The property list has no <plist> root.');
  const values = root.children;
  if (values.length !== 1) throw new AppError('INVALID_ARGUMENT', 'A property list holds exactly one value.');
  const value = (e: XmlElement): PlistValue => {
    switch (e.name) {
      case 'string':
        return e.text;
      case 'integer':
        if (!/^-?\d+$/.test(e.text.trim()))
          throw new AppError('INVALID_ARGUMENT', `Bad <integer> ${e.text}.`);
        return Number(e.text.trim());
      case 'real':
        return Number(e.text.trim());
      case 'true':
        return true;
      case 'false':
        return false;
      case 'date':
        return new Date(e.text.trim());
      case 'data':
        return Buffer.from(e.text.replace(/\s+/g, ''), 'base64');
      case 'array':
        return e.children.map(value);
      case 'dict': {
        const out: Record<string, PlistValue> = {};
        for (let k = 0; k < e.children.length; k += 2) {
          const key = e.children[k]!;
          const v = e.children[k + 1];
          if (key.name !== 'key' || !v)
            throw new AppError('INVALID_ARGUMENT', 'A <dict> must alternate <key> and a value.');
          out[key.text] = value(v);
        }
        return out;
      }
      default:
        throw new AppError('INVALID_ARGUMENT', `Unknown property list element <${e.name}>.`);
    }
  };
  return value(values[0]!);
}
