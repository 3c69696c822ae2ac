// Order states as the API names them (DESIGN §5), shared by the operator console and the merchant portal.

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

/** States in which the payer may still pay: the order can be closed or synced with the channel. */
export function isOpenState(state: OrderState): boolean {
  return state === 'created' || state === 'paying';
}

export function isPaidState(state: OrderState): boolean {
  return state === 'paid' || state === 'partially_refunded' || state === 'refunded';
}
