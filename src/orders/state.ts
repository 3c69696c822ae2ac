/** Order states (DESIGN §5). The words are the API's. */
export const ORDER_STATES = [
  'created',
  'paying',
  'paid',
  'failed',
  'closed',
  'partially_refunded',
  'refunded',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/**
 * Allowed transitions. `closed → paid` and `failed → paid` are late payments: the customer's money
 * arrived after we gave up, so it is recorded (with an alert), never dropped. `created → paid`
 * covers a payment confirmed before the channel's create answer was recorded.
 */
export const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  created: ['paying', 'paid', 'failed', 'closed'],
  paying: ['paid', 'failed', 'closed'],
  paid: ['partially_refunded', 'refunded'],
  failed: ['paid'],
  closed: ['paid'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
};

export function canTransition(from: OrderState, to: OrderState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A payment that lands in one of these states is late and raises an alert. */
export function isLatePayment(from: OrderState): boolean {
  return from === 'closed' || from === 'failed';
}

/** States in which the customer may still pay and the channel is worth asking. */
export function isOpen(state: OrderState): boolean {
  return state === 'created' || state === 'paying';
}

/** States that mean the money arrived. */
export function isPaidState(state: OrderState): boolean {
  return state === 'paid' || state === 'partially_refunded' || state === 'refunded';
}
