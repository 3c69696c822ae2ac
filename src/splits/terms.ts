import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { AccountRef, Leg } from '../ledger/types.ts';
import { getSetting } from '../settings/queries.ts';
import { type CommissionTerms, commissionOf, planSplit } from './compute.ts';
import { accountOf, partOf, payeeOf, recordOf, termsAccounts } from './parts.ts';
import type { StoredParty, TermsRow } from './queries.ts';
import * as queries from './queries.ts';
import type { SplitRules } from './rules.ts';
import {
  DAY_MS,
  DEFAULT_ESCROW_AUTO_CONFIRM_DAYS,
  ESCROW_AUTO_CONFIRM_DAYS_SETTING,
  type OrderTermsInput,
  type PreparedTerms,
  type SplitDeps,
} from './types.ts';

/**
 * The marketplace terms an order carries (payee, rule, escrow, recharge): checked and kept at
 * create, and the ledger legs that split its payment.
 */
export class OrderTerms {
  constructor(
    private readonly db: Db,
    private readonly deps: SplitDeps,
    private readonly rules: SplitRules,
  ) {}

  // ---------- order terms (create) ----------

  /**
   * Checks an order's marketplace terms at create: the payee a receiving member of the app, the
   * rule enabled and the app's, the merchant settled by the platform, and the commissions within
   * the net (amount − fee). Nothing is written.
   */
  async prepareTerms(
    app: { appId: string; merchantId: bigint },
    input: OrderTermsInput,
    amount: bigint,
    fee: bigint,
  ): Promise<PreparedTerms> {
    const purpose = input.purpose ?? 'consumption';
    const escrow = input.escrow ?? false;
    if (purpose === 'recharge' && (input.splitRuleNo !== undefined || escrow)) {
      throw new AppError('INVALID_REQUEST', 'a recharge takes a payee only: no split rule, no escrow', {
        field: 'purpose',
      });
    }
    if ((await this.deps.settlementModeOf(app.merchantId)) === 'direct') {
      throw new AppError(
        'SETTLEMENT_MODE',
        'this merchant is settled by the channel directly: the platform cannot split or hold its orders',
      );
    }
    const appRowId = await this.deps.appRowIdOf(app.merchantId, app.appId);
    const payee = input.payee
      ? await this.deps.members.requireReceivingMember(appRowId, input.payee.bizUserId)
      : null;
    const rule =
      input.splitRuleNo === undefined
        ? null
        : await this.rules.requireRule(app.merchantId, input.splitRuleNo);
    if (rule && (rule.state !== 'enabled' || rule.app_id !== app.appId)) {
      throw new AppError('SPLIT_RULE_STATE', `split rule ${rule.rule_no} is disabled or not this app's`, {
        field: 'splitRuleNo',
      });
    }
    let receiverId = payee?.id ?? null;
    if (rule?.receiver_kind === 'member') receiverId = rule.receiver_member_id;
    if (receiverId === null) {
      throw new AppError(
        'INVALID_REQUEST',
        'payee: the order needs a payee (the rule receives for the payee)',
        {
          field: 'payee',
        },
      );
    }
    if (rule?.receiver_kind === 'member') {
      const receiver = (await this.deps.members.byIds([receiverId])).get(receiverId);
      if (!receiver || receiver.state === 'frozen' || receiver.state === 'closed') {
        throw new AppError('MEMBER_STATE', "the rule's receiving member cannot receive now");
      }
    }
    const parties: StoredParty[] = [];
    if (rule) {
      const ruleParties = await queries.partiesOf(this.db, [rule.id]);
      await this.requireSigned(rule.rule_no, ruleParties);
      for (const p of ruleParties) {
        const terms: CommissionTerms = {
          basis: p.basis,
          value: p.value,
          floor: p.floor_amount,
          cap: p.cap_amount,
        };
        parties.push({
          kind: p.party_kind,
          memberId: p.member_id?.toString() ?? null,
          amount: commissionOf(terms, amount).toString(),
        });
      }
    }
    planSplit(
      amount - fee,
      { kind: 'member', memberId: receiverId },
      parties.map((p) => ({ payee: payeeOf(p), amount: BigInt(p.amount) })),
    );
    return { purpose, escrow, ruleId: rule?.id ?? null, receiverMemberId: receiverId, parties };
  }

