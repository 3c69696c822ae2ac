import { ProFormText } from '@ant-design/pro-components';
import { createContext, type ReactNode, useContext } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from './session.tsx';
import type { WithdrawalArea } from './withdrawalTypes.ts';

// What the withdrawal and bank-card screens share across the portals that use them (the merchant
// portal, the agent area): which area they are in, and the TOTP field of a login that has it on.

const AreaContext = createContext<WithdrawalArea>('merchant');

/** The area's namespace and API base, for every part of the screen. */
export function useWithdrawalArea(): { ns: WithdrawalArea; base: string } {
  const ns = useContext(AreaContext);
  return { ns, base: `/api/${ns}` };
}

export function WithdrawalAreaProvider({ area, children }: { area: WithdrawalArea; children: ReactNode }) {
  return <AreaContext.Provider value={area}>{children}</AreaContext.Provider>;
}

/** The TOTP code field, for a login that has two-step verification on. */
export function TotpField() {
  const { t } = useTranslation();
  const { session } = useSession();
  if (!session?.user.totpEnabled) return null;
  return (
    <ProFormText
      name="totpCode"
      label={t('totp.code')}
      placeholder={t('totp.codePlaceholder')}
      fieldProps={{ autoComplete: 'one-time-code', inputMode: 'numeric', maxLength: 6 }}
      rules={[{ required: true, pattern: /^\s*\d{6}\s*$/, message: t('totp.codeRule') }]}
    />
  );
}
