import { BankCardsScreen } from '../shell/bankCards.tsx';

/** 银行卡 (managers): the merchant's settlement bank cards, on the shared screen. */
export function BankCards() {
  return <BankCardsScreen area="merchant" />;
}
