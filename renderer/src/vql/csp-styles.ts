/**
 * Monaco adds <style> elements at run time, and the app's CSP allows styles only with the page's
 * nonce. Monaco has no nonce option, so before it loads, <style> elements created by the document
 * get the nonce Vite put on <meta property="csp-nonce">. Only style elements are touched.
 */
let patched = false;

export function applyStyleNonce(doc: Document = document): void {
  if (patched) return;
  patched = true;
  const nonce = doc.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce;
  if (!nonce) return;
  const create = doc.createElement.bind(doc);
  const patchedCreate = (tag: string, options?: ElementCreationOptions): HTMLElement => {
    const el = create(tag, options);
    if (tag.toLowerCase() === 'style') el.setAttribute('nonce', nonce);
    return el;
  };
  Object.defineProperty(doc, 'createElement', { value: patchedCreate, configurable: true, writable: true });
}
