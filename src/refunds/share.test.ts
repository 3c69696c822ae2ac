import { describe, expect, it } from 'vitest';
import type { RefundableOrder } from '../orders/queries.ts';
import { shareOf } from './service.ts';

const order = (over: Partial<RefundableOrder> = {}): RefundableOrder => ({
  id: 1n,
  state: 'paid',
  amount: 10_000n,
  fee: 61n,
  channel_cost: 25n,
  refunded_amount: 0n,
  refunded_fee: 0n,
  refunded_channel_cost: 0n,
  fee_refund_mode: 'proportional',
  ...over,
});

describe('the fee share of a refund', () => {
  it('is proportional, rounded half up', () => {
    // 61 × 2 500 / 10 000 = 15.25 → 15; 25 × 2 500 / 10 000 = 6.25 → 6
    expect(shareOf(order(), 2_500n)).toEqual({ amount: 2_500n, fee: 15n, channelCost: 6n });
    // 61 × 5 000 / 10 000 = 30.5 → 31
    expect(shareOf(order(), 5_000n).fee).toBe(31n);
  });

  it('gives back exactly the whole when refunds in parts complete the order', () => {
    let o = order();
    let fee = 0n;
    let cost = 0n;
    for (const amount of [3_333n, 3_333n, 3_334n]) {
      const share = shareOf(o, amount);
      fee += share.fee;
      cost += share.channelCost;
      o = {
        ...o,
        refunded_amount: o.refunded_amount + amount,
        refunded_fee: o.refunded_fee + share.fee,
        refunded_channel_cost: o.refunded_channel_cost + share.channelCost,
      };
    }
    expect({ fee, cost }).toEqual({ fee: 61n, cost: 25n });
  });

  it('never gives back more than is left, even with many tiny refunds rounding up', () => {
    let o = order({ amount: 3n, fee: 1n, channel_cost: 1n });
    let fee = 0n;
    for (let i = 0; i < 3; i++) {
      const share = shareOf(o, 1n);
      fee += share.fee;
      o = { ...o, refunded_amount: o.refunded_amount + 1n, refunded_fee: o.refunded_fee + share.fee };
    }
    expect(fee).toBe(1n);
  });

  it('never gives back more fee than the refund, nor leaves more fee than is left to refund', () => {
    // A 50-fen order whose 10-fen minimum fee is a fifth of it, refunded fen by fen: 0.2 rounds to
    // 0 each time, so without the bound the last fen would give back all 10 fen of fee.
    let o = order({ amount: 50n, fee: 10n, channel_cost: 8n });
    let fee = 0n;
    let cost = 0n;
    for (let i = 0; i < 50; i++) {
      const share = shareOf(o, 1n);
      expect(share.fee <= 1n && share.channelCost <= 1n).toBe(true);
      fee += share.fee;
      cost += share.channelCost;
      o = {
        ...o,
        refunded_amount: o.refunded_amount + 1n,
        refunded_fee: o.refunded_fee + share.fee,
        refunded_channel_cost: o.refunded_channel_cost + share.channelCost,
      };
      expect(o.fee - o.refunded_fee <= o.amount - o.refunded_amount).toBe(true);
    }
    expect({ fee, cost }).toEqual({ fee: 10n, cost: 8n });
    // A fee of the whole amount (an order below the minimum) is given back with every fen.
    const whole = order({ amount: 7n, fee: 7n, channel_cost: 7n });
    expect(shareOf(whole, 3n)).toEqual({ amount: 3n, fee: 3n, channelCost: 3n });
  });

  it('keeps the fee when the product says so; the channel cost still comes back', () => {
    expect(shareOf(order({ fee_refund_mode: 'kept' }), 10_000n)).toEqual({
      amount: 10_000n,
      fee: 0n,
      channelCost: 25n,
    });
  });
});
