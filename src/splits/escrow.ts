import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { Leg } from '../ledger/types.ts';
import { toJsonAmount } from '../money/money.ts';
import { type Payee, planSplit, releaseParts } from './compute.ts';
import { accountOf, escrowState, partOf, partyView, recordOf, sumOf, termsAccounts } from './parts.ts';
import type { TermsRow, TermsState } from './queries.ts';
import * as queries from './queries.ts';
import { type ConfirmInput, MAX_NAMED_SPLITS, type SplitDeps, SWEEP_BATCH } from './types.ts';

/**
 * Escrow payments (担保): confirmations that release what an order holds, in parts, by the rule or
 * to named members, the automatic confirmation of due ones, and the linked query.
 */
export class Escrows {
  constructor(
    private readonly db: Db,
    private readonly deps: SplitDeps,
  ) {}

  // ---------- escrow ----------

  /**
   * Confirms (part of) an escrow payment: merchant_escrow → the receiver and the commission
   * parties, in proportion to the rule, or to the merchant's named splits (members of the app)
   * which must add up to the amount. Idempotent on confirmNo: a retry answers the escrow as it is.
   */
  async confirmEscrow(
    merchantId: bigint,
    orderNo: string,
    input: ConfirmInput,
    source: 'api' | 'portal' | 'auto',
  ) {
    const found = await queries.findTermsByOrderNo(this.db, merchantId, orderNo);
    if (!found?.escrow) throw new AppError('NOT_FOUND', `escrow payment ${orderNo} not found`);
    if (await queries.findConfirmation(this.db, found.order_id, input.confirmNo))
      return this.escrowView(merchantId, orderNo);
    const named = await this.namedSplits(found, input);
    await this.deps.ledger.openAccounts([
      ...termsAccounts(found.merchant_id, found.currency, {
        ...found,
        receiverMemberId: found.receiver_member_id,
      }),
      ...named.map((n) => ({
        kind: 'member_pending' as const,
        ownerId: n.memberId,
        currency: found.currency,
      })),
      { kind: 'merchant_available', ownerId: found.merchant_id, currency: found.currency },
    ]);
    await this.db.tx(async (q) => {
      const order = await this.deps.lockOrder(q, found.order_id);
      const terms = await queries.lockTerms(q, found.order_id);
      if (!order || !terms) throw new AppError('NOT_FOUND', `escrow payment ${orderNo} not found`);
      const remaining = terms.held - terms.released - terms.refunded;
      const amount = input.amount ?? (named.length > 0 ? sumOf(named.map((n) => n.amount)) : remaining);
      if (terms.state !== 'holding' && terms.state !== 'partially_released') {
        throw new AppError('ESCROW_STATE', `escrow payment ${orderNo} is ${terms.state}`);
      }
      if (amount <= 0n || amount > remaining) {
        throw new AppError('ESCROW_STATE', `escrow payment ${orderNo} holds ${remaining}, not ${amount}`, {
          remaining: remaining.toString(),
        });
      }
      if (named.length > 0 && sumOf(named.map((n) => n.amount)) !== amount) {
        throw new AppError('INVALID_REQUEST', 'splits: the amounts must add up to the confirmed amount', {
          field: 'splits',
        });
      }
      const confirmation = await queries.insertConfirmation(q, {
        orderId: terms.order_id,
        confirmNo: input.confirmNo,
        amount,
        named: named.length > 0,
        source,
      });
      if (!confirmation) return; // A concurrent retry confirmed it.
      const parts =
        named.length > 0
          ? named.map((n) => ({
              index: -2,
              payee: { kind: 'member', memberId: n.memberId } as Payee,
              amount: n.amount,
            }))
          : await this.proportionalRelease(q, terms, amount);
      const orderRow = {
        id: terms.order_id,
        order_no: terms.order_no,
        merchant_id: terms.merchant_id,
        currency: terms.currency,
      };
      await queries.insertRecords(
        q,
        parts.filter((p) => p.amount > 0n).map((p) => recordOf(orderRow, p, confirmation.id)),
      );
      const toMerchant = sumOf(parts.filter((p) => p.payee.kind === 'merchant').map((p) => p.amount));
      const legs: Leg[] = [
        {
          account: { kind: 'merchant_escrow', ownerId: terms.merchant_id, currency: terms.currency },
          amount: -amount,
        },
        ...parts.map((p) => ({
          account:
            p.payee.kind === 'merchant' && order.settled
              ? { kind: 'merchant_available' as const, ownerId: terms.merchant_id, currency: terms.currency }
              : accountOf(p.payee, terms.merchant_id, terms.currency),
          amount: p.amount,
        })),
      ];
      await this.deps.ledger.post(q, {
        kind: 'escrow_release',
        reference: terms.order_no,
        idempotencyKey: `escrow_release:${terms.order_no}:${input.confirmNo}`,
        legs,
      });
      const released = terms.released + amount;
      await queries.updateTerms(q, terms.order_id, {
        state: escrowState({ ...terms, released }),
        net: terms.net,
        held: terms.held,
        released,
        refunded: terms.refunded,
        // The merchant's commission joins the order's net in pending while the order is unsettled.
        diverted: order.settled ? terms.diverted : terms.diverted - toMerchant,
        paidAt: terms.paid_at,
        autoConfirmAt: terms.auto_confirm_at,
      });
    });
    return this.escrowView(merchantId, orderNo);
  }

