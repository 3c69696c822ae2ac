import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Visible Chinese text left on an English page once the data's own strings (names people typed,
 * Chinese on purpose) are taken out: words the consoles forgot to translate. The language switch
 * names Chinese in Chinese (lang="zh-CN"); inputs, hidden and closed things do not count. The screen
 * walks (every-screen.ts) apply the same rule to every screen.
 */
export async function chineseOutside(page: Page, data: readonly string[]): Promise<string[]> {
  return page.evaluate((strings) => {
    const found: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      let text = node.textContent ?? '';
      for (const d of strings) text = text.split(d).join('');
      if (!/[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]/.test(text)) continue;
      const parent = node.parentElement;
      if (
        !parent ||
        parent.closest('input, textarea, [lang="zh-CN"], [aria-hidden="true"], .ant-dropdown-hidden')
      )
        continue;
      const box = parent.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(parent).visibility === 'hidden') continue;
      found.push(text.trim().slice(0, 60));
    }
    return found;
  }, data as string[]);
}

/** axe-core's serious and critical findings on the page as it is (at most three nodes each). */
export async function axeFindings(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    type Result = {
      violations: { id: string; impact: string | null; nodes: { html: string; failureSummary?: string }[] }[];
    };
    const axe = (window as unknown as { axe: { run: (d: Document, o: object) => Promise<Result> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) =>
        v.nodes
          .slice(0, 3)
          .map((n) => `${v.id}: ${n.html.slice(0, 160)} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`),
      );
  });
}
