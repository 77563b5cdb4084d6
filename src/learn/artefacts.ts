// Writes everything a learning run produces under the output folder:
//   profiles/workloads/*.json, profiles/subjects/*.json   the profiles (merged into next time)
//   rules/<workload>.yaml, rules/api-<subject>.yaml          Falco rules (see emit-rules.ts)
//   networkpolicy/<ns>-<workload>.yaml, seccomp/<workload>.json, rbac/<subject>.yaml
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileStem } from './identity.js';
import { networkPolicy, rbac, seccompProfile } from './emit-k8s.js';
import { subjectRules, workloadRules } from './emit-rules.js';
import type { SubjectProfile, WorkloadProfile } from './profile.js';
import { subjectStem, writeProfiles } from './store.js';

export function writeArtefacts(outDir: string, p: { workloads: WorkloadProfile[]; subjects: SubjectProfile[] }): string[] {
  const written = writeProfiles(outDir, p);
  const put = (rel: string, text: string) => {
    const file = path.join(outDir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(file);
  };
  for (const w of p.workloads) {
    put(`rules/${fileStem(w.identity)}.yaml`, workloadRules(w));
    const np = networkPolicy(w);
    if (np) put(np.file, np.text);
    const sc = seccompProfile(w);
    put(sc.file, sc.text);
  }
  for (const s of p.subjects) {
    put(`rules/api-${subjectStem(s.key)}.yaml`, subjectRules(s));
    const r = rbac(s);
    put(r.file, r.text);
  }
  return written;
}
