import { useTranslation } from 'react-i18next';
import { AccountSecurity } from '../shell/AccountSecurity.tsx';
import { Page } from '../shell/Page.tsx';
import { useSubtitle } from './useSubtitle.ts';

/** 账户安全: the shell's password and TOTP settings, as a page of the portal. */
export function Security() {
  const { t } = useTranslation();
  const subTitle = useSubtitle(t('merchant:security.subtitle'));
  return (
    <Page title={t('merchant:security.title')} subTitle={subTitle}>
      <div style={{ maxWidth: 720 }} data-testid="merchant-security">
        <AccountSecurity />
      </div>
    </Page>
  );
}
