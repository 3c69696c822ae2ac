import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { sessionOf } from '../auth/guards.ts';
import { limitGuess } from '../auth/guess-limit.ts';

export const Password = z.string().min(1).max(256);
export const TotpCode = z.string().trim().max(16).optional();
/** A change of money or cards confirmed by the login's password (and TOTP code when it has TOTP). */
export const ConfirmBody = z.object({ password: Password, totpCode: TotpCode });

/** The user's login password (and TOTP), each wrong guess counted toward the lockout and the address's limit. */
export function confirmManager(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  password: string,
  totpCode: string | undefined,
) {
  return limitGuess(services.consoleUsers.guessesPerIp, request, reply, () =>
    services.consoleUsers.confirmIdentity(sessionOf(request).user.id, password, totpCode),
  );
}
