/**
 * The key that address-based limits count under. One IPv4 address is one key; an IPv6 host
 * usually holds a whole /64 (SLAAC, privacy addresses) and can rotate through it at will, so
 * an IPv6 address counts as its /64. Anything unparseable counts as itself.
 */
import ipaddr from 'ipaddr.js';

export function addressKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  // `[…]` as in a URL host, `%zone` as a link-local address may carry.
  const bare = ip.replace(/^\[|\]$/g, '').split('%')[0]!;
  if (!ipaddr.IPv6.isValid(bare)) return ip;
  // Stored counters are keyed by this exact text: four uncompressed groups, then `::/64`.
  return `${ipaddr.IPv6.parse(bare)
    .parts.slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
