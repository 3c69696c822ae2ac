import { describe, expect, it } from 'vitest';
import { inWindow, minuteOfDayIn, planRoute, type RouteCandidate, type RouteInput } from './route.ts';

function candidate(id: number, patch: Partial<RouteCandidate> = {}): RouteCandidate {
  return {
    channelAccountId: BigInt(id),
    weight: 100,
    priority: 0,
    minAmount: null,
    maxAmount: null,
    dailyLimit: null,
    windowStart: null,
    windowEnd: null,
    enabled: true,
    ...patch,
  };
}

/** A seeded generator so the draws are repeatable. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function input(candidates: RouteCandidate[], patch: Partial<RouteInput> = {}): RouteInput {
  return {
    amount: 1000n,
    minuteOfDay: 12 * 60,
    candidates,
    usedToday: new Map(),
    random: Math.random,
    ...patch,
  };
}

const ids = (plan: RouteCandidate[]) => plan.map((c) => Number(c.channelAccountId));

describe('planRoute', () => {
  it('splits traffic by weight over many draws', () => {
    const random = mulberry32(42);
    const counts = new Map<number, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const first = planRoute(
        input([candidate(1, { weight: 70 }), candidate(2, { weight: 20 }), candidate(3, { weight: 10 })], {
          random,
        }),
      )[0]!;
      counts.set(Number(first.channelAccountId), (counts.get(Number(first.channelAccountId)) ?? 0) + 1);
    }
    expect((counts.get(1) ?? 0) / draws).toBeCloseTo(0.7, 1);
    expect((counts.get(2) ?? 0) / draws).toBeCloseTo(0.2, 1);
    expect((counts.get(3) ?? 0) / draws).toBeCloseTo(0.1, 1);
  });

  it('tries higher priorities first and keeps the others as failover', () => {
    const plan = planRoute(
      input([candidate(1, { priority: 0 }), candidate(2, { priority: 10 }), candidate(3, { priority: 5 })]),
    );
    expect(ids(plan)).toEqual([2, 3, 1]);
  });

  it('lists every eligible binding once, so failover can walk them all', () => {
    const plan = planRoute(input([candidate(1), candidate(2), candidate(3)], { random: mulberry32(7) }));
    expect(ids(plan).sort()).toEqual([1, 2, 3]);
  });

  it.each([
    ['disabled', candidate(1, { enabled: false }), {}],
    ['zero weight', candidate(1, { weight: 0 }), {}],
    ['below the min amount', candidate(1, { minAmount: 1001n }), {}],
    ['above the max amount', candidate(1, { maxAmount: 999n }), {}],
    ['over the daily limit', candidate(1, { dailyLimit: 5000n }), { usedToday: new Map([['1', 4001n]]) }],
    ['outside the time window', candidate(1, { windowStart: '13:00', windowEnd: '18:00' }), {}],
  ] as const)('excludes a binding %s', (_name, c, patch) => {
    expect(planRoute(input([c], patch as Partial<RouteInput>))).toEqual([]);
  });

  it('admits an order that exactly fills the daily limit', () => {
    const c = candidate(1, { dailyLimit: 5000n });
    expect(ids(planRoute(input([c], { usedToday: new Map([['1', 4000n]]) })))).toEqual([1]);
  });

  it('admits amounts on the range bounds', () => {
    const c = candidate(1, { minAmount: 1000n, maxAmount: 1000n });
    expect(ids(planRoute(input([c])))).toEqual([1]);
  });
});

describe('time windows', () => {
  it.each([
    [9 * 60, '09:00', '18:00', true],
    [18 * 60, '09:00', '18:00', false],
    [23 * 60, '22:00', '02:00', true],
    [60, '22:00', '02:00', true],
    [12 * 60, '22:00', '02:00', false],
    [12 * 60, null, null, true],
    [12 * 60, '00:00', '00:00', true],
  ])('minute %i in %s–%s → %s', (minute, start, end, expected) => {
    expect(inWindow(minute, start, end)).toBe(expected);
  });

  it('reads the local clock in the business time zone', () => {
    expect(minuteOfDayIn(new Date('2026-01-01T16:30:00Z'), 'Asia/Shanghai')).toBe(30); // 00:30 next day
  });
});

describe('planRoute with channel health', () => {
  it('skips an account whose circuit is open, falling back to the next binding', () => {
    const health = new Map([['1', { state: 'open' as const }]]);
    const plan = planRoute(input([candidate(1, { priority: 1 }), candidate(2)], { health }));
    expect(plan.map((c) => c.channelAccountId)).toEqual([2n]);
  });

  it('keeps a half-open account in its place (the gateway lets only its probes through)', () => {
    const health = new Map([['1', { state: 'half_open' as const }]]);
    const plan = planRoute(input([candidate(1, { priority: 1 }), candidate(2)], { health }));
    expect(plan.map((c) => c.channelAccountId)).toEqual([1n, 2n]);
  });

  it('draws a degraded account with its share of the weight', () => {
    const random = mulberry32(7);
    const health = new Map([['1', { state: 'degraded' as const, weightPercent: 20 }]]);
    let first = 0;
    for (let i = 0; i < 10_000; i++) {
      const plan = planRoute(input([candidate(1), candidate(2)], { health, random }));
      if (plan[0]!.channelAccountId === 1n) first++;
    }
    // 100 × 20 % against 100: one draw in six.
    expect(first / 10_000).toBeGreaterThan(0.14);
    expect(first / 10_000).toBeLessThan(0.19);
  });
});
