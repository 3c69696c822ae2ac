/** Escaping for the server-rendered pages the payer sees (the cashier page, the static QR page). */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML element content and quoted attribute values. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** JSON that is safe inside a <script> element: no `<` (so no `</script>`), no line separators. */
export const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** The padlock beside "安全支付" in the payer pages' header. */
export const LOCK_ICON =
  '<svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true"><path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4Zm1.5 0h5V5a2.5 2.5 0 0 0-5 0v2Z"/></svg>';

/** The start of a phone-first payer page up to its <body>: not indexed, its style under the page's nonce. */
export function payerPageHead(page: {
  htmlLang: string;
  title: string;
  nonce: string;
  style: string;
}): string {
  return `<!doctype html>
<html lang="${page.htmlLang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="robots" content="noindex,nofollow"><meta name="format-detection" content="telephone=no">
<meta name="referrer" content="no-referrer">
<meta name="theme-color" content="#1677ff">
<title>${escapeHtml(page.title)}</title>
<style nonce="${page.nonce}">${page.style}</style></head>`;
}
