import { useTranslation } from 'react-i18next';
import audit from '../locales/audit.ts';
import glossary from '../locales/glossary.ts';
import { dateTime, percentFromPpm, yuan } from './format.ts';

// How the audit log and the order timeline put stored values into words: field labels, money in
// yuan, rates in %, times in the browser's local time, secrets never shown. Action keys contain dots
// ('order.complete'), so labels are read from the locale module, not through i18next's key paths.

/** Fields that hold an order's state: their values are the glossary's order states. */
const STATE_FIELDS = new Set(['state', 'previousState']);

/** Fields whose values are minor units of money. */
const MONEY_FIELDS = new Set([
  'amount',
  'fee',
  'channelCost',
  'platformProfit',
  'refundedAmount',
  'refundAmount',
  'minAmount',
  'maxAmount',
  'dailyLimit',
  'fixedFee',
  'minimumFee',
  'defaultFixedFee',
  'defaultMinimumFee',
  'fixedCost',
  'minimumCost',
  'fixedAmount',
  'largePaymentThreshold',
]);

/**
 * Field names a secret may hide under; the server never stores their values ('***' at most). A flag
 * (completionPasswordSet, secretRotated) is shown: it says that, not what.
 */
const SECRET_FIELD = /pass(word)?|secret|credential|private|token|recovery|authcode/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const LONG_TEXT = 80;

type Words = typeof audit.zh;

export interface AuditWords {
  lang: 'zh' | 'en';
  words: Words;
  action(key: string): string;
  target(type: string): string;
  /** "订单 P2026…" / "Order P2026…", with the object's name when the row has one. */
  object(type: string, id: string, name?: string): string;
  field(path: string): string;
  value(path: string, value: unknown): string;
  event(kind: string): string;
}

/** The audit words in the current language, re-rendered when the language changes. */
export function useAuditWords(): AuditWords {
  const { i18n } = useTranslation('audit');
  const lang = (i18n.resolvedLanguage ?? i18n.language ?? 'zh-CN').startsWith('en') ? 'en' : 'zh';
  return auditWords(lang);
}

export function auditWords(lang: 'zh' | 'en'): AuditWords {
  const words = audit[lang];
  const lastPart = (path: string) => path.split('.').at(-1) ?? path;
  const field = (path: string) =>
    path
      .split('.')
      .map((part) => words.fields[part] ?? part)
      .join(' · ');
  const target = (type: string) => words.targets[type] ?? (type ? type : '');
  const value = (path: string, v: unknown): string => {
    const name = lastPart(path);
    if (v === '***' || (SECRET_FIELD.test(name) && v !== null && v !== undefined && typeof v !== 'boolean')) {
      return words.diff.hidden;
    }
    if (v === null || v === undefined || v === '') return words.diff.empty;
    if (typeof v === 'boolean') return v ? words.diff.yes : words.diff.no;
    if (Array.isArray(v)) {
      if (v.length === 0) return words.diff.empty;
      return v
        .map((item) =>
          item && typeof item === 'object'
            ? Object.entries(item)
                .map(([k, x]) => `${field(k)}: ${value(k, x)}`)
                .join('，')
            : value(name, item),
        )
        .join(lang === 'zh' ? '；' : '; ');
    }
    if (typeof v === 'object') {
      return Object.entries(v)
        .map(([k, x]) => `${field(k)}: ${value(k, x)}`)
        .join(lang === 'zh' ? '，' : ', ');
    }
    const asNumber =
      typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : null;
    if (MONEY_FIELDS.has(name) && asNumber !== null) return yuan(asNumber);
    if (/Ppm$/.test(name) && asNumber !== null) return percentFromPpm(asNumber);
    if (typeof v === 'string') {
      if (ISO_TIME.test(v)) return dateTime(v);
      if (name === 'source' || name === 'requestedBy') {
        const [base = v, who = ''] = v.split(':');
        const label = words.values.source?.[base];
        if (label) return label.replace('{{name}}', who).trim();
      }
      const known =
        words.values[name]?.[v] ??
        (STATE_FIELDS.has(name) ? (glossary[lang].orderState as Record<string, string>)[v] : undefined);
      if (known) return known;
      return v.length > LONG_TEXT ? `${v.slice(0, LONG_TEXT)}…` : v;
    }
    return String(v);
  };
  return {
    lang,
    words,
    action: (key) => words.actions[key] ?? words.actions.unknown!,
    target,
    object: (type, id, name) => {
      // A setting is named by its key ('completion_password' → 补单密码).
      if (type === 'setting' && id) {
        const key = id.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
        return `${target(type)} · ${words.fields[key] ?? id}`;
      }
      // An internal number says nothing a name does not (账号 alice, not 账号 3 · alice).
      if (name && /^\d+$/.test(id)) return `${target(type)} ${name}`;
      const parts = [target(type), id.replaceAll('/', ' / ')].filter(Boolean).join(' ');
      return name ? `${parts} · ${name}` : parts;
    },
    field,
    value,
    event: (kind) => words.events[kind] ?? words.events.other!,
  };
}

/** A document flattened to `path → value`: nested objects become `parent.child`, arrays stay whole. */
export function flatten(doc: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return out;
  for (const [k, v] of Object.entries(doc)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [pk, pv] of flatten(v, `${prefix}${k}.`)) out.set(pk, pv);
    } else out.set(`${prefix}${k}`, v);
  }
  return out;
}
