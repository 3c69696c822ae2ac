import { ApiError, endsSession, UNAUTHENTICATED_EVENT } from '../api.ts';

/** Saves a blob as a file through a temporary link. */
export function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Saves text as a file through a temporary link. */
export function downloadText(filename: string, text: string, type = 'text/plain'): void {
  saveBlob(filename, new Blob([text], { type: `${type};charset=utf-8` }));
}

/** The refusal a non-JSON download answered, as the JSON API throws it (a session end also tells the shell). */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  let body: { code?: string; message?: string; details?: unknown; requestId?: string } = {};
  try {
    body = JSON.parse(await response.text());
  } catch {
    // not JSON: keep the status text
  }
  if (endsSession(response.status, body.code)) window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
  return new ApiError(
    response.status,
    body.code ?? 'INTERNAL',
    body.message ?? response.statusText,
    body.details,
    body.requestId,
  );
}

/** GETs a file (a PEM key, a PNG, a PDF) with the session and saves it; errors are thrown like the JSON API's. */
export async function downloadFromApi(path: string, filename: string): Promise<void> {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) throw await apiErrorOf(response);
  saveBlob(filename, await response.blob());
}
