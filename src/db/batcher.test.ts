import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.ts';

describe('Batcher', () => {
  it('writes concurrent submissions together and answers each with its own result', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return items.map((n) => n * 2);
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.submit(i)));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(batches.length).toBeLessThan(5);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('keeps to maxBatch and maxInFlight', async () => {
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        inFlight++;
        most = Math.max(most, inFlight);
        sizes.push(items.length);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight--;
        return items;
      },
      { maxBatch: 7, maxInFlight: 2 },
    );
    await Promise.all(Array.from({ length: 60 }, (_, i) => batcher.submit(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(7);
    expect(most).toBe(2);
  });

  it('fails only the item the writer failed', async () => {
    const batcher = new Batcher<number, number>(
      async (items) => items.map((n) => (n === 3 ? new Error('three is refused') : n)),
      { maxBatch: 10, maxInFlight: 1 },
    );
    const settled = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  });

  it('when a whole batch throws, writes each item alone so only the bad one fails', async () => {
    const writes: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        writes.push(items);
        if (items.includes(99)) throw new Error('the database refused 99');
        return items;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const settled = await Promise.allSettled([1, 99, 2].map((n) => batcher.submit(n)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('the database refused 99');
    expect(writes).toEqual([[1, 99, 2], [1], [99], [2]]);
    expect(await batcher.submit(4)).toBe(4);
  });
});
