import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import audit from './locales/audit.ts';
import common from './locales/common.ts';
import errors from './locales/errors.ts';
import glossary from './locales/glossary.ts';
import memberImport from './locales/memberImport.ts';

export const LANGUAGES = ['zh-CN', 'en-US'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'qy.lang';

function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'en-US' ? 'en-US' : 'zh-CN';
}

declare global {
  interface Window {
    /** Every `ns:key` a screen asked for that has no string (untranslated text); the browser tests read it. */
    __qyMissingKeys?: string[];
  }
}

/** Remembers a key with no string in either language, once, on `window.__qyMissingKeys`. */
function recordMissing(ns: string, key: string): void {
  window.__qyMissingKeys ??= [];
  const missing = window.__qyMissingKeys;
  const name = `${ns}:${key}`;
  if (!missing.includes(name)) missing.push(name);
}

// One namespace per area or topic (web/src/locales/README.md): `t('operator:orders.title')`.
// The shared namespaces are here; an area's own (operator, merchant, agent) arrives with the area's
// code (addAreaStrings), so the login page does not download the consoles' strings.
i18n.use(initReactI18next).init({
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  ns: [
    'common',
    'errors',
    'audit',
    'glossary',
    'memberImport',
    'operator',
    'merchant',
    'agent',
    'member',
    'onboard',
  ],
  defaultNS: 'common',
  interpolation: { escapeValue: false },
  saveMissing: true,
  missingKeyHandler: (_languages, ns, key) => recordMissing(ns, key),
  resources: {
    'zh-CN': {
      common: common.zh,
      errors: errors.zh,
      audit: audit.zh,
      glossary: glossary.zh,
      memberImport: memberImport.zh,
    },
    'en-US': {
      common: common.en,
      errors: errors.en,
      audit: audit.en,
      glossary: glossary.en,
      memberImport: memberImport.en,
    },
  },
});

/** Adds an area's namespace (its `{ zh, en }` locale module) when the area's code has loaded. */
export function addAreaStrings(
  ns: 'operator' | 'merchant' | 'agent' | 'member' | 'onboard',
  strings: { zh: object; en: object },
): void {
  if (i18n.hasResourceBundle('zh-CN', ns)) return;
  i18n.addResourceBundle('zh-CN', ns, strings.zh);
  i18n.addResourceBundle('en-US', ns, strings.en);
}

export function setLanguage(lang: Language): void {
  localStorage.setItem(STORAGE_KEY, lang);
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

export default i18n;
