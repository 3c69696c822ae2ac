import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../app/services.ts';
import { limitGuess } from '../auth/guess-limit.ts';

/**
 * The completion password (补单, marking a payout failed), its wrong guesses counted toward the
 * operator's lockout and the address's limit, so it cannot be guessed. Every route that asks for it
 * checks it here, first, before it reads what the request is about.
 */
export function checkCompletionPassword(
  services: Pick<Services, 'consoleUsers' | 'settings'>,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: bigint,
  password: string,
): Promise<void> {
  return limitGuess(services.consoleUsers.guessesPerIp, request, reply, () =>
    services.consoleUsers.checkWithLockout(userId, () =>
      services.settings.verifyCompletionPassword(password),
    ),
  );
}
