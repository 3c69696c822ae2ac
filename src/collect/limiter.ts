/**
 * A fixed-window counter per key, in memory: enough to stop one phone or script from spamming a
 * code with orders, a cashier page with polls, or the console with guesses. Per node (several API nodes each allow the limit); the keys it remembers are
 * bounded, so made-up keys cannot grow it without end.
 */
export class WindowLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one attempt for `key`; false when the key has used up its window. */
  take(key: string, now = Date.now()): boolean {
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (!window && this.windows.size >= this.maxKeys) this.evict(now);
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    // A refusal is not counted: the window ends when it would have, and a given-back attempt frees one.
    if (window.count >= this.limit) return false;
    window.count++;
    return true;
  }

  /** Seconds until `key`'s window ends (at least 1): the Retry-After of a refusal. */
  retryAfterSeconds(key: string, now = Date.now()): number {
    const window = this.windows.get(key);
    return window ? Math.max(1, Math.ceil((window.resetAt - now) / 1000)) : 1;
  }

  /** An attempt that should not count after all (a right guess) is handed back to `key`'s window. */
  giveBack(key: string): void {
    const window = this.windows.get(key);
    if (window && window.count > 0) window.count--;
  }

  /** Drops ended windows; if every key is still live, the oldest half (a flood of keys must not pin memory). */
  private evict(now: number) {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    if (this.windows.size < this.maxKeys) return;
    let drop = Math.ceil(this.windows.size / 2);
    for (const key of this.windows.keys()) {
      if (drop-- <= 0) break;
      this.windows.delete(key);
    }
  }
}
