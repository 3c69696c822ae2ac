import { Flex, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../shell/LanguageSwitch.tsx';
import { useSiteBrand } from '../shell/site.tsx';

export interface AuthLayoutProps {
  /** The step's heading (an <h1>). */
  title: ReactNode;
  description?: ReactNode;
  width?: number;
  children: ReactNode;
}

/** The frame of the login flows: brand, language switch, one card in the middle. */
export function AuthLayout({ title, description, width = 440, children }: AuthLayoutProps) {
  const { t } = useTranslation();
  const brand = useSiteBrand(44);
  return (
    <div
      style={{
        minHeight: '100vh',
        display: 'flex',
        flexDirection: 'column',
        background:
          'radial-gradient(circle at 12% 18%, rgba(54,207,201,0.18), transparent 42%), radial-gradient(circle at 88% 80%, rgba(22,119,255,0.16), transparent 45%), #f5f7fa',
      }}
    >
      <Flex justify="flex-end" style={{ padding: '12px 24px' }}>
        <LanguageSwitch />
      </Flex>
      <Flex vertical align="center" justify="center" style={{ flex: 1, padding: '0 16px 48px' }}>
        <Flex align="center" gap={12} style={{ marginBottom: 8 }}>
          {brand.logo}
          <span style={{ fontSize: 28, fontWeight: 600, color: 'rgba(0,0,0,0.88)' }}>{brand.title}</span>
        </Flex>
        <Typography.Text type="secondary" style={{ marginBottom: 28 }}>
          {t('app.tagline')}
        </Typography.Text>
        {/* A card drawn here (antd's Card would bring its tabs code to the login page); the page's main landmark. */}
        <main
          style={{
            width: '100%',
            maxWidth: width,
            background: '#fff',
            border: '1px solid #f0f0f0',
            borderRadius: 8,
            padding: '28px 32px 24px',
            boxShadow: '0 6px 24px rgba(0,0,0,0.06)',
          }}
        >
          <Typography.Title
            level={1}
            style={{ fontSize: 20, marginTop: 0, marginBottom: description ? 8 : 20 }}
          >
            {title}
          </Typography.Title>
          {description && (
            <Typography.Paragraph type="secondary" style={{ marginBottom: 20 }}>
              {description}
            </Typography.Paragraph>
          )}
          {children}
        </main>
      </Flex>
      <Typography.Text type="secondary" style={{ textAlign: 'center', padding: '0 0 24px', fontSize: 12 }}>
        {t('app.copyright', { year: new Date().getFullYear() })}
      </Typography.Text>
    </div>
  );
}
