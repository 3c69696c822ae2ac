import dns from 'node:dns';
import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  assertPublicLiteral,
  isPublicAddress,
  PrivateAddressError,
  publicOnlyLookup,
  refreshHostAddresses,
} from './address-guard.ts';

/** One or more addresses from every range of the IANA special-purpose registries, and their spellings. */
const NOT_PUBLIC: [string, string][] = [
  // IPv4
  ['0.0.0.0', 'this network 0/8'],
  ['0.1.2.3', 'this network 0/8'],
  ['10.1.2.3', 'private 10/8'],
  ['100.64.0.1', 'CGNAT 100.64/10'],
  ['100.127.255.254', 'CGNAT 100.64/10, last'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback 127/8'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['172.16.0.1', 'private 172.16/12'],
  ['172.31.255.255', 'private 172.16/12, last'],
  ['192.0.0.8', 'IETF protocol assignments 192.0.0/24'],
  ['192.0.0.170', 'NAT64 discovery 192.0.0.170'],
  ['192.0.2.1', 'documentation TEST-NET-1'],
  ['192.31.196.1', 'AS112'],
  ['192.52.193.1', 'AMT'],
  ['192.88.99.1', 'deprecated 6to4 relay anycast'],
  ['192.168.1.1', 'private 192.168/16'],
  ['192.175.48.1', 'AS112 direct delegation'],
  ['198.18.0.1', 'benchmarking 198.18/15'],
  ['198.19.255.255', 'benchmarking 198.18/15, last'],
  ['198.51.100.7', 'documentation TEST-NET-2'],
  ['203.0.113.7', 'documentation TEST-NET-3'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast (SSDP)'],
  ['240.0.0.1', 'reserved 240/4'],
  ['255.255.255.255', 'limited broadcast'],
  // IPv6
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback, uncompressed'],
  ['::7f00:1', 'IPv4-compatible ::/96 (127.0.0.1 inside)'],
  ['::8.8.8.8', 'IPv4-compatible ::/96, dotted'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::FFFF:7F00:1', 'IPv4-mapped loopback, uppercase'],
  ['0:0:0:0:0:ffff:a9fe:a9fe', 'IPv4-mapped metadata address, uncompressed'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::ffff:0:7f00:1', 'IPv4-translated ::ffff:0:0:0/96'],
  ['64:ff9b::7f00:1', 'NAT64 64:ff9b::/96 (127.0.0.1 inside)'],
  ['64:ff9b::8.8.8.8', 'NAT64 64:ff9b::/96 even with a public IPv4 inside'],
  ['64:ff9b:1::1', 'local-use NAT64 64:ff9b:1::/48'],
  ['100::1', 'discard-only 100::/64'],
  ['100:0:0:1::1', 'dummy prefix 100:0:0:1::/64'],
  ['2001::1', 'Teredo 2001::/32'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo, a real-looking one'],
  ['2001:1::1', 'port control anycast'],
  ['2001:2::1', 'benchmarking 2001:2::/48'],
  ['2001:3::1', 'AMT 2001:3::/32'],
  ['2001:4:112::1', 'AS112-v6'],
  ['2001:10::1', 'deprecated ORCHID'],
  ['2001:20::1', 'ORCHIDv2'],
  ['2001:30::1', 'drone remote ID'],
  ['2001:db8::1', 'documentation 2001:db8::/32'],
  ['2001:DB8:0:0:0:0:0:1', 'documentation, uppercase uncompressed'],
  ['2002:7f00:1::1', '6to4 2002::/16 (127.0.0.1 inside)'],
  ['2002:808:808::1', '6to4 even with a public IPv4 inside'],
  ['2620:4f:8000::1', 'AS112 direct delegation v6'],
  ['3fff::1', 'documentation 3fff::/20'],
  ['5f00::1', 'segment routing 5f00::/16'],
  ['4000::1', 'outside global unicast 2000::/3'],
  ['fc00::1', 'unique-local fc00::/7'],
  ['fd12:3456:789a::1', 'unique-local fd00::/8'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local with a zone id'],
  ['FE80::1%25', 'link-local, uppercase, numeric zone'],
  ['fec0::1', 'site-local (deprecated)'],
  ['ff02::1', 'multicast, all nodes'],
  ['ff0e::1', 'multicast, global scope'],
  // Not addresses at all
  ['not-an-ip', 'a name'],
  ['127.1', 'short IPv4 form (names resolve first; never an address here)'],
  ['0x7f000001', 'hex IPv4 form'],
  ['2001:4860:4860::8888%eth0', 'a global address with a zone id'],
];

const PUBLIC: [string, string][] = [
  ['8.8.8.8', 'public IPv4'],
  ['1.1.1.1', 'public IPv4'],
  ['100.63.255.255', 'just below CGNAT'],
  ['100.128.0.0', 'just above CGNAT'],
  ['172.15.255.255', 'just below 172.16/12'],
  ['172.32.0.0', 'just above 172.16/12'],
  ['198.17.255.255', 'just below benchmarking'],
  ['198.20.0.0', 'just above benchmarking'],
  ['203.0.114.7', 'next to TEST-NET-3'],
  ['223.255.255.254', 'just below multicast'],
  ['2001:4860:4860::8888', 'public IPv6'],
  ['2606:4700:4700::1111', 'public IPv6'],
  ['2606:4700:4700:0:0:0:0:1111', 'public IPv6, uncompressed'],
  ['2606:4700:4700::AB', 'public IPv6, uppercase'],
  ['2001:200::1', 'public, just past the IETF 2001::/23 block'],
  ['2001:dc8::1', 'public, next to documentation'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public, dotted'],
  ['::ffff:808:808', 'IPv4-mapped public, hex'],
];

describe('notify address guard', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    refreshHostAddresses();
  });

  it.each(NOT_PUBLIC)('%s is refused (%s)', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each(PUBLIC)('%s is public (%s)', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it("refuses the host's own interface addresses, public ones included", () => {
    expect(isPublicAddress('203.0.114.7')).toBe(true);
    expect(isPublicAddress('2606:4700:4700::1111')).toBe(true);
    vi.spyOn(os, 'networkInterfaces').mockReturnValue({
      eth1: [
        {
          address: '203.0.114.7',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: '02:00:00:00:00:01',
          internal: false,
          cidr: '203.0.114.7/24',
        },
        {
          address: '2606:4700:4700::1111',
          netmask: 'ffff:ffff:ffff:ffff::',
          family: 'IPv6',
          mac: '02:00:00:00:00:01',
          internal: false,
          cidr: '2606:4700:4700::1111/64',
          scopeid: 0,
        },
      ],
    });
    refreshHostAddresses();
    expect(isPublicAddress('203.0.114.7')).toBe(false);
    expect(isPublicAddress('::ffff:203.0.114.7')).toBe(false);
    expect(isPublicAddress('2606:4700:4700:0:0:0:0:1111')).toBe(false);
    expect(isPublicAddress('8.8.8.8')).toBe(true);
  });

  it('reads the interfaces periodically, not on every check', () => {
    refreshHostAddresses();
    const read = vi.spyOn(os, 'networkInterfaces');
    for (let i = 0; i < 100; i++) isPublicAddress('8.8.8.8');
    expect(read).not.toHaveBeenCalled();
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 31_000);
    isPublicAddress('8.8.8.8');
    expect(read).toHaveBeenCalledTimes(1);
  });

  it.each([
    'http://127.0.0.1:8080/notify',
    'http://[::1]/notify',
    'http://[::ffff:127.0.0.1]/notify',
    'http://[::ffff:7f00:1]/notify',
    'http://[64:ff9b::7f00:1]/notify',
    'http://[::7f00:1]/notify',
    'http://[2002:7f00:1::1]/notify',
    'http://[FE80::1]/notify',
    'http://0x7f000001/notify',
    'http://127.1/notify',
    'http://2130706433/notify',
    'http://0177.0.0.1/notify',
    'http://169.254.169.254/latest/meta-data',
    'http://192.0.2.1/notify',
    'https://[2001:db8::1]:8443/notify',
  ])('refuses the IP literal in %s', (url) => {
    expect(() => assertPublicLiteral(url)).toThrow(PrivateAddressError);
  });

  it('lets public literals and names through (names are checked when they resolve)', () => {
    expect(() => assertPublicLiteral('https://8.8.8.8/notify')).not.toThrow();
    expect(() => assertPublicLiteral('https://[2606:4700:4700::1111]/notify')).not.toThrow();
    expect(() => assertPublicLiteral('https://shop.example/notify')).not.toThrow();
  });

  it('fails a lookup that resolves to a private address', async () => {
    const error = await new Promise<Error | null>((resolve) =>
      publicOnlyLookup('localhost', {}, (e) => resolve(e as Error | null)),
    );
    expect(error?.message).toMatch(/not a public address/);
  });

  it.each(NOT_PUBLIC.filter(([ip]) => !ip.includes('%') && /[.:]/.test(ip) && !/^0x|^127\.1$/.test(ip)))(
    'fails a name when one of its addresses is %s',
    async (ip) => {
      mockResolution([
        { address: '8.8.8.8', family: 4 },
        { address: ip, family: ip.includes(':') ? 6 : 4 },
      ]);
      const result = await lookup('rebind.example');
      expect(result.error).toBeInstanceOf(PrivateAddressError);
    },
  );

  it('passes a name whose addresses are all public, in both callback forms', async () => {
    mockResolution([
      { address: '8.8.8.8', family: 4 },
      { address: '2001:4860:4860::8888', family: 6 },
    ]);
    expect(await lookup('shop.example')).toEqual({ error: null, address: '8.8.8.8', family: 4 });
    const all = await new Promise<unknown>((resolve) =>
      publicOnlyLookup('shop.example', { all: true }, (_e, addresses) => resolve(addresses)),
    );
    expect(all).toHaveLength(2);
  });
});

function mockResolution(addresses: dns.LookupAddress[]) {
  vi.spyOn(dns, 'lookup').mockImplementation(((
    _hostname: string,
    _options: unknown,
    callback: (e: null, a: dns.LookupAddress[]) => void,
  ) => callback(null, addresses)) as unknown as typeof dns.lookup);
}

function lookup(hostname: string): Promise<{ error: Error | null; address: string; family: number }> {
  return new Promise((resolve) =>
    publicOnlyLookup(hostname, {}, (error, address, family) =>
      resolve({ error: error as Error | null, address: address as string, family: family as number }),
    ),
  );
}
