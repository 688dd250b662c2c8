/**
 * Unit test of the renderer's Markdown/HTML sanitiser (renderer/src/components/safe/sanitize.ts) in
 * a real browser: DOMPurify needs a DOM, and vitest here runs in Node without one. The module is
 * bundled with esbuild and loaded into a blank Chromium page (no app, no server); every hostile
 * input is sanitised, inserted into the document, and the document is then checked for anything
 * that could run, load or navigate. Payloads set window.__pwned instead of alerting, and every
 * network request the page makes is recorded (there must be none).
 */
import { test as base, expect } from '@playwright/test';
import { build } from 'esbuild';
import { join } from 'node:path';
import { chromium } from '../test/real-parts';
import { ROOT } from './serve';

interface SanitizerGlobal {
  renderMarkdown(md: string): string;
  sanitizeHtml(html: string): string;
}

const test = base.extend<{
  sanitizer: { md: (s: string) => Promise<string>; html: (s: string) => Promise<string>; requests: string[] };
}>({
  sanitizer: async ({ page }, use, testInfo) => {
    chromium().skipOrFail((skip, why) => testInfo.skip(skip, why));
    const bundle = await build({
      entryPoints: [join(ROOT, 'renderer', 'src', 'components', 'safe', 'sanitize.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: 'MrSanitize',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
    });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url());
    });
    await page.setContent(
      '<!doctype html><html><head><title>sanitizer</title></head><body><div id="out"></div></body></html>',
    );
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const run = (fn: 'renderMarkdown' | 'sanitizeHtml') => (s: string) =>
      page.evaluate(
        ([f, input]) =>
          (window as unknown as { MrSanitize: SanitizerGlobal }).MrSanitize[
            f as 'renderMarkdown' | 'sanitizeHtml'
          ](input!),
        [fn, s],
      );
    await use({ md: run('renderMarkdown'), html: run('sanitizeHtml'), requests });
  },
});

/** Hostile inputs, as Markdown (raw HTML passes through marked) — each must come out inert. */
const HOSTILE = [
  // scripts
  '<script>window.__pwned = "script"</script>',
  '<SCRIPT SRC="http://198.51.100.23/x.js"></SCRIPT>',
  '<scr<script>ipt>window.__pwned="nested"</script>',
  // event handlers
  '<img src="x" onerror="window.__pwned = \'onerror\'">',
  '<div onclick="window.__pwned=1" onmouseover="window.__pwned=2">hover</div>',
  '<body onload="window.__pwned=\'body\'">',
  '<details open ontoggle="window.__pwned=\'toggle\'"><summary>x</summary></details>',
  '<p ONFOCUS="window.__pwned=1" autofocus tabindex=0>focus</p>',
  // javascript: and other dangerous URLs
  '[click me](javascript:window.__pwned="md-link")',
  '<a href="javascript:window.__pwned=\'a\'">a</a>',
  '<a href="  JaVaScRiPt:window.__pwned=1">spaced</a>',
  '<a href="data:text/html,<script>window.__pwned=1</script>">data link</a>',
  '<a href="vbscript:msgbox(1)">vb</a>',
  // remote loads
  '![tracker](http://198.51.100.23/pixel.png)',
  '<img src="https://evil.example/x.png" srcset="https://evil.example/x2.png 2x">',
  '<iframe src="http://evil.example/"></iframe>',
  '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
  '<object data="http://evil.example/x.swf"></object><embed src="http://evil.example/x.swf">',
  '<video poster="http://evil.example/p.png"><source src="http://evil.example/v.mp4"></video>',
  '<audio src="http://evil.example/a.mp3" autoplay></audio>',
  '<link rel="stylesheet" href="http://evil.example/x.css">',
  '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
  '<base href="http://evil.example/">',
  '<table background="http://evil.example/bg.png"><tr><td>t</td></tr></table>',
  '<input type="image" src="http://evil.example/i.png">',
  '<form action="http://evil.example/"><button formaction="http://evil.example/b">go</button></form>',
  // SVG and MathML tricks
  '<svg onload="window.__pwned=\'svg\'"><circle r="5"/></svg>',
  '<svg><script>window.__pwned="svg-script"</script></svg>',
  '<svg><a xlink:href="javascript:window.__pwned=1"><text y="10">x</text></a></svg>',
  '<svg><use href="http://evil.example/sprite.svg#a"/></svg>',
  '<svg><image href="http://evil.example/i.png"/><foreignObject><img src=x onerror="window.__pwned=1"></foreignObject></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=\'mxss\'">',
  '<svg><style><img src=x onerror="window.__pwned=1"></style></svg>',
  // CSS url() and other style
  '<div style="background:url(http://evil.example/bg.png)">styled</div>',
  '<p style="background-image: url(\'https://evil.example/x\')">p</p>',
  '<style>body { background: url(http://evil.example/s.png) } </style>',
  '<span style="behavior:url(x.htc); -moz-binding:url(http://evil.example/x.xml#x)">s</span>',
  // markdown autolinks and reference links
  '<http://evil.example/autolink>',
  '[ref][1]\n\n[1]: http://evil.example/ref "t"',
  '<a href="http://evil.example/" target="_blank" rel="opener">new window</a>',
  '<area href="http://evil.example/" shape="rect"><map><area href="javascript:window.__pwned=1"></map>',
];

