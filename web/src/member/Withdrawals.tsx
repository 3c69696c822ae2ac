import { Alert } from 'antd';
import { useTranslation } from 'react-i18next';
import { BankCardsScreen } from '../shell/bankCards.tsx';
import { WithdrawalsScreen } from '../shell/withdrawals.tsx';
import { useMemberMe } from './me.ts';

/**
 * 提现: the member's withdrawals from its 簿记账户, on the screen merchants and agents use; the
 * rules' answer carries the balance the new-withdrawal dialog checks against. When the marketplace
 * makes the member's withdrawals (`platform`), the list stays and 新建提现 goes, with the reason.
 */
export function MemberWithdrawalsPage() {
  const { t } = useTranslation();
  const me = useMemberMe();
  const byPlatform = me.data?.withdrawSetting.mode === 'platform';
  return (
    <WithdrawalsScreen
      area="member"
      canWithdraw={!byPlatform}
      notice={
        byPlatform ? (
          <Alert
            type="info"
            showIcon
            message={t('member:me.platformHint')}
            style={{ marginBottom: 12 }}
            data-testid="withdraw-by-platform"
          />
        ) : undefined
      }
    />
  );
}

/** 银行卡: the member's bank cards, on the screen merchants and agents use. */
export function MemberBankCardsPage() {
  return <BankCardsScreen area="member" />;
}
