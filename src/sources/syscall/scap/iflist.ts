// Interface list blocks of scap files (IL_BLOCK_TYPE, *_INT and V2 with per-entry lengths), as
// libscap's scap_read_iflist reads them: the captured host's IPv4 and IPv6 addresses (libsinsp's
// network interfaces, which tell local from remote ends of connections).
import { ipv4Text, ipv6Text } from '../record/sockaddr.js';
import { BT } from './blocks.js';
import { Cursor } from './cursor.js';

const MAX_PATH = 1024;
const II_IPV4 = 1;
const II_IPV6 = 2;
const II_IPV4_NOLINKSPEED = 3;
const II_IPV6_NOLINKSPEED = 4;

export interface ScapInterface {
  name: string;
  family: 4 | 6;
  addr: string;
  netmask: string;
}

export function readIflist(body: Buffer, blockOffset: number, type: number): ScapInterface[] {
  const c = new Cursor(body, blockOffset, 'interface list');
  const out: ScapInterface[] = [];
  const v2 = type === BT.IL_V2;
  while (c.remaining >= 4) {
    const start = c.pos;
    const entryLen = v2 ? c.u32('entry length') + 4 : 0;
    const ifType = c.u16('interface type');
    const nameLen = c.u16('name length');
    if (nameLen >= MAX_PATH) c.fail(`interface name length ${nameLen}`, start);
    let iface: ScapInterface | undefined;
    if (ifType === II_IPV4 || ifType === II_IPV4_NOLINKSPEED) {
      const addr = ipv4Text(c.bytes(4, 'address'), 0);
      const netmask = ipv4Text(c.bytes(4, 'netmask'), 0);
      c.skip(4, 'broadcast');
      if (ifType === II_IPV4) c.skip(8, 'link speed');
      iface = { name: '', family: 4, addr, netmask };
    } else if (ifType === II_IPV6 || ifType === II_IPV6_NOLINKSPEED) {
      const addr = ipv6Text(c.bytes(16, 'address'), 0);
      const netmask = ipv6Text(c.bytes(16, 'netmask'), 0);
      c.skip(16, 'broadcast');
      if (ifType === II_IPV6) c.skip(8, 'link speed');
      iface = { name: '', family: 6, addr, netmask };
    }
    if (!iface) return c.fail(`unknown interface type ${ifType}`, start);
    iface.name = c.bytes(nameLen, 'interface name').toString('utf8').replace(/\0+$/, '');
    out.push(iface);
    if (entryLen) {
      const read = c.pos - start;
      if (read > entryLen) c.fail(`interface entry of ${entryLen} bytes holds ${read}`, start);
      c.skip(entryLen - read, 'interface entry fields of later versions');
    }
  }
  return out;
}
