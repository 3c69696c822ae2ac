import { BankCardsScreen } from '../shell/bankCards.tsx';
import { WithdrawalsScreen } from '../shell/withdrawals.tsx';

/**
 * 提现: the member's withdrawals from its 簿记账户, on the screen merchants and agents use; the
 * rules' answer carries the balance the new-withdrawal dialog checks against.
 */
export function MemberWithdrawalsPage() {
  return <WithdrawalsScreen area="member" />;
}

/** 银行卡: the member's bank cards, on the screen merchants and agents use. */
export function MemberBankCardsPage() {
  return <BankCardsScreen area="member" />;
}
