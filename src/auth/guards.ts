import type { FastifyRequest } from 'fastify';
import type { Services } from '../app/services.ts';
import { AppError } from '../errors.ts';
import type { ConsoleSession } from './console-users.ts';
import { grants, type Permission } from './permissions.ts';
import type { Area } from './queries.ts';

export const SESSION_COOKIE = 'qy_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session of an operator, merchant or agent request, once the guard let it in. */
    consoleSession?: ConsoleSession;
  }
  interface FastifyContextConfig {
    /** The permission an operator route needs; operator routes without one are refused. */
    permission?: Permission;
    /** Merchant portal routes only managers may use. */
    merchantRole?: 'manager';
  }
}

const isMutation = (request: FastifyRequest) => request.method !== 'GET' && request.method !== 'HEAD';

/**
 * Loads the session and checks what every console request must satisfy: logged in, in the right
 * area, done with the login steps (unless `stages` allows one), and on a mutation JSON with the
 * session's CSRF token. Runs before the body is validated, so a stranger learns nothing from
 * schema errors. The cookie is SameSite=Strict as well; the token covers same-site attackers.
 */
export async function consoleSession(
  services: Services,
  request: FastifyRequest,
  area: Area | null,
  stages: readonly string[] = ['active'],
): Promise<ConsoleSession> {
  const session = await services.consoleUsers.sessionOf(
    request.cookies[SESSION_COOKIE],
    request.headers['x-qy-background'] !== '1',
  );
  if (!session) throw new AppError('UNAUTHENTICATED', 'log in first (or your session has timed out)');
  if (area && session.user.area !== area) throw new AppError('FORBIDDEN', `this is the ${area} area`);
  if (!stages.includes(session.stage)) {
    throw new AppError('STAGE_REQUIRED', `finish the login first (current step: ${session.stage})`, {
      stage: session.stage,
    });
  }
  if (isMutation(request)) {
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && !contentType.startsWith('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'console mutations must be application/json');
    }
    if (request.headers[CSRF_HEADER] !== session.csrfToken) {
      throw new AppError('CSRF_INVALID', 'missing or wrong X-CSRF-Token');
    }
  }
  request.consoleSession = session;
  return session;
}

/** Guard for /api/admin: an active operator whose role grants the route's permission. */
export function requireOperator(services: Services) {
  return async (request: FastifyRequest) => {
    const session = await consoleSession(services, request, 'operator');
    const needed = request.routeOptions.config.permission;
    if (!needed) throw new AppError('FORBIDDEN', 'this route names no permission');
    if (!grants(session.user.permissions, needed)) {
      throw new AppError('FORBIDDEN', `your role lacks the permission ${needed}`, { permission: needed });
    }
  };
}

/** Guard for /api/merchant: an active merchant user; manager-only routes refuse cashiers. */
export function requireMerchantUser(services: Services) {
  return async (request: FastifyRequest) => {
    const session = await consoleSession(services, request, 'merchant');
    if (request.routeOptions.config.merchantRole === 'manager' && session.user.merchantRole !== 'manager') {
      throw new AppError('FORBIDDEN', 'only the store manager may do this');
    }
  };
}

/** Guard for /api/agent: an active agent user acting for an agent (the routes scope to its subtree). */
export function requireAgentUser(services: Services) {
  return async (request: FastifyRequest) => {
    const session = await consoleSession(services, request, 'agent');
    if (session.user.agentId === null) throw new AppError('FORBIDDEN', 'this login acts for no agent');
  };
}

/** Guard for /api/member: an active member login acting for its member (the routes scope to it). */
export function requireMemberUser(services: Services) {
  return async (request: FastifyRequest) => {
    const session = await consoleSession(services, request, 'member');
    if (session.user.memberId === null) throw new AppError('FORBIDDEN', 'this login acts for no member');
  };
}

/** The session the guard attached; routes behind a guard always have one. */
export function sessionOf(request: FastifyRequest): ConsoleSession {
  if (!request.consoleSession) throw new AppError('UNAUTHENTICATED', 'log in first');
  return request.consoleSession;
}

/**
 * Guard for the auth posts made before there is a session (login, password reset) and for logout:
 * JSON only (a form or text/plain post, the only kinds a foreign page can send without a CORS
 * preflight, is refused 415), and an `Origin` (or, without one, a `Referer`) that is this platform's:
 * QY_PUBLIC_URL's origin, or the host the request was sent to. A foreign or opaque (`null`) origin is
 * refused 403 ORIGIN_REFUSED: that stops login CSRF (a page logging the victim into the attacker's
 * account). Browsers send `Origin` on every POST, so a request with neither header is a non-browser
 * client (CLI, scripts, tests), which cannot be made to carry a victim's cookies; it is let through,
 * as OWASP's CSRF guidance allows when JSON-only already rules out simple cross-site requests.
 */
export function requireOwnOriginJson(publicUrl: string | undefined) {
  const publicOrigin = publicUrl ? new URL(publicUrl).origin : null;
  return async (request: FastifyRequest) => {
    const contentType = request.headers['content-type'];
    if (!contentType?.toLowerCase().startsWith('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    }
    const claimed = originOf(request.headers.origin) ?? originOf(request.headers.referer);
    if (claimed === undefined || claimed === publicOrigin) return;
    const host = request.headers.host?.toLowerCase();
    if (claimed !== 'null' && host && claimed.replace(/^[a-z][a-z0-9+.-]*:\/\//, '') === host) return;
    throw new AppError('ORIGIN_REFUSED', 'this request must come from the console’s own pages');
  };
}

/** `scheme://host[:port]` of a URL, lower-cased; 'null' for anything that does not parse. */
function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? 'null' : origin.toLowerCase();
  } catch {
    return 'null';
  }
}
