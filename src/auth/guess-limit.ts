import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/**
 * Guesses (failed logins, wrong TOTP / recovery / reset codes, wrong completion passwords, reset
 * requests) per client address per window. Kept in memory on each API node: the hard bound is the
 * per-account lock, which lives in the database and holds across nodes; this one only slows one
 * address spraying many accounts, so N nodes allowing N times the limit is acceptable, and it costs
 * no database write per refused request (a flood does not become database load).
 */
export const GUESSES_PER_IP = 30;
export const GUESS_WINDOW_MS = 15 * 60 * 1000;

export class GuessLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit = GUESSES_PER_IP,
    private readonly windowMs = GUESS_WINDOW_MS,
    /** Made-up keys cannot grow the map without end. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one guess for `key` (before it is checked); the seconds to wait when none is left. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (!window && this.windows.size >= this.maxKeys) this.evict(now);
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    if (window.count >= this.limit) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
    }
    window.count++;
    return { ok: true };
  }

  /** A guess that was right does not count against the address. */
  giveBack(key: string): void {
    const window = this.windows.get(key);
    if (window && window.count > 0) window.count--;
  }

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

/**
 * Runs a guess under the per-address limit: refused with 429 RATE_LIMITED and Retry-After before
 * anything is checked when the address has none left; counted when it fails, given back when it
 * succeeds (`countSuccess` for requests that cost something either way, like sending a reset mail).
 */
export async function limitGuess<T>(
  limiter: GuessLimiter,
  request: FastifyRequest,
  reply: FastifyReply,
  guess: () => Promise<T>,
  opts: { countSuccess?: boolean } = {},
): Promise<T> {
  const taken = limiter.take(request.ip);
  if (!taken.ok) {
    reply.header('retry-after', String(taken.retryAfterSeconds));
    throw new AppError('RATE_LIMITED', 'too many attempts from this address; try again later', {
      retryAfterSeconds: taken.retryAfterSeconds,
    });
  }
  const result = await guess();
  if (!opts.countSuccess) limiter.giveBack(request.ip);
  return result;
}
