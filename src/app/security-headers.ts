import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The browser-facing headers every response carries (OWASP ASVS 14.4), whatever answered it: a
 * route, the error handler, the 404 handler or a static file. Pages that know better keep what
 * they set (the cashier and payer pages send `no-referrer` and their own nonce CSP; the consoles
 * their own CSP); a CSP without `frame-ancestors` gets `frame-ancestors 'none'` added, so no page
 * of ours can be framed (clickjacking).
 */

/** One year, the floor browsers' HSTS preload lists ask for. */
export const HSTS_MAX_AGE_SECONDS = 31_536_000;

/**
 * Anything that is not a page (JSON, text, images, files) may load nothing and be framed by
 * nobody: a response that a browser is tricked into rendering stays inert.
 */
export const NON_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Swagger UI at /docs: its scripts and styles are files under /docs/static, its initializer is a
 * file too (no inline script), but the UI injects a <style> element while rendering (checked in
 * chromium: blocked without it), so styles need 'unsafe-inline'; a hash would break at the next
 * swagger-ui release. "Try it out" calls our own API; the logo and
 * icons are data: URLs. No validator badge (validatorUrl is null), so no third-party image.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** An HTML page that sends no policy of its own gets one that allows only our own files. */
export const DEFAULT_PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface SecurityHeaderOptions {
  /** The public base URL; HSTS is sent only when it is https (the browser ignores it over http anyway). */
  publicUrl: () => string;
}

/** Registers the one hook that adds the headers; called once from buildHttpApp. */
export function securityHeaders(app: FastifyInstance, options: SecurityHeaderOptions): void {
  app.addHook('onSend', async (request, reply, payload) => {
    addSecurityHeaders(request, reply, options.publicUrl().startsWith('https:'));
    return payload;
  });
}

function addSecurityHeaders(request: FastifyRequest, reply: FastifyReply, https: boolean): void {
  reply.header('x-content-type-options', 'nosniff');
  if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'strict-origin-when-cross-origin');
  if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
  const own = reply.getHeader('content-security-policy');
  if (typeof own === 'string' && own.length > 0) {
    if (!/(^|;)\s*frame-ancestors\s/i.test(own))
      reply.header('content-security-policy', `${own}; frame-ancestors 'none'`);
  } else {
    reply.header('content-security-policy', policyFor(request, reply));
  }
  if (https) reply.header('strict-transport-security', `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`);
}

function policyFor(request: FastifyRequest, reply: FastifyReply): string {
  const path = request.url.split('?', 1)[0]!;
  if (path === '/docs' || path.startsWith('/docs/')) return DOCS_CSP;
  const type = String(reply.getHeader('content-type') ?? '');
  return /^text\/html\b/i.test(type) ? DEFAULT_PAGE_CSP : NON_PAGE_CSP;
}
