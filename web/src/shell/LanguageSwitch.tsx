import { GlobalOutlined } from '@ant-design/icons';
import { Button, Dropdown } from 'antd';
import { useTranslation } from 'react-i18next';
import { type Language, setLanguage } from '../i18n.ts';

const LANGUAGE_LABELS: Record<Language, string> = { 'zh-CN': '中文', 'en-US': 'English' };

/**
 * 中文 / English switch; the choice is remembered in localStorage. Its own module so the login page
 * can show it without loading the console header (and ProComponents with it).
 */
export function LanguageSwitch({ compact = false }: { compact?: boolean }) {
  const { i18n, t } = useTranslation();
  const current = (i18n.language === 'en-US' ? 'en-US' : 'zh-CN') as Language;
  return (
    <Dropdown
      menu={{
        selectable: true,
        selectedKeys: [current],
        items: (Object.keys(LANGUAGE_LABELS) as Language[]).map((lang) => ({
          key: lang,
          label: <span lang={lang}>{LANGUAGE_LABELS[lang]}</span>,
        })),
        onClick: ({ key }) => setLanguage(key as Language),
      }}
    >
      <Button
        type="text"
        icon={<GlobalOutlined />}
        // The accessible name starts with what the button shows (WCAG 2.5.3), then says what it is for.
        aria-label={compact ? t('header.language') : `${LANGUAGE_LABELS[current]} · ${t('header.language')}`}
      >
        {compact ? null : <span lang={current}>{LANGUAGE_LABELS[current]}</span>}
      </Button>
    </Dropdown>
  );
}