test.describe('Markdown and HTML sanitisation', () => {
  test('every hostile input comes out with nothing that runs, loads or navigates', async ({
    page,
    sanitizer,
  }) => {
    const outputs: string[] = [];
    for (const h of HOSTILE) outputs.push(await sanitizer.md(h), await sanitizer.html(h));
    for (const o of outputs) {
      expect(o).not.toMatch(
        /<script|<iframe|<object|<embed|<svg|<math|<style|<link|<meta|<base|<form|<input|<button|<video|<audio|<source/i,
      );
      expect(o).not.toMatch(/\son[a-z]+\s*=/i);
      expect(o).not.toMatch(
        /\s(href|src|srcset|srcdoc|action|formaction|background|poster|style|xlink:href)\s*=/i,
      );
      expect(o).not.toMatch(/=\s*["']?\s*(?:javascript|vbscript):/i);
    }
    // Into the document: nothing runs, nothing loads.
    await page.evaluate((html) => {
      document.getElementById('out')!.innerHTML = html;
    }, outputs.join('\n'));
    await page
      .locator('#out div')
      .first()
      .hover()
      .catch(() => undefined);
    await page.waitForTimeout(300);
    const report = await page.evaluate(() => {
      const out = document.getElementById('out')!;
      const all = [...out.querySelectorAll('*')];
      return {
        pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
        forbidden: out.querySelectorAll(
          'script,iframe,frame,object,embed,svg,math,style,link,meta,base,form,input,button,video,audio,source,area,map',
        ).length,
        handlers: all.flatMap((e) =>
          [...e.attributes]
            .filter((a) => a.name.toLowerCase().startsWith('on'))
            .map((a) => `${e.tagName}.${a.name}`),
        ),
        urls: all.flatMap((e) =>
          [
            'href',
            'src',
            'srcset',
            'srcdoc',
            'action',
            'formaction',
            'background',
            'poster',
            'style',
            'xlink:href',
            'target',
          ]
            .filter((n) => e.hasAttribute(n))
            .map((n) => `${e.tagName}.${n}=${e.getAttribute(n)}`),
        ),
      };
    });
    expect(report).toEqual({ pwned: null, forbidden: 0, handlers: [], urls: [] });
    expect(sanitizer.requests).toEqual([]);
  });

  test('links keep their text and target as data, and a click does not navigate', async ({
    page,
    sanitizer,
  }) => {
    const html = await sanitizer.md(
      'See [the report](http://evil.example/report) and <https://evil.example/auto>.',
    );
    expect(html).toContain('data-href="http://evil.example/report"');
    expect(html).toContain('title="Link not followed: http://evil.example/report"');
    expect(html).not.toMatch(/\shref=/);
    await page.evaluate((h) => {
      document.getElementById('out')!.innerHTML = h;
    }, html);
    const before = page.url();
    await page.getByText('the report').click();
    await page.getByText('https://evil.example/auto').click();
    await page.waitForTimeout(300);
    expect(page.url()).toBe(before);
    expect(sanitizer.requests).toEqual([]);
  });

  test('harmless Markdown survives: emphasis, code, tables, lists, and data: images', async ({
    sanitizer,
  }) => {
    const png =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
    const html = await sanitizer.md(
      `# Title\n\n**bold** _it_ \`code <b>\`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n![dot](${png})`,
    );
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>it</em>');
    expect(html).toContain('<code>code &lt;b&gt;</code>');
    expect(html).toMatch(/<table>[\s\S]*<td>1<\/td>/);
    expect(html).toContain('<li>two</li>');
    expect(html).toContain(`src="${png}"`);
    // Text that merely looks like markup stays text.
    expect(await sanitizer.md('a &lt;script&gt; b')).toContain('&lt;script&gt;');
  });
});
