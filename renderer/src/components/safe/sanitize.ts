/**
 * Endpoint data and notebook Markdown are hostile. Markdown is rendered by marked and then cleaned
 * by DOMPurify: no scripts, no event handlers, no styles or frames, no remote loads (images only
 * as data: URIs), and links are kept as text the responder can copy — never followed by a click.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

let hooked = false;

function ensureHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      const href = node.getAttribute('href');
      node.removeAttribute('href');
      node.removeAttribute('target');
      if (href) {
        node.setAttribute('data-href', href);
        node.setAttribute('title', `Link not followed: ${href}`);
      }
    } else if (node.hasAttribute('href')) {
      // Only <a> keeps its target (as data-href); any other element with a URL to follow loses it.
      node.removeAttribute('href');
    }
    if (node.tagName === 'IMG') {
      const src = node.getAttribute('src') ?? '';
      if (!src.startsWith('data:image/')) node.removeAttribute('src');
      node.removeAttribute('srcset');
    }
  });
}

export function sanitizeHtml(html: string): string {
  ensureHooks();
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: [
      'style',
      'form',
      'input',
      'button',
      'iframe',
      'frame',
      'object',
      'embed',
      'link',
      'meta',
      'base',
      'svg',
      'math',
      'video',
      'audio',
      'source',
      'area',
      'map',
    ],
    FORBID_ATTR: ['style', 'srcset', 'action', 'formaction', 'background', 'poster'],
  });
}

export function renderMarkdown(md: string): string {
  const html = marked.parse(md, { async: false, gfm: true });
  return sanitizeHtml(html);
}
