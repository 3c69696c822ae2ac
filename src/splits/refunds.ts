import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { type AccountRef, accountCode } from '../ledger/types.ts';
import type { MemberRow } from '../members/queries.ts';
import { takeBackParts } from './compute.ts';
import { escrowState, groupByParty, minOf, sumOf } from './parts.ts';
import type { StoredRefundPart, TermsRow } from './queries.ts';
import * as queries from './queries.ts';
import type { RefundContext, RefundTakeBack, SplitDeps } from './types.ts';

/**
 * What a refund of a marketplace order takes back from escrow and from the parties' shares (never
 * driving an account below zero), and gives back when the refund fails.
 */
export class SplitRefundSteps {
  constructor(
    private readonly db: Db,
    private readonly deps: SplitDeps,
  ) {}

  // ---------- refunds ----------

  /**
   * Before a refund's transaction: opens the accounts a refund of this order may touch and reads
   * its members (named in a refusal); null when the order has no split terms.
   */
  async prepareRefund(orderId: bigint): Promise<RefundContext | null> {
    const terms = (await queries.termsOfOrders(this.db, [orderId]))[0];
    if (!terms || terms.state === 'created' || terms.state === 'direct') return null;
    const records = await queries.recordsOfOrder(this.db, orderId);
    const members = await this.deps.members.byIds([
      ...new Set(records.flatMap((r) => (r.to_member_id === null ? [] : [r.to_member_id]))),
    ]);
    await this.deps.ledger.openAccounts([
      { kind: 'merchant_escrow', ownerId: terms.merchant_id, currency: terms.currency },
      ...records.flatMap((r) =>
        r.to_member_id === null
          ? []
          : [
              { kind: 'member_pending' as const, ownerId: r.to_member_id, currency: r.currency },
              { kind: 'member_available' as const, ownerId: r.to_member_id, currency: r.currency },
            ],
      ),
    ]);
    return { members };
  }

  /**
   * Inside a refund's transaction (the order locked): what a refund debit of a split order takes
   * back — from escrow first, then from the parties in proportion to what each still has (a
   * member's unsettled share from its pending, a settled one from its available; the merchant's
   * commission is the merchant's debit, as is any part beyond what was split). A member whose
   * money already left refuses the refund with SPLIT_REFUND_INSUFFICIENT, and nothing changes.
   * Null when the order has no split terms (a refund as any other).
   */
  async takeBackForRefund(
    q: Queryable,
    context: RefundContext,
    orderId: bigint,
    debit: bigint,
  ): Promise<RefundTakeBack | null> {
    const terms = await queries.lockTerms(q, orderId);
    if (!terms || terms.state === 'created' || terms.state === 'direct') return null;
    const records = await queries.recordsOfOrder(q, orderId, true);
    const escrowLeft = terms.escrow ? terms.held - terms.released - terms.refunded : 0n;
    const fromEscrow = debit < escrowLeft ? debit : escrowLeft;
    const groups = groupByParty(records);
    const has = groups.map((g) => ({
      index: g.key,
      has: sumOf(g.records.map((r) => r.amount - r.refunded)),
    }));
    const rest = debit - fromEscrow;
    const hasTotal = sumOf(has.map((h) => h.has));
    const fromParties = rest < hasTotal ? rest : hasTotal;
    const taken = takeBackParts(has, fromParties);
    let merchantDebit = rest - fromParties;
    const memberParts: StoredRefundPart[] = [];
    const recordParts: { id: bigint; amount: bigint }[] = [];
    for (const g of groups) {
      let left = taken.get(g.key) ?? 0n;
      // Unsettled records first (their money is in pending), then settled ones (available).
      for (const r of [...g.records].sort((a, b) =>
        a.state === b.state ? 0 : a.state === 'pending' ? -1 : 1,
      )) {
        if (left === 0n) break;
        const part = minOf(left, r.amount - r.refunded);
        if (part === 0n) continue;
        left -= part;
        recordParts.push({ id: r.id, amount: part });
        if (r.to_kind === 'merchant') merchantDebit += part;
        memberParts.push({
          recordId: r.id.toString(),
          account:
            r.to_kind === 'merchant'
              ? 'merchant'
              : r.state === 'pending'
                ? 'member_pending'
                : 'member_available',
          memberId: r.to_member_id?.toString() ?? null,
          amount: part.toString(),
        });
      }
    }
    const debits = [
      ...(fromEscrow > 0n
        ? [
            {
              account: {
                kind: 'merchant_escrow' as const,
                ownerId: terms.merchant_id,
                currency: terms.currency,
              },
              amount: fromEscrow,
            },
          ]
        : []),
      ...memberParts.flatMap((p) =>
        p.account === 'merchant'
          ? []
          : [
              {
                account: {
                  kind: p.account,
                  ownerId: BigInt(p.memberId!),
                  currency: terms.currency,
                } as AccountRef,
                amount: BigInt(p.amount),
              },
            ],
      ),
    ];
    await this.assertMembersCover(q, terms, debits, context.members);
    await queries.addRecordRefunded(q, recordParts);
    const refunded = terms.refunded + fromEscrow;
    await queries.updateTerms(q, orderId, {
      state: terms.escrow ? escrowState({ ...terms, refunded }) : terms.state,
      net: terms.net,
      held: terms.held,
      released: terms.released,
      refunded,
      // Escrow and members' accounts are not the merchant's pending: what it does not hold stays so.
      diverted: terms.diverted,
      paidAt: terms.paid_at,
      autoConfirmAt: terms.auto_confirm_at,
    });
    return { fromEscrow, merchantDebit, memberParts, debits };
  }

