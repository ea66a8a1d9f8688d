/**
 * IPv4/IPv6 addresses and CIDR ranges for the "source IP range" policy condition, parsed by
 * `ipaddr.js`. IPv4 is accepted only as four decimal parts (no `0x7f.1` or `127.1` shorthands),
 * and an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is compared as the IPv4 address it carries.
 */
import ipaddr from 'ipaddr.js';

export type Addr = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  range: Addr;
  bits: number;
}

const DOTTED_QUAD = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/;

export function parseIp(s: string): Addr | null {
  if (s.includes(':')) {
    // A zone (%eth0) names a local link, never a source address a policy could mean.
    if (s.includes('%') || !ipaddr.IPv6.isValid(s)) return null;
    const v6 = ipaddr.IPv6.parse(s);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  }
  // Parts are read as decimal even with a leading zero (ipaddr.js would read 010 as octal),
  // as ranges already stored were written.
  const m = DOTTED_QUAD.exec(s);
  const octets = m?.slice(1).map(Number);
  return octets && octets.every((o) => o <= 255) ? new ipaddr.IPv4(octets) : null;
}

export function parseCidr(s: string): Cidr | null {
  const [addr, len] = s.split('/');
  if (!addr || len === undefined || !/^[0-9]{1,3}$/.test(len)) return null;
  const range = parseIp(addr);
  if (!range) return null;
  const bits = Number(len);
  return bits > (range.kind() === 'ipv6' ? 128 : 32) ? null : { range, bits };
}

export function inCidr(ip: Addr, c: Cidr): boolean {
  return ip.kind() === c.range.kind() && ip.match(c.range, c.bits);
}

/** True when `ip` lies in one of `ranges`; an unparsable address is in none. */
export function ipAllowed(ip: string | null, ranges: readonly string[]): boolean {
  if (ranges.length === 0) return true;
  const a = ip ? parseIp(ip) : null;
  if (!a) return false;
  return ranges.some((r) => {
    const c = parseCidr(r);
    return c !== null && inCidr(a, c);
  });
}
