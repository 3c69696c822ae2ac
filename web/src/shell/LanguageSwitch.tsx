import { GlobalOutlined } from '@ant-design/icons';
import { Button } from 'antd';
import { useTranslation } from 'react-i18next';
import { type Language, setLanguage } from '../i18n.ts';

/** Each language's name in itself, as the switch offers it. */
const LANGUAGE_LABELS: Record<Language, string> = { 'zh-CN': '中文', 'en-US': 'English' };

/**
 * Switches between 中文 and English (remembered in localStorage): the button offers the other
 * language by its own name. A plain button, so the login page needs no menu code.
 */
export function LanguageSwitch({ compact = false }: { compact?: boolean }) {
  const { i18n, t } = useTranslation();
  const current: Language = i18n.language === 'en-US' ? 'en-US' : 'zh-CN';
  const other: Language = current === 'en-US' ? 'zh-CN' : 'en-US';
  return (
    <Button
      type="text"
      icon={<GlobalOutlined />}
      onClick={() => setLanguage(other)}
      data-testid="language-switch"
      title={t('header.language')}
      // The accessible name starts with what the button shows (WCAG 2.5.3).
      aria-label={compact ? t('header.language') : `${LANGUAGE_LABELS[other]} · ${t('header.language')}`}
    >
      {compact ? null : <span lang={other}>{LANGUAGE_LABELS[other]}</span>}
    </Button>
  );
}