  /** Keeps what a refund took back, under its number (after its row is written). */
  async recordTakeBack(q: Queryable, refundNo: string, orderId: bigint, t: RefundTakeBack): Promise<void> {
    await queries.insertSplitRefund(q, { refundNo, orderId, fromEscrow: t.fromEscrow, parts: t.memberParts });
  }

  /**
   * Inside a failed refund's transaction: gives back what it took from escrow and members (a
   * member's part to pending while its share is unsettled, else to available). Returns the
   * credits as debits of the refund's posting (its reversal credits them), or [] when there were none.
   */
  async giveBackForRefund(
    q: Queryable,
    refundNo: string,
  ): Promise<{ account: AccountRef; amount: bigint }[]> {
    const row = await queries.markSplitRefundReversed(q, refundNo);
    if (!row) return [];
    const terms = (await queries.lockTerms(q, row.order_id))!;
    const records = new Map(
      (await queries.recordsOfOrder(q, row.order_id, true)).map((r) => [r.id.toString(), r]),
    );
    const recordParts = row.parts.map((p) => ({ id: BigInt(p.recordId), amount: -BigInt(p.amount) }));
    await queries.addRecordRefunded(q, recordParts);
    // The merchant's parts were its own debit: the refund's own reversal gives them back.
    const credits = row.parts.flatMap((p) => {
      if (p.account === 'merchant') return [];
      const record = records.get(p.recordId)!;
      return [
        {
          account: {
            kind: record.state === 'pending' ? 'member_pending' : 'member_available',
            ownerId: BigInt(p.memberId!),
            currency: terms.currency,
          } as AccountRef,
          amount: BigInt(p.amount),
        },
      ];
    });
    const refunded = terms.refunded - row.from_escrow;
    await queries.updateTerms(q, row.order_id, {
      state: terms.escrow ? escrowState({ ...terms, refunded }) : terms.state,
      net: terms.net,
      held: terms.held,
      released: terms.released,
      refunded,
      diverted: terms.diverted,
      paidAt: terms.paid_at,
      autoConfirmAt: terms.auto_confirm_at,
    });
    return [
      ...(row.from_escrow > 0n
        ? [
            {
              account: {
                kind: 'merchant_escrow' as const,
                ownerId: terms.merchant_id,
                currency: terms.currency,
              },
              amount: row.from_escrow,
            },
          ]
        : []),
      ...credits,
    ];
  }

  private async assertMembersCover(
    q: Queryable,
    terms: TermsRow,
    debits: { account: AccountRef; amount: bigint }[],
    members: Map<bigint, MemberRow>,
  ): Promise<void> {
    const byAccount = new Map<string, { account: AccountRef; amount: bigint }>();
    for (const d of debits) {
      const code = accountCode(d.account);
      byAccount.set(code, { account: d.account, amount: (byAccount.get(code)?.amount ?? 0n) + d.amount });
    }
    const balances = await this.deps.ledger.lockBalances(
      q,
      [...byAccount.values()].map((d) => d.account),
    );
    for (const [code, d] of byAccount) {
      if ((balances.get(code) ?? 0n) >= d.amount) continue;
      if (d.account.kind === 'merchant_escrow')
        throw new Error(`invariant: escrow of ${terms.order_no} short`);
      const member = members.get(d.account.ownerId!);
      throw new AppError(
        'SPLIT_REFUND_INSUFFICIENT',
        `member ${member?.member_no ?? d.account.ownerId} no longer has the ${d.amount} this refund takes back`,
        { memberNo: member?.member_no ?? null, needed: d.amount.toString() },
      );
    }
  }
}
