import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import os from 'node:os';
import ipaddr from 'ipaddr.js';

/**
 * Merchants choose their notify URLs, so a URL could point the platform at its own network
 * (SSRF). In production notifies go to public addresses only: the check runs on the addresses the
 * name resolves to at connect time (so a DNS answer cannot swap in a private one after a check),
 * and on IP literals before the request.
 *
 * "Public" is decided by ipaddr.js's range names, which follow the IANA IPv4 and IPv6
 * special-purpose address registries: only `unicast` passes. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is judged by the IPv4 address inside it. Every other range that carries an IPv4
 * address inside an IPv6 one (NAT64 64:ff9b::/96 and 64:ff9b:1::/48, IPv4-translated
 * ::ffff:0:0:0/96, 6to4 2002::/16, Teredo 2001::/32) is refused outright: the platform cannot know
 * where a translator or relay delivers it.
 *
 * What ipaddr.js 2.5.0's tables miss, added here by hand:
 * - IPv4-compatible addresses ::/96 (RFC 4291 §2.5.5.1, deprecated): `::7f00:1` is `unicast`
 *   to ipaddr, yet some stacks route it to 127.0.0.1.
 * - The dummy IPv6 prefix 100:0:0:1::/64 (RFC 9780), newer than the library's table.
 * - IPv6 outside 2000::/3: IANA has allocated global unicast only there; the rest of the space
 *   is reserved by the IETF, so anything outside it is not a public destination yet.
 * - A parsing quirk rather than a table gap: ipaddr.js reads every IPv6 spelling that ends in a
 *   dotted quad as IPv4-mapped (`::8.8.8.8` comes back as ::ffff:8.8.8.8), so the dotted tail
 *   is rewritten as two hex groups before parsing (`parseIpv6`).
 * - Addresses with a zone id (fe80::1%eth0): a zone names a local link, never a public host.
 * - The host's own interface addresses (a server with a public address on its NIC would
 *   otherwise reach its own services through it), read from os.networkInterfaces().
 * IPv4 needs nothing by hand: the library's IPv4 table covers the whole IANA IPv4 registry
 * (0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.31.196/24,
 * 192.52.193/24, 192.88.99/24, 192.168/16, 192.175.48/24, 198.18/15, 198.51.100/24,
 * 203.0.113/24, 224/4, 240/4, 255.255.255.255).
 */
const NOT_PUBLIC_IPV6_BY_HAND: [ipaddr.IPv6, number][] = [
  [ipaddr.IPv6.parse('::'), 96],
  [ipaddr.IPv6.parse('100:0:0:1::'), 64],
];
const GLOBAL_UNICAST_IPV6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3];

/** How long the host's own addresses are trusted before os.networkInterfaces() is read again. */
const HOST_ADDRESSES_TTL_MS = 30_000;
let hostAddresses = new Set<string>();
let hostAddressesReadAt = Number.NEGATIVE_INFINITY;

/** One spelling per address (lowercase, compressed, IPv4-mapped as dotted IPv4), for set lookups. */
function canonical(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress())
    return (address as ipaddr.IPv6).toIPv4Address().toString();
  return address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toNormalizedString() : address.toString();
}

/**
 * Reads the host's interface addresses again. Called at most every HOST_ADDRESSES_TTL_MS from
 * the checks (an address added to an interface is refused within that time), and by tests.
 */
export function refreshHostAddresses(): void {
  const addresses = new Set<string>();
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      const bare = entry.address.replace(/%.*$/, '');
      const family = isIP(bare);
      if (family !== 0) addresses.add(canonical(family === 4 ? ipaddr.IPv4.parse(bare) : parseIpv6(bare)));
    }
  }
  hostAddresses = addresses;
  hostAddressesReadAt = Date.now();
}

/** Parses an IPv6 address after rewriting a dotted-quad tail (::a.b.c.d) as hex groups; see above. */
function parseIpv6(ip: string): ipaddr.IPv6 {
  const hex = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_all, a, b, c, d) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((n) => n.toString(16)).join(':'),
  );
  return ipaddr.IPv6.parse(hex);
}

function isHostAddress(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (Date.now() - hostAddressesReadAt > HOST_ADDRESSES_TTL_MS) refreshHostAddresses();
  return hostAddresses.has(canonical(address));
}

function isPublicIpv6(address: ipaddr.IPv6): boolean {
  if (address.isIPv4MappedAddress()) return isPublicIpv4(address.toIPv4Address());
  if (address.range() !== 'unicast') return false;
  if (!address.match(GLOBAL_UNICAST_IPV6)) return false;
  return !NOT_PUBLIC_IPV6_BY_HAND.some((range) => address.match(range));
}

function isPublicIpv4(address: ipaddr.IPv4): boolean {
  return address.range() === 'unicast' && !isHostAddress(address);
}

/**
 * Whether a merchant notify may be sent to this address: a strict IPv4 dotted quad or an IPv6
 * address in any spelling. Anything else (a name, 127.1, 0x7f000001) is not an address here.
 */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0 || ip.includes('%')) return false;
  if (family === 4) return isPublicIpv4(ipaddr.IPv4.parse(ip));
  const address = parseIpv6(ip);
  return isPublicIpv6(address) && !isHostAddress(address);
}

export class PrivateAddressError extends Error {
  constructor(host: string, address: string) {
    super(`notify URL host ${host} is not a public address (${address})`);
    this.name = 'PrivateAddressError';
  }
}

/** Throws for a URL whose host is a non-public IP literal (names are checked when they resolve). */
export function assertPublicLiteral(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !isPublicAddress(host)) throw new PrivateAddressError(host, host);
}

/** A DNS lookup for sockets that fails when any address of the name is not public. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) return callback(new PrivateAddressError(hostname, refused.address), '', 0);
    if (options.all)
      return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};
