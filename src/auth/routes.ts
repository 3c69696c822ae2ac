import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { AppError } from '../errors.ts';
import { SESSION_TTL_MS } from './operators.ts';

export const SESSION_COOKIE = 'qy_session';

/**
 * Guard for operator routes, run before the body is validated (so a stranger learns nothing from
 * schema errors). The session cookie is SameSite=Strict, and a mutation that carries any content
 * type but JSON is refused: a cross-site form always sends one (urlencoded, multipart or text)
 * and cannot send JSON without a CORS preflight. Per-request CSRF tokens and 2FA arrive with the
 * consoles.
 */
export function requireOperator(services: Services) {
  return async (request: FastifyRequest) => {
    const operator = await services.operators.operatorOf(request.cookies[SESSION_COOKIE]);
    if (!operator) throw new AppError('UNAUTHENTICATED', 'log in as an operator first');
    const mutating = request.method !== 'GET' && request.method !== 'HEAD';
    const contentType = request.headers['content-type'];
    if (mutating && contentType !== undefined && !contentType.startsWith('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'operator API mutations must be application/json');
    }
    request.operator = operator;
  };
}

export async function adminRoutes(
  app: FastifyInstance,
  { services, secureCookies }: { services: Services; secureCookies: boolean },
) {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/api/admin/login',
    {
      schema: {
        tags: ['operator'],
        summary: 'Operator login (sets the session cookie)',
        body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }),
      },
    },
    async (request, reply) => {
      const { token, operator } = await services.operators.login(
        request.body.username,
        request.body.password,
        request.ip,
      );
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookies,
        maxAge: SESSION_TTL_MS / 1000,
      });
      return { username: operator.username, displayName: operator.displayName };
    },
  );

  api.post(
    '/api/admin/logout',
    { schema: { tags: ['operator'], summary: 'Log out' } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await services.operators.logout(token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  api.get(
    '/api/admin/me',
    {
      schema: { tags: ['operator'], summary: 'The logged-in operator' },
      preValidation: requireOperator(services),
    },
    async (request) => ({ username: request.operator!.username, displayName: request.operator!.displayName }),
  );
}
