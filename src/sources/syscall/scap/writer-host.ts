// The machine facts a live capture can give its scap file and a Kestrel capture does not record:
// the machine info block (CPUs, memory, pid_max) and the interface list, as libscap's live mode
// fills them (scap_get_machine_info, scap_create_iflist: getifaddrs).
import { readFileSync } from 'node:fs';
import { cpus, networkInterfaces, totalmem } from 'node:os';
import { parseIp } from '../record/sockaddr.js';
import type { ToScapOptions } from './kcap-to-scap.js';
import type { ScapInterfaceEntry } from './writer.js';

function pidMax(procRoot: string): bigint {
  try {
    return BigInt(readFileSync(`${procRoot}/sys/kernel/pid_max`, 'utf8').trim());
  } catch {
    return 0n;
  }
}

/** This host's interface addresses (IPv4 with their broadcast address, IPv6 without one). */
export function hostInterfaces(): ScapInterfaceEntry[] {
  const out: ScapInterfaceEntry[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      const addr = parseIp(a.address).bytes;
      const netmask = parseIp(a.netmask).bytes;
      if (a.family === 'IPv4') {
        const bcast = addr.map((b, i) => b | (~netmask[i]! & 0xff));
        out.push({ name, family: 4, addr, netmask, bcast, linkspeed: 0n });
      } else out.push({ name, family: 6, addr, netmask, bcast: new Uint8Array(16), linkspeed: 0n });
    }
  }
  return out;
}

/** What a scap file written on this host, now, says about the machine. */
export function liveHostFacts(procRoot = '/proc'): Pick<ToScapOptions, 'machine' | 'interfaces'> {
  return {
    machine: { numCpus: cpus().length, memoryBytes: BigInt(totalmem()), maxPid: pidMax(procRoot) },
    interfaces: hostInterfaces(),
  };
}
