import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * The merchant API reference as a page in the reader's language: the merchant portal's
 * 接口文档 link opens /docs/merchant-api?lang=…, rendered from docs/merchant-api.md or its Chinese
 * translation, under a policy that lets the page load nothing but its own inline style.
 */

const DOCS = path.resolve(import.meta.dirname, '../docs');

interface Page {
  status: number;
  type: string;
  csp: string;
  language: string;
  html: string;
}

/** What both languages must have alike: the same code blocks, table rows, headings and error codes. */
function shape(markdown: string) {
  const fences = markdown.match(/^\s*```/gm)?.length ?? 0;
  const tableRows = markdown.match(/^\|.*\|$/gm)?.length ?? 0;
  const headings = (markdown.match(/^#{1,3} /gm) ?? []).map((h) => h.trim());
  const codes = [...new Set(markdown.match(/`[A-Z][A-Z_]{5,}`/g) ?? [])].sort();
  const endpoints = markdown.match(/`(GET|POST) \/api\/v1[^`]*`/g) ?? [];
  return { fences, tableRows, headings, codes, endpoints };
}

describe.each(testDatabases)('merchant API reference page on $kind', (database) => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform(database);
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function page(query: string, headers: Record<string, string> = {}): Promise<Page> {
    const response = await fetch(`${t.platform.url}/docs/merchant-api${query}`, { headers });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      csp: response.headers.get('content-security-policy') ?? '',
      language: response.headers.get('content-language') ?? '',
      html: await response.text(),
    };
  }

  it('answers in Chinese with lang=zh-CN and in English with lang=en-US', async () => {
    const zh = await page('?lang=zh-CN');
    expect(zh).toMatchObject({ status: 200, language: 'zh-CN' });
    expect(zh.type).toMatch(/^text\/html; charset=utf-8/);
    expect(zh.html).toContain('<html lang="zh-CN">');
    expect(zh.html).toContain('<title>商户接口文档 · 青云支付</title>');
    expect(zh.html).toMatch(/<h2 id="[^"]+">请求签名<\/h2>/);
    expect(zh.html).toContain(
      '<h3 id="创建-post-api-v1-orders">创建 — <code>POST /api/v1/orders</code></h3>',
    );
    // The table of contents links to the headings; the other language is one click away.
    expect(zh.html).toContain('<a href="#创建-post-api-v1-orders">');
    expect(zh.html).toContain('<a href="?lang=en-US" hreflang="en-US"');
    expect(zh.html).not.toContain('Signing a request');

    const en = await page('?lang=en-US');
    expect(en).toMatchObject({ status: 200, language: 'en-US' });
    expect(en.html).toContain('<html lang="en-US">');
    expect(en.html).toContain('<h1 id="merchant-api">Merchant API</h1>');
    expect(en.html).toMatch(/<h2 id="signing-a-request">Signing a request<\/h2>/);
    expect(en.html).toContain('<a href="?lang=zh-CN" hreflang="zh-CN"');
    expect(en.html).not.toContain('请求签名');
    // Markdown is rendered: tables and code blocks, not raw pipes and fences.
    expect(en.html).toContain('<table tabindex="0">');
    expect(en.html).toContain('<td><code>SIGNATURE_INVALID</code></td>');
    expect(en.html).not.toContain('```');
  });

  it("follows the browser's language when none is asked for, Chinese by default", async () => {
    expect((await page('', { 'accept-language': 'en-GB,en;q=0.9' })).language).toBe('en-US');
    expect((await page('', { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' })).language).toBe('zh-CN');
    expect((await page('')).language).toBe('zh-CN');
    expect((await page('?lang=xx')).language).toBe('zh-CN');
  });

  it('loads nothing: no script, no outside file, only its own style allowed by hash', async () => {
    for (const lang of ['zh-CN', 'en-US']) {
      const { csp, html } = await page(`?lang=${lang}`);
      expect(csp.split('; ')).toEqual([
        "default-src 'none'",
        expect.stringMatching(/^style-src 'sha256-[A-Za-z0-9+/]+=*'$/),
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ]);
      expect(csp).not.toContain('unsafe');
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
      const hash = createHash('sha256').update(style).digest('base64');
      expect(csp).toContain(`'sha256-${hash}'`);
      expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|@import|url\(/i);
    }
  });

  it('has a complete Chinese translation: the same sections, examples, tables and error codes', () => {
    const en = shape(fs.readFileSync(path.join(DOCS, 'merchant-api.md'), 'utf8'));
    const zh = shape(fs.readFileSync(path.join(DOCS, 'merchant-api.zh-CN.md'), 'utf8'));
    expect(zh.fences).toBe(en.fences);
    expect(zh.tableRows).toBe(en.tableRows);
    expect(zh.headings).toEqual(en.headings);
    expect(zh.codes).toEqual(en.codes);
    expect(zh.endpoints).toEqual(en.endpoints);
  });
});
