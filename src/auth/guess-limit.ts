import type { FastifyReply, FastifyRequest } from 'fastify';
import { WindowLimiter } from '../collect/limiter.ts';
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

/** The guesses of each client address in its window. */
export const guessLimiter = (limit = GUESSES_PER_IP) => new WindowLimiter(limit, GUESS_WINDOW_MS);

/**
 * Runs a guess under the per-address limit: refused with 429 RATE_LIMITED and Retry-After before
 * anything is checked when the address has none left; counted when it fails, given back when it
 * succeeds (`countSuccess` for requests that cost something either way, like sending a reset mail).
 */
export async function limitGuess<T>(
  limiter: WindowLimiter,
  request: FastifyRequest,
  reply: FastifyReply,
  guess: () => Promise<T>,
  opts: { countSuccess?: boolean } = {},
): Promise<T> {
  if (!limiter.take(request.ip)) {
    const retryAfterSeconds = limiter.retryAfterSeconds(request.ip);
    reply.header('retry-after', String(retryAfterSeconds));
    throw new AppError('RATE_LIMITED', 'too many attempts from this address; try again later', {
      retryAfterSeconds,
    });
  }
  const result = await guess();
  if (!opts.countSuccess) limiter.giveBack(request.ip);
  return result;
}
