import { describe, expect, it } from 'vitest';
import { canTransition, isLatePayment, ORDER_STATES, type OrderState } from './state.ts';

// The whole table, written out: a change to the machine has to change this test on purpose.
const ALLOWED: Record<OrderState, OrderState[]> = {
  created: ['paying', 'paid', 'failed', 'closed'],
  paying: ['paid', 'failed', 'closed'],
  paid: ['partially_refunded', 'refunded'],
  failed: ['paid'],
  closed: ['paid'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
};

describe('order state machine', () => {
  for (const from of ORDER_STATES) {
    for (const to of ORDER_STATES) {
      const allowed = ALLOWED[from].includes(to);
      it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
      });
    }
  }

  it('never leaves paid for anything but a refund', () => {
    expect(ORDER_STATES.filter((to) => canTransition('paid', to))).toEqual([
      'partially_refunded',
      'refunded',
    ]);
  });

  it('flags payments after close or failure as late', () => {
    expect(isLatePayment('closed')).toBe(true);
    expect(isLatePayment('failed')).toBe(true);
    expect(isLatePayment('paying')).toBe(false);
  });
});
