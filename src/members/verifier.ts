/**
 * Real-name verification of members (实名认证): a person's name and ID number (or a company's name
 * and unified social credit code), and a bank card's four elements (name, ID number, card number,
 * the phone the bank has). A provider implements this one interface and returns its verdict; the
 * member service records it. The reason of a refusal is shown to the merchant as given.
 */
export interface IdentityVerifier {
  verifyIdentity(name: string, idNo: string): Promise<Verdict>;
  verifyBankCard(name: string, idNo: string, cardNo: string, phone: string): Promise<Verdict>;
}

export interface Verdict {
  ok: boolean;
  /** Why it failed, in the provider's words; null when it passed. */
  reason: string | null;
}

const PASSED: Verdict = { ok: true, reason: null };

/**
 * The sandbox provider: everything passes except an ID number (or card number) that ends in the
 * failing digit (4 by default), so a tester can see a refusal on purpose; a test may also set the
 * next verdicts outright.
 */
export class SandboxVerifier implements IdentityVerifier {
  /** The last digit that fails: an ID number ending in it fails verifyIdentity, a card number verifyBankCard. */
  failingDigit = '4';
  private forced: { identity?: Verdict; bankCard?: Verdict } = {};

  /** Sets what every later check answers (until cleared with `{}`). */
  setOutcome(outcome: { identity?: Verdict; bankCard?: Verdict }): void {
    this.forced = { ...outcome };
  }

  async verifyIdentity(_name: string, idNo: string): Promise<Verdict> {
    if (this.forced.identity) return this.forced.identity;
    return idNo.endsWith(this.failingDigit)
      ? { ok: false, reason: 'the name and the ID number do not match (sandbox)' }
      : PASSED;
  }

  async verifyBankCard(_name: string, idNo: string, cardNo: string, _phone: string): Promise<Verdict> {
    if (this.forced.bankCard) return this.forced.bankCard;
    if (idNo.endsWith(this.failingDigit))
      return { ok: false, reason: 'the name and the ID number do not match (sandbox)' };
    return cardNo.endsWith(this.failingDigit)
      ? { ok: false, reason: 'the card, the name, the ID number and the phone do not match (sandbox)' }
      : PASSED;
  }
}
