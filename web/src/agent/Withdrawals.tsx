import { BankCardsScreen } from '../shell/bankCards.tsx';
import { WithdrawalsScreen } from '../shell/withdrawals.tsx';

/**
 * 提现: the agent's withdrawals of its available commission, on the screen merchants use; the
 * rules' answer carries the commission balance the new-withdrawal dialog checks against.
 */
export function AgentWithdrawalsPage() {
  return <WithdrawalsScreen area="agent" />;
}

/** 结算卡: the agent's settlement bank cards, on the screen merchants use. */
export function AgentBankCardsPage() {
  return <BankCardsScreen area="agent" />;
}
