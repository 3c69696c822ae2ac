import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import agent from './agent/locales.ts';
import common from './locales.ts';
import merchant from './merchant/locales.ts';
import operator from './operator/locales.ts';

export const LANGUAGES = ['zh-CN', 'en-US'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'qy.lang';

function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'en-US' ? 'en-US' : 'zh-CN';
}

// One namespace per area, each owned by its folder: `t('operator:orders.title')`.
i18n.use(initReactI18next).init({
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  ns: ['common', 'operator', 'merchant', 'agent'],
  defaultNS: 'common',
  interpolation: { escapeValue: false },
  resources: {
    'zh-CN': { common: common.zh, operator: operator.zh, merchant: merchant.zh, agent: agent.zh },
    'en-US': { common: common.en, operator: operator.en, merchant: merchant.en, agent: agent.en },
  },
});

export function setLanguage(lang: Language): void {
  localStorage.setItem(STORAGE_KEY, lang);
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

export default i18n;
