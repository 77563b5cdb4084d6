import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { k8sAuditSource } from '../../../../src/sources/k8saudit/source.js';

const UPSTREAM = new URL('../../../../../shared/upstream-rules/k8s_audit_rules.yaml', import.meta.url).pathname;
const haveUpstream = existsSync(UPSTREAM);
if (!haveUpstream) console.warn(`SKIPPED: upstream rules not found at ${UPSTREAM}`);

describe('k8s_audit field registry', () => {
  it.skipIf(!haveUpstream)('registers every field used by upstream k8s_audit_rules.yaml', () => {
    const text = readFileSync(UPSTREAM, 'utf8');
    const missing: string[] = [];
    let count = 0;
    for (const m of text.matchAll(/\b((?:ka|jevt|json)\.[a-zA-Z_.]*[a-zA-Z_])(\[[^\]]*\])?/g)) {
      count++;
      const arg = m[2]?.slice(1, -1);
      const r = k8sAuditSource.fields.resolve(m[1]!, arg);
      if (!r || !r.def.bind) missing.push(m[0]);
    }
    expect(count).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it('has the full plugin field set with Falco types and list flags', () => {
    const f = k8sAuditSource.fields;
    expect(f.get('ka.user.groups')).toMatchObject({ type: 'CHARBUF', list: true });
    expect(f.get('ka.user.name')).toMatchObject({ type: 'CHARBUF' });
    expect(f.get('ka.user.name')!.list).toBeFalsy();
    expect(f.get('ka.uri.param')!.arg).toEqual({ required: true, kind: 'key' });
    expect(f.get('jevt.value')!.arg).toEqual({ required: true, kind: 'key' });
    expect(f.get('ka.req.pod.containers.image')!.arg).toEqual({ required: false, kind: 'index' });
    for (const kind of ['containers', 'initContainers', 'ephemeralContainers']) {
      for (const leaf of ['name', 'image', 'image.repository', 'command', 'args', 'privileged', 'allow_privilege_escalation',
        'read_only_fs', 'run_as_user', 'eff_run_as_user', 'run_as_group', 'eff_run_as_group', 'proc_mount', 'add_capabilities', 'host_port']) {
        expect(f.get(`ka.req.pod.${kind}.${leaf}`), `ka.req.pod.${kind}.${leaf}`).toMatchObject({ list: true });
      }
    }
    for (const name of ['ka.auditid', 'ka.stage', 'ka.impuser.name', 'ka.target.pod.name', 'ka.req.binding.subjects.user_names',
      'ka.req.volume.hostpath', 'ka.req.pod.volumes.hostpath', 'ka.req.pod.volumes.volume_type', 'ka.sourceips', 'ka.cluster.name',
      'ka.useragent', 'jevt.obj', 'jevt.time', 'jevt.rawtime', 'json.value', 'evt.time', 'evt.rawtime']) {
      expect(f.get(name), name).toBeDefined();
    }
    expect(f.all().every((d) => d.desc.length > 0 && d.bind)).toBe(true);
  });
});
