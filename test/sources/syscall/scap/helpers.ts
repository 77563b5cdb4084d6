// Shared by the scap reader tests: where the fixtures are, whether sysdig (the oracle: Debian's
// sysdig 0.29.3 on libscap/libsinsp) can run, and reading a file's events into plain rows.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readScap, type ScapReplay } from '../../../../src/sources/syscall/scap/reader.js';

export const SHARED = join('..', 'shared');
export const SCAP_DIR = join(SHARED, 'falco-fixtures', 'scap');
export const RULES_0_31 = join(SHARED, 'falco-fixtures', 'falco_rules-0.31.1.yaml');
export const haveShared = existsSync(SCAP_DIR);
if (!haveShared) console.warn(`SKIPPED: the shared Falco fixtures (${SCAP_DIR}) are absent`);

export const FIXTURES = haveShared ? readdirSync(SCAP_DIR).filter((f) => f.endsWith('.scap')).sort() : [];
export const fixture = (name: string): string => join(SCAP_DIR, name);

const isRoot = process.getuid?.() === 0;
/** As root scripts/system-packages.sh installs sysdig: then the oracle tests must run. */
export const haveSysdig = isRoot || existsSync('/usr/bin/sysdig');

export interface Row {
  ts: string;
  tid: number;
  type: string;
  ret: number;
  proc: string;
  fd: string;
}

/** Every event of a scap file as rows, and the replay (stats, ctx) after reading it. */
export async function rows(file: string): Promise<{ rows: Row[]; replay: ScapReplay }> {
  const replay = readScap(file);
  const out: Row[] = [];
  for await (const e of replay.events()) {
    out.push({ ts: String(e.timeNs()), tid: e.tid, type: e.spec.name, ret: e.ret, proc: e.proc?.comm ?? '', fd: e.fd?.name ?? '' });
  }
  return { rows: out, replay };
}

/** Reads until the error; returns the rows read and the error (undefined when it read to the end). */
export async function readUntilError(file: string): Promise<{ n: number; error: unknown }> {
  let n = 0;
  try {
    for await (const e of readScap(file).events()) if (e) n++;
    return { n, error: undefined };
  } catch (error) {
    return { n, error };
  }
}
