// Profiles on disk: DIR/profiles/workloads/<stem>.json and DIR/profiles/subjects/<stem>.json.
// A later `kestrel learn -o DIR` reads them back and merges into them; setting "locked": true in
// a file keeps it as it is. A file that does not parse is an error naming it (nothing is lost).
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileStem } from './identity.js';
import type { SubjectProfile, WorkloadProfile } from './profile.js';

export class ProfileError extends Error {}

const WORKLOADS = 'profiles/workloads';
const SUBJECTS = 'profiles/subjects';

function readAll<T>(dir: string, check: (v: unknown) => v is T): T[] {
  if (!existsSync(dir)) return [];
  const out: T[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ProfileError(`${file}: not a profile: ${(err as Error).message}`);
    }
    if (!check(value)) throw new ProfileError(`${file}: not a profile written by kestrel learn (missing identity/key, window or allowlists)`);
    out.push(value);
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isWorkload(v: unknown): v is WorkloadProfile {
  return isObject(v) && isObject(v.identity) && typeof v.identity.key === 'string' && isObject(v.window) && isObject(v.executables) && Array.isArray(v.writePrefixes) && Array.isArray(v.outbound) && Array.isArray(v.syscalls);
}

function isSubject(v: unknown): v is SubjectProfile {
  return isObject(v) && typeof v.key === 'string' && isObject(v.window) && Array.isArray(v.access) && Array.isArray(v.nonResourceUrls);
}

export function readProfiles(outDir: string): { workloads: WorkloadProfile[]; subjects: SubjectProfile[] } {
  return { workloads: readAll(path.join(outDir, WORKLOADS), isWorkload), subjects: readAll(path.join(outDir, SUBJECTS), isSubject) };
}

/** A file-name-safe stem for a subject key ("serviceaccount:ns/name" → "serviceaccount-ns-name"). */
export function subjectStem(key: string): string {
  return key.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-');
}

export function writeProfiles(outDir: string, p: { workloads: WorkloadProfile[]; subjects: SubjectProfile[] }): string[] {
  const written: string[] = [];
  const put = (dir: string, stem: string, value: unknown) => {
    mkdirSync(path.join(outDir, dir), { recursive: true });
    const file = path.join(outDir, dir, `${stem}.json`);
    writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
    written.push(file);
  };
  for (const w of p.workloads) put(WORKLOADS, fileStem(w.identity), w);
  for (const s of p.subjects) put(SUBJECTS, subjectStem(s.key), s);
  return written;
}
