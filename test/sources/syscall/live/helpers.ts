// Shared by the live (real eBPF) tests: why they skip, a lock so live test files do not run at
// the same time (every collector sees every process on the host), and record decoding.
import { mkdir, rm, stat } from 'node:fs/promises';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { collectorUnavailableReason } from '../../../../src/sources/syscall/collector/collector.js';
import { RecordView } from '../../../../src/sources/syscall/record/record-view.js';
import { PT } from '../../../../src/sources/syscall/record/layout.js';

/** Why live eBPF tests cannot run here, or undefined. */
export function liveSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: the eBPF collector needs root (or CAP_BPF + CAP_PERFMON)';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'the kernel exposes no BTF (/sys/kernel/btf/vmlinux)';
  return collectorUnavailableReason();
}

/** Title suffix that makes a skip visible in the test report. */
export function skipNote(reason: string | undefined): string {
  if (!reason) return '';
  console.warn(`[live eBPF tests skipped] ${reason}`);
  return ` (SKIPPED: ${reason})`;
}

const LOCK = '/tmp/kestrel-live-tests.lock';

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(`${LOCK}/pid`, 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Serializes live test files across vitest workers (mkdir is atomic). A lock whose holder is gone
 * (a killed run) is taken over.
 */
export async function acquireLiveLock(timeoutMs = 900_000): Promise<() => Promise<void>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(LOCK);
      writeFileSync(`${LOCK}/pid`, String(process.pid));
      return async () => {
        await rm(LOCK, { recursive: true, force: true });
      };
    } catch {
      const st = await stat(LOCK).catch(() => undefined);
      // the holder writes its pid right after mkdir: give it a moment before judging
      if (st && Date.now() - st.mtimeMs > 2000 && !holderAlive()) await rm(LOCK, { recursive: true, force: true });
      if (Date.now() > until) throw new Error(`live test lock ${LOCK} still held after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface Rec {
  type: number;
  name: string;
  tid: number;
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  loginuid: number;
  mntNs: number;
  pidNs: number;
  cgroupId: bigint;
  comm: string;
  ret: number;
  flags: number;
  /** Params by Falco name: strings for text, numbers for ints, string[] for argv areas. */
  p: Record<string, unknown>;
  truncated: string[];
}

const TEXT = new Set<PT>([PT.CHARBUF, PT.FSPATH, PT.FSRELPATH]);

/** Decodes every record of a batch into plain objects (tests only: allocates freely). */
export function decodeBatch(buf: Buffer, count: number, into: Rec[]): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const v = new RecordView();
  let off = 0;
  for (let i = 0; i < count; i++) {
    v.at(buf, dv, off);
    const p: Record<string, unknown> = {};
    const truncated: string[] = [];
    v.spec.params.forEach((ps, j) => {
      if (v.paramLen(j) === 0) return;
      if (v.paramTruncated(j)) truncated.push(ps.name);
      if (TEXT.has(ps.type)) p[ps.name] = v.str(j);
      else if (ps.type === PT.ARGV) p[ps.name] = v.argv(j);
      else if (ps.type === PT.SOCKADDR) p[ps.name] = v.sockaddr(j);
      else if (ps.type === PT.SOCKTUPLE) p[ps.name] = v.socktuple(j);
      else if (ps.type === PT.BYTEBUF) p[ps.name] = Buffer.from(v.bytes(j)!);
      else p[ps.name] = v.int(j);
    });
    into.push({
      type: v.type,
      name: v.spec.name,
      tid: v.tid,
      pid: v.pid,
      ppid: v.ppid,
      uid: v.uid,
      gid: v.gid,
      loginuid: v.loginuid,
      mntNs: v.mntNs,
      pidNs: v.pidNs,
      cgroupId: v.cgroupId(),
      comm: v.comm(),
      ret: v.ret,
      flags: v.flags,
      p,
      truncated,
    });
    off += v.len;
  }
}

export async function waitFor(what: string, pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
