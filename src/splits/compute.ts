import { AppError } from '../errors.ts';

/** A commission party's terms: ppm of the order amount or a fixed amount, within an optional floor and cap. */
export interface CommissionTerms {
  basis: 'ppm' | 'fixed';
  value: bigint;
  floor: bigint | null;
  cap: bigint | null;
}

/** Who is paid: the marketplace (the merchant) or a member. */
export type Payee = { kind: 'merchant' } | { kind: 'member'; memberId: bigint };

/** One part of a split: index -1 is the receiver's share, 0.. the rule's commission parties. */
export interface SplitPart {
  index: number;
  payee: Payee;
  amount: bigint;
}

const PPM = 1_000_000n;
/** A rule has at most this many commission parties (each is a ledger leg of the payment). */
export const MAX_PARTIES = 10;
export const RECEIVER = -1;

/**
 * A party's commission on the order amount: ppm rounded down (DESIGN §3: floor per party, the
 * residue goes to the receiver), then raised to the floor and lowered to the cap.
 */
export function commissionOf(terms: CommissionTerms, amount: bigint): bigint {
  let commission = terms.basis === 'ppm' ? (amount * terms.value) / PPM : terms.value;
  if (terms.floor !== null && commission < terms.floor) commission = terms.floor;
  if (terms.cap !== null && commission > terms.cap) commission = terms.cap;
  return commission;
}

/**
 * The whole split of a net: each commission as computed on the amount, the receiver the rest.
 * SPLIT_EXCEEDS_AMOUNT when the commissions leave less than nothing for the receiver.
 */
export function planSplit(
  net: bigint,
  receiver: Payee,
  commissions: { payee: Payee; amount: bigint }[],
): SplitPart[] {
  const total = commissions.reduce((sum, c) => sum + c.amount, 0n);
  if (total > net) {
    throw new AppError(
      'SPLIT_EXCEEDS_AMOUNT',
      `the commissions (${total}) exceed the ${net} left to split after the fee`,
      { commissions: total.toString(), net: net.toString() },
    );
  }
  return [
    { index: RECEIVER, payee: receiver, amount: net - total },
    ...commissions.map((c, index) => ({ index, payee: c.payee, amount: c.amount })),
  ];
}

/** A part's full amount and what of it was released already. */
export interface ReleaseState {
  index: number;
  total: bigint;
  released: bigint;
}

/**
 * The parts of an escrow release of `amount`, in proportion to each part's full amount: each part
 * gets (cumulatively) its share of what was released of the plan so far, rounded down, never more
 * than it has left; the receiver takes the residue, and what it cannot take goes to the parts
 * with room left. The parts always add up to `amount` exactly. A release of everything left pays
 * each part exactly its rest.
 */
export function releaseParts(parts: ReleaseState[], amount: bigint): Map<number, bigint> {
  const room = (p: ReleaseState) => p.total - p.released;
  const roomTotal = parts.reduce((sum, p) => sum + room(p), 0n);
  if (amount <= 0n || amount > roomTotal)
    throw new Error(`invariant: release of ${amount} with ${roomTotal} room`);
  const out = new Map<number, bigint>();
  if (amount === roomTotal) {
    for (const p of parts) out.set(p.index, room(p));
    return out;
  }
  const planTotal = parts.reduce((sum, p) => sum + p.total, 0n);
  const releasedTotal = parts.reduce((sum, p) => sum + p.released, 0n);
  let left = amount;
  for (const p of parts) {
    if (p.index === RECEIVER) continue;
    const target = (p.total * (releasedTotal + amount)) / planTotal;
    const part = minOf(maxOf(target - p.released, 0n), room(p), left);
    out.set(p.index, part);
    left -= part;
  }
  const receiver = parts.find((p) => p.index === RECEIVER);
  const toReceiver = receiver ? minOf(left, room(receiver)) : 0n;
  out.set(RECEIVER, toReceiver);
  left -= toReceiver;
  for (const p of parts) {
    if (left === 0n) break;
    if (p.index === RECEIVER) continue;
    const extra = minOf(room(p) - out.get(p.index)!, left);
    out.set(p.index, out.get(p.index)! + extra);
    left -= extra;
  }
  if (left !== 0n) throw new Error('invariant: release does not add up');
  return out;
}

/**
 * `amount` taken back from parts in proportion to what each still has (rounded down), the residue
 * from the receiver first, then from any part with something left. Adds up to `amount` exactly.
 */
export function takeBackParts(parts: { index: number; has: bigint }[], amount: bigint): Map<number, bigint> {
  const total = parts.reduce((sum, p) => sum + p.has, 0n);
  if (amount < 0n || amount > total) throw new Error(`invariant: take back ${amount} of ${total}`);
  const out = new Map<number, bigint>();
  let left = amount;
  for (const p of parts) {
    const part = total === 0n ? 0n : (p.has * amount) / total;
    out.set(p.index, part);
    left -= part;
  }
  const order = [...parts].sort((a, b) => (a.index === RECEIVER ? -1 : b.index === RECEIVER ? 1 : 0));
  for (const p of order) {
    if (left === 0n) break;
    const extra = minOf(p.has - out.get(p.index)!, left);
    out.set(p.index, out.get(p.index)! + extra);
    left -= extra;
  }
  if (left !== 0n) throw new Error('invariant: take back does not add up');
  return out;
}

function minOf(...values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a));
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
