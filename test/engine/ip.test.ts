// IPv4 addresses are compared as signed 32-bit numbers (never heap numbers): the whole address
// range still compares and masks right, and the parse cache never answers for another string.
import { describe, expect, it } from 'vitest';
import { V4, ipv4, parseIPv4, parseIPv6 } from '../../src/engine/ip.js';
import { m } from './fixtures/helpers.js';

describe('IPv4 checks over the whole address range', () => {
  it.each([
    ['fd.sip = 200.1.2.3', '200.1.2.3', true],
    ['fd.sip = 200.1.2.3', '200.1.2.4', false],
    ['fd.sip = 255.255.255.255', '255.255.255.255', true],
    ['fd.sip != 255.255.255.255', '0.0.0.0', true],
    ['fd.sip in (10.0.0.1, 250.0.0.1)', '250.0.0.1', true],
    ['fd.snet = 128.0.0.0/1', '200.9.9.9', true],
    ['fd.snet = 128.0.0.0/1', '127.255.255.255', false],
    ['fd.snet = 192.168.0.0/16', '192.168.77.1', true],
    ['fd.snet = 192.168.0.0/16', '192.169.0.1', false],
    ['fd.snet = 255.255.255.255/32', '255.255.255.255', true],
    ['fd.snet = 255.255.255.255/32', '255.255.255.254', false],
    ['fd.snet = 0.0.0.0/0', '255.0.0.1', true],
    ['fd.snet in (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)', '172.31.255.255', true],
    ['fd.snet in (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)', '172.32.0.0', false],
    ['fd.snet = ::ffff:c800:0/104', '::ffff:200.1.2.3', true],
    ['fd.snet = ::ffff:c800:0/104', '::ffff:201.1.2.3', false],
  ] as const)('%s with %s: %s', (cond, ip, want) => {
    expect(m(cond, { 'fd.sip': ip, 'fd.snet': ip })).toBe(want);
  });

  it('compares two address fields of either half of the range', () => {
    expect(m('fd.sip = val(fd.ip)', { 'fd.sip': '200.1.2.3', 'fd.ip': '200.1.2.3' })).toBe(true);
    expect(m('fd.sip = val(fd.ip)', { 'fd.sip': '200.1.2.3', 'fd.ip': '10.1.2.3' })).toBe(false);
  });
});

describe('ipv4', () => {
  it('answers for the string asked, however the last answers were cached', () => {
    const seq = ['1.2.3.4', '255.255.255.255', 'fd00::1', '1.2.3.4', ['1.2.3', '.4'].join(''), '01.2.3.4', '255.255.255.255', '', '9.9.9.9', '1.2.3.4'];
    for (const s of seq) {
      const ok = ipv4(s);
      const fresh = parseIPv4(s);
      expect(ok, s).toBe(fresh);
      if (ok) {
        const cached = V4[0];
        parseIPv4(s);
        expect(cached, s).toBe(V4[0]);
      }
    }
    expect(ipv4('255.255.255.255') && V4[0]).toBe(-1);
    expect(ipv4('128.0.0.0') && V4[0]).toBe(-(2 ** 31));
  });

  it('reads an embedded IPv4 address of any value into IPv6 words', () => {
    const w = new Uint32Array(4);
    expect(parseIPv6('::ffff:200.1.2.3', w)).toBe(true);
    expect([...w]).toEqual([0, 0, 0xffff, 0xc8010203]);
  });
});
