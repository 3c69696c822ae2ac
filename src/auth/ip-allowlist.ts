import { BlockList, isIP } from 'node:net';

/** An allowlist entry: an IPv4/IPv6 address or a CIDR range (203.0.113.0/24). */
export function isIpOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/** An empty allowlist allows every address. IPv4-mapped IPv6 addresses are matched as IPv4. */
export function ipAllowed(allowlist: readonly string[], ip: string): boolean {
  if (allowlist.length === 0) return true;
  const address = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  for (const entry of allowlist) {
    const [base, prefix] = entry.split('/');
    const entryFamily = isIP(base!) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(base!, entryFamily);
    else list.addSubnet(base!, Number(prefix), entryFamily);
  }
  return list.check(address, family);
}
