/** IPv4/IPv6 addresses and CIDR ranges as bigints, for the "source IP range" policy condition. */

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return null;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(s: string): bigint | null {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /^(.*:)([0-9.]+)$/.exec(s);
  if (v4 && v4[2]!.includes('.')) {
    const tail = parseV4(v4[2]!);
    if (tail === null) return null;
    s = `${v4[1]}${(tail >> 16n).toString(16)}:${(tail & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

export interface Addr {
  v6: boolean;
  value: bigint;
}

export function parseIp(s: string): Addr | null {
  if (s.includes(':')) {
    const v = parseV6(s);
    if (v === null) return null;
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is compared as IPv4.
    if (v >> 32n === 0xffffn) return { v6: false, value: v & 0xffffffffn };
    return { v6: true, value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { v6: false, value: v };
}

export interface Cidr {
  v6: boolean;
  base: bigint;
  bits: number;
}

export function parseCidr(s: string): Cidr | null {
  const [addr, len] = s.split('/');
  if (!addr || len === undefined || !/^[0-9]{1,3}$/.test(len)) return null;
  const a = parseIp(addr);
  if (!a) return null;
  const width = a.v6 ? 128 : 32;
  const bits = Number(len);
  if (bits > width) return null;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { v6: a.v6, base: a.value & mask, bits };
}

export function inCidr(ip: Addr, c: Cidr): boolean {
  if (ip.v6 !== c.v6) return false;
  const width = c.v6 ? 128 : 32;
  const mask = c.bits === 0 ? 0n : ((1n << BigInt(c.bits)) - 1n) << BigInt(width - c.bits);
  return (ip.value & mask) === c.base;
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
