import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import agent from './agent/locales.ts';
import audit from './locales/audit.ts';
import common from './locales/common.ts';
import errors from './locales/errors.ts';
import glossary from './locales/glossary.ts';
import merchant from './merchant/locales.ts';
import operator from './operator/locales.ts';

export const LANGUAGES = ['zh-CN', 'en-US'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'qy.lang';

function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'en-US' ? 'en-US' : 'zh-CN';
}

// One namespace per area or topic (web/src/locales/README.md): `t('operator:orders.title')`.
i18n.use(initReactI18next).init({
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  ns: ['common', 'errors', 'audit', 'glossary', 'operator', 'merchant', 'agent'],
  defaultNS: 'common',
  interpolation: { escapeValue: false },
  resources: {
    'zh-CN': {
      common: common.zh,
      errors: errors.zh,
      audit: audit.zh,
      glossary: glossary.zh,
      operator: operator.zh,
      merchant: merchant.zh,
      agent: agent.zh,
    },
    'en-US': {
      common: common.en,
      errors: errors.en,
      audit: audit.en,
      glossary: glossary.en,
      operator: operator.en,
      merchant: merchant.en,
      agent: agent.en,
    },
  },
});

export function setLanguage(lang: Language): void {
  localStorage.setItem(STORAGE_KEY, lang);
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

export default i18n;
