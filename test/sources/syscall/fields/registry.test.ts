import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syscallSource } from '../../../../src/sources/syscall/source.js';

const DIR = new URL('../../../../../shared/upstream-rules/', import.meta.url).pathname;
const FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'];
const have = existsSync(DIR);
if (!have) console.warn(`SKIPPED: upstream rules not found at ${DIR}`);

describe('syscall field registry', () => {
  it.skipIf(!have)('resolves every syscall field the upstream rules use, each with an extractor', () => {
    const missing = new Set<string>();
    let seen = 0;
    for (const f of FILES) {
      const text = readFileSync(DIR + f, 'utf8')
        .split('\n')
        .filter((l) => !/^\s*#/.test(l))
        .join('\n');
      for (const m of text.matchAll(/%?\b(evt|proc|thread|fd|user|group|container|k8s|fs\.path)\.[a-zA-Z0-9_]+(?:\.[a-zA-Z0-9_]+)*(\[[^\]]*\])?/g)) {
        let name = m[0].replace(/^%/, '');
        let arg: string | undefined;
        const b = name.indexOf('[');
        if (b >= 0) {
          arg = name.slice(b + 1, -1);
          name = name.slice(0, b);
        }
        // words like `user.name` inside descriptions are fields too; `k8s.io` is a domain in a list
        if (name === 'k8s.io' || name.startsWith('container.image.repository.') || /\.(yaml|json|sh|com|io)$/.test(name) || name === 'user.log') continue; // user.log: a file name in a list
        seen++;
        const r = syscallSource.fields.resolve(name, arg);
        if (!r || !r.def.bind) missing.add(m[0]);
      }
    }
    expect(seen).toBeGreaterThan(500);
    expect([...missing]).toEqual([]);
  });

  it('indexes events by Falco name, several codes per name allowed', () => {
    const types = syscallSource.eventTypes!;
    for (const n of ['execve', 'execveat', 'openat', 'openat2', 'connect', 'accept4', 'symlinkat', 'memfd_create', 'ptrace', 'switch', 'procexit', 'clone3']) {
      expect(types).toContain(n);
    }
  });
});
