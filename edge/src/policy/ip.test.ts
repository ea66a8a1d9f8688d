import { describe, expect, it } from 'vitest';
import { inCidr, ipAllowed, parseCidr, parseIp } from './ip.ts';

describe('source IP ranges', () => {
  it.each([
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['010.001.002.003', ['10.0.0.0/8'], true], // leading zeros are decimal, never octal
    ['10.1.2.3', ['010.0.0.0/8'], true],
    ['192.168.1.1', ['0.0.0.0/0'], true],
    ['192.168.1.1', ['192.168.1.1/32'], true],
    ['192.168.1.2', ['192.168.1.1/32'], false],
    ['::ffff:192.168.1.1', ['192.168.0.0/16'], true],
    ['2001:db8:0:1::5', ['2001:db8::/48'], true],
    ['2001:db8:1::5', ['2001:db8::/48'], false],
    ['2001:db8::1', ['10.0.0.0/8', '2001:db8::/32'], true],
    ['10.0.0.1', ['::/0'], false], // families never match each other
    ['127.1', ['127.0.0.0/8'], false], // shorthand IPv4 is not an address here
    ['0x7f.0.0.1', ['0.0.0.0/0'], false],
    ['fe80::1%eth0', ['fe80::/10'], false],
    ['2001:db8::1', ['not-a-range', '2001:db8::/32'], true],
  ] as const)('%s in %j → %s', (ip, ranges, ok) => {
    expect(ipAllowed(ip, ranges)).toBe(ok);
  });

  it('parses what a policy may hold and refuses the rest', () => {
    for (const good of ['10.0.0.0/8', '0.0.0.0/0', '2001:db8::/32', '::/0', '::1/128', '::ffff:10.0.0.0/8']) expect(parseCidr(good), good).not.toBeNull();
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '300.0.0.0/8', '1::2::3/64', '10.0.0.0', 'a/8', '10.0.0.0/-1', '/8', '10.0.0.0/ 8', '[::1]/128'])
      expect(parseCidr(bad), bad).toBeNull();
    expect(parseIp('1.2.3.256')).toBeNull();
    expect(parseIp('1.2.3')).toBeNull();
    expect(inCidr(parseIp('10.9.9.9')!, parseCidr('10.0.0.0/8')!)).toBe(true);
  });
});
