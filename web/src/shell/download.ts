import { ApiError, UNAUTHENTICATED_EVENT } from '../api.ts';

/** Saves text as a file through a temporary link. */
export function downloadText(filename: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** GETs a text file (e.g. a PEM key) and saves it; errors are thrown like the JSON API's. */
export async function downloadFromApi(
  path: string,
  filename: string,
  type = 'application/x-pem-file',
): Promise<void> {
  const response = await fetch(path, { credentials: 'same-origin' });
  const text = await response.text();
  if (!response.ok) {
    let body: { code?: string; message?: string } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the status text
    }
    if (response.status === 401) window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
    throw new ApiError(response.status, body.code ?? 'INTERNAL', body.message ?? response.statusText);
  }
  downloadText(filename, text, type);
}
