import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether a URL the platform hands to payers (QR codes, posters, cashier links) points somewhere a
 * phone on a mobile network cannot reach: a loopback, private, link-local or otherwise non-public
 * address, `localhost`, a `.local` / `.internal` / `.lan` name, or a bare host name without a dot.
 * The consoles warn with it before a QR is printed or shown (QY_PUBLIC_URL is not public yet).
 */
export function isPrivateUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return true;
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) {
    const address = ipaddr.process(bare.replace(/%.*$/, ''));
    return address.range() !== 'unicast';
  }
  if (!bare.includes('.')) return true;
  return /(^|\.)(localhost|local|internal|lan|home|intranet|corp)$/.test(bare.replace(/\.$/, ''));
}
