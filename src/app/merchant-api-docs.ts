import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Marked, type Tokens } from 'marked';
import { escapeHtml } from '../html.ts';

/**
 * The merchant API reference (docs/merchant-api.md, and its Chinese translation
 * docs/merchant-api.zh-CN.md) as a page in the reader's language at /docs/merchant-api?lang=…,
 * which the merchant portal's 接口文档 link opens. The Markdown is the repository's own; it is
 * rendered once per language with `marked` and kept. The page loads nothing: one inline style,
 * allowed by its hash, under a policy that allows nothing else.
 */

export const DOCS_LANGUAGES = ['zh-CN', 'en-US'] as const;
export type DocsLanguage = (typeof DOCS_LANGUAGES)[number];

const DOCS_DIR = path.resolve(import.meta.dirname, '../../docs');
const SOURCE: Record<DocsLanguage, string> = {
  'zh-CN': 'merchant-api.zh-CN.md',
  'en-US': 'merchant-api.md',
};

const WORDS: Record<DocsLanguage, { title: string; product: string; contents: string; other: string }> = {
  'zh-CN': { title: '商户接口文档', product: '青云支付', contents: '目录', other: 'English' },
  'en-US': { title: 'Merchant API reference', product: 'Qingyun Pay', contents: 'Contents', other: '中文' },
};