  private async namedSplits(terms: TermsRow, input: ConfirmInput) {
    if (!input.splits || input.splits.length === 0) return [];
    if (input.splits.length > MAX_NAMED_SPLITS) {
      throw new AppError('INVALID_REQUEST', `splits: at most ${MAX_NAMED_SPLITS}`, { field: 'splits' });
    }
    const receiver = (await this.deps.members.byIds([terms.receiver_member_id])).get(
      terms.receiver_member_id,
    )!;
    const out: { memberId: bigint; amount: bigint }[] = [];
    for (const s of input.splits) {
      const member = await this.deps.members.requireReceivingMember(receiver.app_id, s.bizUserId);
      out.push({ memberId: member.id, amount: s.amount });
    }
    return out;
  }

  /** A release in proportion to the rule: the parts released so far come from the order's records. */
  private async proportionalRelease(q: Queryable, terms: TermsRow, amount: bigint) {
    const plan = planSplit(
      terms.net,
      { kind: 'member', memberId: terms.receiver_member_id },
      terms.parties.map(partOf),
    );
    const records = await queries.recordsOfOrder(q, terms.order_id);
    const releasedOf = (index: number) =>
      sumOf(records.filter((r) => r.party_index === index).map((r) => r.amount));
    const amounts = releaseParts(
      plan.map((p) => ({ index: p.index, total: p.amount, released: releasedOf(p.index) })),
      amount,
    );
    return plan.map((p) => ({ ...p, amount: amounts.get(p.index) ?? 0n }));
  }

  /** An escrow payment with its confirmations (担保消费关联查询), or NOT_FOUND (another merchant's included). */
  async escrowView(merchantId: bigint, orderNo: string) {
    const terms = await queries.findTermsByOrderNo(this.db, merchantId, orderNo);
    if (!terms?.escrow || terms.state === 'created')
      throw new AppError('NOT_FOUND', `escrow payment ${orderNo} not found`);
    return (await this.escrowViews([terms]))[0]!;
  }

  async listEscrows(merchantId: bigint, f: { state?: TermsState; cursor?: string; limit: number }) {
    const rows = await queries.listEscrows(this.db, merchantId, {
      state: f.state,
      before: f.cursor ? BigInt(f.cursor) : undefined,
      limit: f.limit,
    });
    return {
      items: await this.escrowViews(rows),
      nextCursor: rows.length === f.limit ? rows.at(-1)!.order_id.toString() : null,
    };
  }

  private async escrowViews(rows: TermsRow[]) {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.order_id);
    const confirmations = await queries.confirmationsOf(this.db, ids);
    const records = await queries.recordsOfOrders(this.db, ids);
    const members = await this.deps.members.byIds([
      ...new Set(records.flatMap((r) => (r.to_member_id === null ? [] : [r.to_member_id]))),
    ]);
    return rows.map((t) => ({
      orderNo: t.order_no,
      amount: toJsonAmount(t.net),
      held: toJsonAmount(t.held - t.released - t.refunded),
      released: toJsonAmount(t.released),
      refunded: toJsonAmount(t.refunded),
      state: t.state,
      autoConfirmAt: t.auto_confirm_at?.toISOString() ?? null,
      confirmations: confirmations
        .filter((c) => c.order_id === t.order_id)
        .map((c) => ({
          confirmNo: c.confirm_no,
          amount: toJsonAmount(c.amount),
          source: c.source,
          at: c.created_at.toISOString(),
          splits: records
            .filter((r) => r.confirmation_id === c.id)
            .map((r) => ({
              kind: r.kind,
              to: partyView(r, members),
              amount: toJsonAmount(r.amount),
            })),
        })),
    }));
  }

  /**
   * The step that confirms escrow payments nobody confirmed within the auto-confirm days: the rest
   * of each is released in proportion to its rule. Idempotent (confirmNo `auto`).
   */
  async autoConfirmEscrows(now: Date = new Date()): Promise<number> {
    let done = 0;
    for (const due of await queries.escrowsDue(this.db, now, SWEEP_BATCH)) {
      try {
        await this.confirmEscrow(due.merchant_id, due.order_no, { confirmNo: 'auto' }, 'auto');
        done++;
      } catch (error) {
        // An escrow a refund emptied meanwhile is no longer due; anything else is for the next run.
        if (!(error instanceof AppError)) throw error;
      }
    }
    return done;
  }
}
