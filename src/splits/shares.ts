import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import { partyView } from './parts.ts';
import * as queries from './queries.ts';
import { type SplitDeps, SWEEP_BATCH } from './types.ts';

/**
 * Members' shares after the split: settling with their orders into the members' available
 * accounts, and the split records' two views.
 */
export class MemberShares {
  constructor(
    private readonly db: Db,
    private readonly deps: SplitDeps,
  ) {}

  // ---------- settlement of members' shares ----------

  /**
   * The step that settles split shares with their orders: once an order settled on its merchant's
   * cycle, each member's unsettled share (less what refunds took) moves member_pending →
   * member_available; the merchant's commission settled with the order itself. Idempotent.
   */
  async settleMemberShares(): Promise<number> {
    const records = await queries.lockUnsettledRecords(this.db, SWEEP_BATCH);
    if (records.length === 0) return 0;
    const settledOrders = await this.deps.settledOrders([...new Set(records.map((r) => r.order_id))]);
    const due = records.filter((r) => settledOrders.has(r.order_id));
    if (due.length === 0) return 0;
    await this.deps.ledger.openAccounts(
      due.flatMap((r) =>
        r.to_member_id === null
          ? []
          : [
              { kind: 'member_pending' as const, ownerId: r.to_member_id, currency: r.currency },
              { kind: 'member_available' as const, ownerId: r.to_member_id, currency: r.currency },
            ],
      ),
    );
    return this.db.tx(async (q) => {
      const locked = await queries.lockUnsettledRecords(q, SWEEP_BATCH);
      const settling = locked.filter((r) => settledOrders.has(r.order_id));
      await this.deps.ledger.postMany(
        q,
        settling
          .filter((r) => r.to_member_id !== null && r.amount > r.refunded)
          .map((r) => ({
            kind: 'member_settlement',
            reference: r.order_no,
            idempotencyKey: `member_settlement:${r.id}`,
            legs: [
              {
                account: { kind: 'member_pending', ownerId: r.to_member_id, currency: r.currency },
                amount: -(r.amount - r.refunded),
              },
              {
                account: { kind: 'member_available', ownerId: r.to_member_id, currency: r.currency },
                amount: r.amount - r.refunded,
              },
            ],
          })),
      );
      await queries.markRecordsSettled(
        q,
        settling.map((r) => r.id),
      );
      return settling.length;
    });
  }

  // ---------- records ----------

  /**
   * A merchant's split records: `out`, all it split; `in`, those to one member (memberNo).
   * Newest first, a page from the cursor.
   */
  async listRecords(
    merchantId: bigint,
    f: { view: 'out' | 'in'; memberNo?: string; from?: Date; to?: Date; cursor?: string; limit: number },
  ) {
    let memberId: bigint | undefined;
    if (f.view === 'in') {
      if (!f.memberNo)
        throw new AppError('INVALID_REQUEST', 'memberNo: required for view=in', { field: 'memberNo' });
      memberId = (await this.deps.members.requireForMerchant(merchantId, f.memberNo)).id;
    } else if (f.memberNo) {
      memberId = (await this.deps.members.requireForMerchant(merchantId, f.memberNo)).id;
    }
    const rows = await queries.listRecords(this.db, {
      merchantId,
      memberId,
      from: f.from,
      to: f.to,
      before: f.cursor ? BigInt(f.cursor) : undefined,
      limit: f.limit,
    });
    const members = await this.deps.members.byIds([
      ...new Set(rows.flatMap((r) => (r.to_member_id === null ? [] : [r.to_member_id]))),
    ]);
    return {
      items: rows.map((r) => ({
        orderNo: r.order_no,
        kind: r.kind,
        from: {
          kind: r.confirmation_id === null ? 'merchant' : 'escrow',
          name: r.confirmation_id === null ? 'merchant' : 'escrow',
        },
        to: partyView(r, members),
        amount: toJsonAmount(r.amount),
        refunded: toJsonAmount(r.refunded),
        state: r.state,
        createdAt: r.created_at.toISOString(),
      })),
      nextCursor: rows.length === f.limit ? rows.at(-1)!.id.toString() : null,
    };
  }
}
