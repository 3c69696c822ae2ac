import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import agent from '../web/src/agent/locales.ts';
import audit from '../web/src/locales/audit.ts';
import common from '../web/src/locales/common.ts';
import errors from '../web/src/locales/errors.ts';
import glossary from '../web/src/locales/glossary.ts';
import memberImport from '../web/src/locales/memberImport.ts';
import member from '../web/src/member/locales.ts';
import merchant from '../web/src/merchant/locales.ts';
import onboard from '../web/src/onboard/locales.ts';
import operator from '../web/src/operator/locales.ts';

// Every key a console names with its namespace (`t('glossary:orderState.paid')`, or the fixed part of
// `t(`errors:reason.${code}`)`) exists in both languages. A key removed from a locale module while a
// screen still asks for it would otherwise show the key itself, or a silent defaultValue.

const MODULES = {
  common,
  errors,
  audit,
  glossary,
  memberImport,
  operator,
  merchant,
  agent,
  member,
  onboard,
} as const;
type Namespace = keyof typeof MODULES;
const WEB = path.resolve(import.meta.dirname, '../web/src');

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? sources(path.join(dir, e.name))
        : /\.tsx?$/.test(e.name)
          ? [path.join(dir, e.name)]
          : [],
    );
}

function lookup(tree: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part], tree);
}

describe('console locale keys', () => {
  it('finds every namespaced key the screens ask for, in zh and en', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const file of sources(WEB)) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*(['`])([a-z]+):([A-Za-z0-9_.]+?)(\$\{|\1)/g)) {
        const [, , ns, rawKey, end] = m as unknown as [string, string, string, string, string];
        if (!(ns in MODULES)) {
          missing.push(`${path.relative(WEB, file)}: unknown namespace ${ns}`);
          continue;
        }
        // A template key: its fixed part must name a group of strings.
        const key = end === '${' ? rawKey.replace(/\.$/, '') : rawKey;
        for (const lang of ['zh', 'en'] as const) {
          checked++;
          const found = lookup(MODULES[ns as Namespace][lang], key);
          const ok = end === '${' ? typeof found === 'object' && found !== null : typeof found === 'string';
          if (!ok)
            missing.push(`${path.relative(WEB, file)}: ${lang} ${ns}:${rawKey}${end === '${' ? '.*' : ''}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });
});
