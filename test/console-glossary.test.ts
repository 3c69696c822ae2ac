import { describe, expect, it } from 'vitest';
import agent from '../web/src/agent/locales.ts';
import audit from '../web/src/locales/audit.ts';
import common from '../web/src/locales/common.ts';
import errors from '../web/src/locales/errors.ts';
import glossary, { FORBIDDEN } from '../web/src/locales/glossary.ts';
import merchant from '../web/src/merchant/locales.ts';
import operator from '../web/src/operator/locales.ts';
import { ORDER_STATES } from '../web/src/shell/orderStates.ts';

// One word per business term in both consoles (web/src/locales/README.md): the glossary holds the
// term, area modules reference it, and a synonym coming back into any module is caught here.

const AREAS = { common, errors, audit, operator, merchant, agent } as const;
const LANGS = ['zh', 'en'] as const;

type Tree = { [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string'
      ? [[`${prefix}${key}`, value] as [string, string]]
      : leaves(value, `${prefix}${key}.`),
  );
}

function objects(tree: Tree, prefix = ''): [string, Tree][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string'
      ? []
      : [[`${prefix}${key}`, value] as [string, Tree], ...objects(value, `${prefix}${key}.`)],
  );
}

function term(lang: 'zh' | 'en', path: string): string {
  const value = path.split('.').reduce<unknown>((node, key) => (node as Tree)[key], glossary[lang]);
  if (typeof value !== 'string') throw new Error(`glossary has no term ${path}`);
  return value;
}

/** Area keys that name a glossary term: wherever they appear, their value is the glossary's. */
const SAME_AS_GLOSSARY: Record<string, string> = {
  mchNo: 'mchNo',
  orderNo: 'orderNo',
  product: 'product',
  mchOrderNo: 'mchOrderNo',
  channelOrderNo: 'channelOrderNo',
  appId: 'appId',
  manualTag: 'manualTag',
  channelCost: 'cost',
  platformProfit: 'profit',
};

describe('console glossary', () => {
  it('lists forbidden synonyms only for terms it has, none of them a term itself', () => {
    for (const lang of LANGS) {
      const terms = new Set(leaves(glossary[lang] as Tree).map(([, v]) => v));
      for (const [path, synonyms] of Object.entries(FORBIDDEN[lang])) {
        expect(() => term(lang, path)).not.toThrow();
        for (const synonym of synonyms) expect(terms.has(synonym), `${lang} ${synonym}`).toBe(false);
      }
    }
  });

  for (const lang of LANGS) {
    it(`keeps every ${lang} area module free of the glossary's forbidden synonyms`, () => {
      const found: string[] = [];
      for (const [area, module] of Object.entries(AREAS)) {
        for (const [path, value] of leaves(module[lang] as Tree)) {
          for (const [termPath, synonyms] of Object.entries(FORBIDDEN[lang])) {
            if (synonyms.includes(value.trim())) {
              found.push(`${area}:${path} = "${value}" (say "${term(lang, termPath)}")`);
            }
          }
        }
      }
      expect(found).toEqual([]);
    });

    it(`gives ${lang} area keys that name a glossary term the glossary's word`, () => {
      const drift: string[] = [];
      for (const [area, module] of Object.entries(AREAS)) {
        for (const [path, value] of leaves(module[lang] as Tree)) {
          const key = path.split('.').at(-1)!;
          const termPath = SAME_AS_GLOSSARY[key];
          // A sentence (it has placeholders) names the term somewhere in it; a label is the term.
          if (!termPath) continue;
          const word = term(lang, termPath);
          const ok = value.includes('{{') ? value.toLowerCase().includes(word.toLowerCase()) : value === word;
          if (!ok) {
            drift.push(`${area}:${path} = "${value}" (glossary: "${term(lang, termPath)}")`);
          }
        }
      }
      expect(drift).toEqual([]);
    });
  }

  it('keeps the order, notify and refund state tables in the glossary only', () => {
    const tables = [
      [...ORDER_STATES],
      Object.keys(glossary.zh.notifyState),
      Object.keys(glossary.zh.refundState),
      Object.keys(glossary.zh.orderSource),
    ];
    const copies: string[] = [];
    for (const [area, module] of Object.entries(AREAS)) {
      for (const [path, node] of objects(module.zh as Tree)) {
        const keys = Object.keys(node);
        if (tables.some((table) => table.every((k) => keys.includes(k)))) copies.push(`${area}:${path}`);
      }
    }
    expect(copies).toEqual([]);
    expect(Object.keys(glossary.zh.orderState).sort()).toEqual([...ORDER_STATES].sort());
  });

  it('has the words the issue settled', () => {
    expect(glossary.zh.orderState.paid).toBe('支付成功');
    expect(glossary.zh.channelOrderNo).toBe('通道订单号');
    expect(glossary.zh.collectCode).toBe('收款码');
    expect(glossary.zh.orderSource.static_qr).toBe(glossary.zh.collectCode);
    expect(FORBIDDEN.zh['orderState.paid']).toContain('已支付');
    expect(FORBIDDEN.zh.channelOrderNo).toContain('渠道单号');
  });
});
