import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const WEB_SOURCE = path.join(ROOT, 'web');
export const WEB_DIST = path.join(ROOT, 'dist', 'web');
const STAMP = path.join(WEB_DIST, '.built-from');

/** The console pages' policy: scripts only from us; antd writes inline styles, images may be data URLs (QR codes). */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** Newest modification time of the UI's sources, to tell whether dist/web is stale. */
function newestSourceMtime(dir = WEB_SOURCE): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

export function webBuildIsStale(): boolean {
  if (!fs.existsSync(WEB_SOURCE)) return false;
  try {
    return Number(fs.readFileSync(STAMP, 'utf8')) < newestSourceMtime();
  } catch {
    return true;
  }
}

/**
 * Builds the consoles when dist/web is missing or older than web/ (a fresh clone, or after a
 * pull). Production images build once (`npm run build:web`) and ship dist/web.
 */
export function ensureWebBuilt(log: (line: string) => void = console.log): void {
  if (!webBuildIsStale()) return;
  const vite = path.join(ROOT, 'node_modules', '.bin', 'vite');
  if (!fs.existsSync(vite)) {
    log(
      'web consoles: dist/web is missing or stale and vite is not installed (npm install, then npm run build:web)',
    );
    return;
  }
  const sourcesAt = newestSourceMtime();
  log('web consoles: building (vite) …');
  const started = Date.now();
  // A production bundle whatever the caller's NODE_ENV (vitest sets `test`, which would give React's
  // and antd's development builds: several times larger and slower).
  const result = spawnSync(vite, ['build', '--config', path.join(WEB_SOURCE, 'vite.config.ts')], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`building the web consoles failed (vite exited ${result.status})`);
  fs.writeFileSync(STAMP, String(sourcesAt));
  log(`web consoles: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The console SPA's entry paths; everything under them is routed in the browser. */
const SPA_PATHS = [
  '/',
  '/login',
  '/operator',
  '/operator/*',
  '/merchant',
  '/merchant/*',
  '/agent',
  '/agent/*',
  '/member',
  '/member/*',
  '/onboard/*',
];

/**
 * Serves the built consoles: hashed assets cached for a year, the HTML never cached. The build
 * writes each asset's brotli and gzip forms next to it (web/vite.config.ts); a browser gets the best
 * one it accepts, with `Content-Encoding` and `Vary: accept-encoding`.
 */
export async function webRoutes(app: FastifyInstance) {
  const indexFile = path.join(WEB_DIST, 'index.html');
  await app.register(fastifyStatic, {
    root: path.join(WEB_DIST, 'assets'),
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    preCompressed: true,
    // dist/web may not be built yet when the server starts (tests without the UI); answer 404 then.
    allowedPath: () => fs.existsSync(WEB_DIST),
  });
  const sendIndex = async (_request: unknown, reply: FastifyReply) => {
    let html: string;
    try {
      html = await fs.promises.readFile(indexFile, 'utf8');
    } catch {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web consoles are not built yet: run `npm run build:web` (npm start builds them).');
    }
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .type('text/html; charset=utf-8')
      .send(html);
  };
  for (const url of SPA_PATHS) app.get(url, { schema: { hide: true } }, sendIndex);
  // Browsers ask for it on every page (JSON ones too); the pages declare their icon inline.
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
    reply.code(204).header('cache-control', 'public, max-age=86400').send(),
  );
}