  /**
   * A member takes a commission only under an agreement it signed (the 通联 rule): a rule with a
   * member party still pending takes no new orders. Orders created before keep their terms.
   */
  private async requireSigned(ruleNo: string, parties: queries.SplitRulePartyRow[]): Promise<void> {
    const unsigned = parties.find((p) => p.party_kind === 'member' && p.agreement_state !== 'signed');
    if (!unsigned) return;
    const member = (await this.deps.members.byIds([unsigned.member_id!])).get(unsigned.member_id!);
    throw new AppError(
      'SPLIT_AGREEMENT_UNSIGNED',
      `member ${member?.member_no ?? unsigned.member_id} has not signed the agreement of split rule ${ruleNo}`,
      { field: 'splitRuleNo', memberNo: member?.member_no ?? null },
    );
  }

  /** Opens the ledger accounts an order's terms will touch: before the order is inserted. */
  async openTermsAccounts(merchantId: bigint, currency: string, terms: PreparedTerms): Promise<void> {
    await this.deps.ledger.openAccounts(termsAccounts(merchantId, currency, terms));
  }

  /**
   * Keeps new orders' terms inside the transaction that inserts the orders, so no order is ever
   * paid without the terms it was created with (a crash between the two would have left one).
   */
  async insertTerms(
    q: Queryable,
    orders: {
      order: { id: bigint; order_no: string; merchant_id: bigint; currency: string };
      terms: PreparedTerms;
    }[],
  ): Promise<void> {
    for (const { order, terms } of orders) {
      await queries.insertTerms(q, {
        orderId: order.id,
        orderNo: order.order_no,
        merchantId: order.merchant_id,
        currency: order.currency,
        ...terms,
      });
    }
  }

  // ---------- payment ----------

  /**
   * The terms of orders about to be paid (one query for a batch), their accounts opened: call it
   * before the payment's transaction. Orders without terms are not in the map.
   */
  async paymentTermsOf(orderIds: bigint[]): Promise<Map<bigint, TermsRow>> {
    const rows = await queries.termsOfOrders(this.db, orderIds);
    if (rows.length === 0) return new Map();
    await this.deps.ledger.openAccounts(
      rows.flatMap((t) =>
        termsAccounts(t.merchant_id, t.currency, { ...t, receiverMemberId: t.receiver_member_id }),
      ),
    );
    return new Map(rows.map((t) => [t.order_id, t]));
  }

  /**
   * Inside the payment's transaction: where a split order's net goes instead of the merchant's
   * pending — escrow, or the receiver's and the commission parties' accounts — with its split
   * records. Returns the legs (adding up to the net), or null when the order is paid as any other
   * (a merchant settled by the channel meanwhile: nothing is split, and the terms say so).
   */
  async paymentLegs(
    q: Queryable,
    order: {
      id: bigint;
      order_no: string;
      merchant_id: bigint;
      currency: string;
      amount: bigint;
      fee: bigint;
    },
    terms: TermsRow,
    mode: 'platform' | 'direct',
    paidAt: Date,
  ): Promise<Leg[] | null> {
    if (terms.state !== 'created') return null;
    const net = order.amount - order.fee;
    const base = { net, released: 0n, refunded: 0n, paidAt };
    if (mode === 'direct') {
      await queries.updateTerms(q, order.id, {
        ...base,
        state: 'direct',
        held: 0n,
        diverted: 0n,
        autoConfirmAt: null,
      });
      return null;
    }
    const ref = (kind: AccountRef['kind'], ownerId: bigint): AccountRef => ({
      kind,
      ownerId,
      currency: order.currency,
    });
    if (terms.escrow) {
      const days = await this.autoConfirmDays(q);
      await queries.updateTerms(q, order.id, {
        ...base,
        state: 'holding',
        held: net,
        diverted: net,
        autoConfirmAt: new Date(paidAt.getTime() + days * DAY_MS),
      });
      return [{ account: ref('merchant_escrow', order.merchant_id), amount: net }];
    }
    const plan = planSplit(
      net,
      { kind: 'member', memberId: terms.receiver_member_id },
      terms.parties.map(partOf),
    );
    const records = plan.filter((p) => p.amount > 0n).map((p) => recordOf(order, p, null));
    await queries.insertRecords(q, records);
    const toMerchant = plan.filter((p) => p.payee.kind === 'merchant').reduce((sum, p) => sum + p.amount, 0n);
    await queries.updateTerms(q, order.id, {
      ...base,
      state: 'split',
      held: 0n,
      diverted: net - toMerchant,
      autoConfirmAt: null,
    });
    return plan.map((p) => ({
      account: accountOf(p.payee, order.merchant_id, order.currency),
      amount: p.amount,
    }));
  }

  private async autoConfirmDays(q: Queryable): Promise<number> {
    const value = Number(await getSetting(q, ESCROW_AUTO_CONFIRM_DAYS_SETTING));
    return Number.isInteger(value) && value > 0 ? value : DEFAULT_ESCROW_AUTO_CONFIRM_DAYS;
  }
}