/** The product's look without loading anything: the consoles' blue, system fonts, readable code. */
const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f5f5f5;color:rgba(0,0,0,.88);font:14px/1.7 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans SC",sans-serif}
header{position:sticky;top:0;z-index:1;display:flex;align-items:center;justify-content:space-between;gap:16px;padding:0 24px;height:56px;background:#fff;border-bottom:1px solid #f0f0f0}
header .brand{font-weight:600;font-size:16px;color:#0958d9}
header .brand span{color:rgba(0,0,0,.88);font-weight:500;margin-left:8px}
header nav a{color:#0958d9;text-decoration:none;padding:4px 12px;border:1px solid #d9d9d9;border-radius:6px;background:#fff}
header nav a:hover{border-color:#1677ff}
.layout{display:flex;gap:24px;max-width:1200px;margin:0 auto;padding:24px}
aside{flex:0 0 240px;position:sticky;top:80px;align-self:flex-start;max-height:calc(100vh - 104px);overflow:auto;background:#fff;border-radius:8px;padding:16px}
aside h2{font-size:13px;margin:0 0 8px;color:rgba(0,0,0,.65)}
aside ul{list-style:none;margin:0;padding:0}
aside li{margin:2px 0}
aside li.h3{padding-left:14px;font-size:13px}
aside a{color:rgba(0,0,0,.78);text-decoration:none}
aside a:hover{color:#0958d9}
main{flex:1;min-width:0;background:#fff;border-radius:8px;padding:24px 32px 40px}
main h1{font-size:26px;margin:0 0 16px}
main h2{font-size:20px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid #f0f0f0}
main h3{font-size:16px;margin:24px 0 8px}
main a{color:#0958d9}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px;background:#f6f8fa;border-radius:4px;padding:1px 5px}
pre{background:#f6f8fa;border:1px solid #eaecef;border-radius:6px;padding:12px 16px;overflow:auto}
pre code{background:none;padding:0;white-space:pre}
table{border-collapse:collapse;width:100%;margin:12px 0;display:block;overflow:auto}
th,td{border:1px solid #f0f0f0;padding:6px 10px;text-align:left;vertical-align:top}
th{background:#fafafa;font-weight:600}
@media (max-width:860px){.layout{display:block;padding:12px}aside{position:static;max-height:none;margin-bottom:12px}main{padding:16px}}
`;
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** Nothing but the inline style above: no script, no image, no font, no frame, no form. */
export const MERCHANT_DOCS_CSP = [
  "default-src 'none'",
  `style-src ${STYLE_HASH}`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A heading's anchor: its words (any script) joined by dashes, made unique on the page. */
function slugger() {
  const seen = new Map<string, number>();
  return (text: string) => {
    const base =
      text
        .toLowerCase()
        .replace(/<[^>]*>/g, '')
        .replace(/&[a-z#0-9]+;/g, '')
        .replace(/[^\p{L}\p{N}]+/gu, '-')
        .replace(/^-+|-+$/g, '') || 'section';
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  };
}

/** Renders one language's reference into a whole page. */
export function renderMerchantApiDocs(language: DocsLanguage, markdown: string): string {
  const slug = slugger();
  const contents: { depth: number; id: string; html: string }[] = [];
  const marked = new Marked({
    gfm: true,
    renderer: {
      heading(
        this: { parser: { parseInline(tokens: Tokens.Heading['tokens']): string } },
        token: Tokens.Heading,
      ) {
        const html = this.parser.parseInline(token.tokens);
        const id = slug(html);
        if (token.depth === 2 || token.depth === 3) contents.push({ depth: token.depth, id, html });
        return `<h${token.depth} id="${id}">${html}</h${token.depth}>\n`;
      },
      // A code block scrolls sideways on a narrow screen: focusable, so a keyboard can scroll it too.
      code(token: Tokens.Code) {
        const language = token.lang ? ` class="language-${escapeHtml(token.lang)}"` : '';
        return `<pre tabindex="0"><code${language}>${escapeHtml(token.text)}</code></pre>\n`;
      },
    },
  });
  // Wide tables scroll sideways on a phone: focusable, like the code blocks, for the keyboard.
  const body = marked.parse(markdown, { async: false }).replaceAll('<table>', '<table tabindex="0">');
  const words = WORDS[language];
  const other: DocsLanguage = language === 'zh-CN' ? 'en-US' : 'zh-CN';
  const toc = contents.map((c) => `<li class="h${c.depth}"><a href="#${c.id}">${c.html}</a></li>`).join('');
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${words.title} · ${words.product}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<div class="brand">${escapeHtml(words.product)}<span>${escapeHtml(words.title)}</span></div>
<nav><a href="?lang=${other}" hreflang="${other}" lang="${other}" data-lang="${other}">${escapeHtml(words.other)}</a></nav>
</header>
<div class="layout">
<aside><h2>${escapeHtml(words.contents)}</h2><ul>${toc}</ul></aside>
<main>
${body}
</main>
</div>
</body>
</html>
`;
}

/** The language asked for (`?lang=`), else the browser's first preference we have, else Chinese. */
export function docsLanguageOf(request: FastifyRequest): DocsLanguage {
  const asked = (request.query as { lang?: unknown } | undefined)?.lang;
  if (typeof asked === 'string') {
    if (asked.toLowerCase().startsWith('en')) return 'en-US';
    if (asked.toLowerCase().startsWith('zh')) return 'zh-CN';
  }
  const accept = String(request.headers['accept-language'] ?? '').toLowerCase();
  const first = accept.split(',')[0]?.trim() ?? '';
  return first.startsWith('en') ? 'en-US' : 'zh-CN';
}

export async function merchantApiDocsRoutes(app: FastifyInstance) {
  const pages = new Map<DocsLanguage, string>();
  const pageOf = (language: DocsLanguage) => {
    let page = pages.get(language);
    if (page === undefined) {
      const markdown = fs.readFileSync(path.join(DOCS_DIR, SOURCE[language]), 'utf8');
      page = renderMerchantApiDocs(language, markdown);
      pages.set(language, page);
    }
    return page;
  };

  app.get('/docs/merchant-api', { schema: { hide: true } }, async (request, reply) => {
    const language = docsLanguageOf(request);
    return reply
      .type('text/html; charset=utf-8')
      .header('content-language', language)
      .header('vary', 'accept-language')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', MERCHANT_DOCS_CSP)
      .send(pageOf(language));
  });
}
