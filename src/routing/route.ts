/**
 * Routing (PAY-3): which channel accounts of a product may take an order, in the order to try them.
 * Pure: no I/O, no clock, no randomness of its own — the caller passes them in, so tables test it.
 *
 * Rules: a binding is eligible when it is enabled, the amount is in its range, today's paid volume
 * plus this amount stays within its daily limit, and the local time is inside its window. Eligible
 * bindings are tried by priority (higher first); within one priority, by weighted random draw, each
 * draw taking one binding out of the pool, so the rest of the list is the failover order.
 *
 * Health (channel circuit breakers, health/): an account whose circuit is open is skipped, like a
 * disabled one; a half-open one stays in the plan (the channel gateway lets only its probes
 * through and refuses the rest, which fail over to the next binding); a degraded one is drawn with
 * a share of its weight.
 */
export interface RouteCandidate {
  channelAccountId: bigint;
  weight: number;
  priority: number;
  minAmount: bigint | null;
  maxAmount: bigint | null;
  dailyLimit: bigint | null;
  /** 'HH:MM' local, inclusive. Both null = all day. */
  windowStart: string | null;
  /** 'HH:MM' local, exclusive; a window may wrap past midnight (22:00–02:00). */
  windowEnd: string | null;
  enabled: boolean;
}

export interface RouteInput {
  amount: bigint;
  /** Minutes since local midnight, 0–1439. */
  minuteOfDay: number;
  candidates: readonly RouteCandidate[];
  /** Paid volume today per channel account id (decimal string key). */
  usedToday: ReadonlyMap<string, bigint>;
  /** Uniform in [0, 1). */
  random: () => number;
  /** Health per channel account id (decimal string key); an account not named is healthy. */
  health?: ReadonlyMap<string, RouteHealth>;
}

/** An account's health as routing weighs it. */
export type RouteHealth =
  | { state: 'open' }
  | { state: 'half_open' }
  | { state: 'degraded' /** The share of its weight it keeps, 1–100. */; weightPercent: number };

export type Exclusion =
  | 'disabled'
  | 'amount_range'
  | 'daily_limit'
  | 'time_window'
  | 'zero_weight'
  | 'circuit_open';

export function exclusionOf(
  c: RouteCandidate,
  input: Omit<RouteInput, 'candidates' | 'random'>,
): Exclusion | null {
  if (!c.enabled) return 'disabled';
  if (c.weight <= 0) return 'zero_weight';
  if (c.minAmount !== null && input.amount < c.minAmount) return 'amount_range';
  if (c.maxAmount !== null && input.amount > c.maxAmount) return 'amount_range';
  if (c.dailyLimit !== null) {
    const used = input.usedToday.get(c.channelAccountId.toString()) ?? 0n;
    if (used + input.amount > c.dailyLimit) return 'daily_limit';
  }
  if (!inWindow(input.minuteOfDay, c.windowStart, c.windowEnd)) return 'time_window';
  if (input.health?.get(c.channelAccountId.toString())?.state === 'open') return 'circuit_open';
  return null;
}

/** The weight an account is drawn with: its binding's, lowered while it is degraded. */
export function effectiveWeight(c: RouteCandidate, health: RouteInput['health']): number {
  const mark = health?.get(c.channelAccountId.toString());
  return mark?.state === 'degraded' ? (c.weight * mark.weightPercent) / 100 : c.weight;
}

export function planRoute(input: RouteInput): RouteCandidate[] {
  const eligible = input.candidates.filter((c) => exclusionOf(c, input) === null);
  const priorities = [...new Set(eligible.map((c) => c.priority))].sort((a, b) => b - a);
  const plan: RouteCandidate[] = [];
  for (const priority of priorities) {
    const pool = eligible.filter((c) => c.priority === priority);
    while (pool.length > 0) {
      const index = weightedDraw(pool, input.random(), input.health);
      plan.push(pool[index]!);
      pool.splice(index, 1);
    }
  }
  return plan;
}

function weightedDraw(
  pool: readonly RouteCandidate[],
  uniform: number,
  health: RouteInput['health'],
): number {
  const total = pool.reduce((sum, c) => sum + effectiveWeight(c, health), 0);
  let point = uniform * total;
  for (let i = 0; i < pool.length; i++) {
    point -= effectiveWeight(pool[i]!, health);
    if (point < 0) return i;
  }
  return pool.length - 1;
}

export function parseClock(text: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new RangeError(`not a HH:MM time: ${text}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

export function inWindow(minuteOfDay: number, start: string | null, end: string | null): boolean {
  if (start === null || end === null) return true;
  const from = parseClock(start);
  const to = parseClock(end);
  if (from === to) return true;
  return from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
}

/** Building a DateTimeFormat costs far more than using one: one per time zone, kept. */
const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes since midnight in a time zone (Asia/Shanghai by default: the business's clock). */
export function minuteOfDayIn(date: Date, timeZone: string): number {
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    clockFormats.set(timeZone, format);
  }
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(date)) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}
