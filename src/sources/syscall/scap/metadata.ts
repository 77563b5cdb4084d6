// The metadata blocks of a scap file (machine info, process lists, fd lists, interfaces, users),
// applied as libsinsp's savefile reader applies them before the events: threads and fds wait in
// PendingState until the first event block, the user tables go to the state at once. Shared by
// the reader (reader.ts) and the scap -> Kestrel capture converter (scap-to-kcap.ts).
import type { SyscallContext } from '../state/context.js';
import { BT } from './blocks.js';
import { readFdlist } from './fdlist.js';
import { readIflist, type ScapInterface } from './iflist.js';
import { proclistVersion, readProclist } from './proclist.js';
import type { PendingState } from './seed.js';
import type { ScapStats } from './stats.js';
import { readUserlist } from './userlist.js';

/** Where a metadata block's content goes. */
export interface MetadataTarget {
  ctx: SyscallContext;
  pending: PendingState;
  stats: ScapStats;
  /** From the machine info block ('' until read). */
  hostname: string;
  interfaces: ScapInterface[];
}

/** The hostname field of a machine info block: 128 bytes after the 20-byte header, NUL padded. */
function machineHostname(body: Buffer): string {
  const end = Math.min(body.length, 20 + 128);
  const nul = body.indexOf(0, 20);
  return body.toString('utf8', 20, nul >= 20 && nul < end ? nul : end);
}

/** Applies one metadata block (any block that is neither a section header nor events); unknown ones are counted. */
export function applyMetadataBlock(t: MetadataTarget, type: number, body: Buffer, at: number): void {
  const { stats, pending, ctx } = t;
  if (proclistVersion(type)) {
    const threads = readProclist(body, at, type);
    stats.threadsListed += threads.length;
    pending.threads.push(...threads);
    return;
  }
  switch (type) {
    case BT.MI:
    case BT.MI_INT:
      t.hostname = machineHostname(body);
      if (t.hostname) ctx.hostname = t.hostname;
      return;
    case BT.FDL:
    case BT.FDL_INT:
    case BT.FDL_V2: {
      const list = readFdlist(body, at, type);
      stats.fdsListed += list.fds.length;
      stats.unknownFdTypes += list.unknownTypes;
      const have = pending.fds.get(list.tid);
      pending.fds.set(list.tid, have ? [...have, ...list.fds] : list.fds);
      return;
    }
    case BT.IL:
    case BT.IL_INT:
    case BT.IL_V2:
      t.interfaces = readIflist(body, at, type);
      stats.interfaces = t.interfaces.length;
      return;
    case BT.UL:
    case BT.UL_INT:
    case BT.UL_V2: {
      const tables = readUserlist(body, at, type);
      stats.users = tables.users.size;
      stats.groups = tables.groups.size;
      ctx.users.set('', tables);
      return;
    }
    default:
      stats.unknownBlocks++;
      stats.unknownBlocksByType.set(type, (stats.unknownBlocksByType.get(type) ?? 0) + 1);
  }
}
