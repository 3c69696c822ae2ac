/**
 * A refusal from the platform: its error envelope `{ code, message, requestId, details }`. The
 * consoles show a sentence for `code` (and `details`); `message` (English, for developers) and
 * `requestId` go only into the technical details (shell/errors.ts, shell/ErrorAlert.tsx).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** The server's id of the failed request, to quote to support (it is in the server's log). */
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

let background = false;

/**
 * Runs `fn` with the requests it starts marked as background refreshes (`X-Qy-Background`): they do
 * not count as activity, so a dashboard left open still reaches the idle timeout.
 */
export function inBackground<T>(fn: () => T): T {
  background = true;
  try {
    return fn();
  } finally {
    background = false;
  }
}

/** Fired when the server says the session is gone (idle timeout, logout elsewhere). */
export const UNAUTHENTICATED_EVENT = 'qy:unauthenticated';

/**
 * Whether a refusal means the session is gone: a 401, except a wrong password or TOTP code typed to
 * confirm an action (binding a bank card, withdrawing), which the dialog shows and the session survives.
 */
export function endsSession(status: number, code: string | undefined): boolean {
  return status === 401 && code !== 'LOGIN_FAILED' && code !== 'TOTP_INVALID';
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (background) headers['x-qy-background'] = '1';
  if (method !== 'GET') {
    headers['x-csrf-token'] = csrfToken;
    if (body !== undefined) headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    const data = parseBody(text);
    if (endsSession(response.status, data?.code) && !path.startsWith('/api/auth/')) {
      window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    }
    throw new ApiError(
      response.status,
      data?.code ?? 'INTERNAL',
      data?.message ?? response.statusText,
      data?.details,
      typeof data?.requestId === 'string' ? data.requestId : undefined,
    );
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** JSON, or undefined for an empty body or one that is not JSON (a proxy's HTML error page). */
function parseBody(
  text: string,
): { code?: string; message?: string; details?: unknown; requestId?: unknown } | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Builds a query string, leaving out empty values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  /** DELETE; a body when the server asks for a confirmation (a password to remove a bank card). */
  del: <T>(path: string, body?: unknown) => request<T>('DELETE', path, body),
};
