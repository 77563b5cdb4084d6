// Test helpers: run a synthetic scenario through the processor (the live path) and look at
// field values or alerts.
import { existsSync } from 'node:fs';
import type { FieldValue } from '../../../src/fields/types.js';
import { loadRules } from '../../../src/index.js';
import type { Alert } from '../../../src/engine/alert.js';
import { newContext, type SyscallContext } from '../../../src/sources/syscall/state/context.js';
import type { SyscallEvent } from '../../../src/sources/syscall/syscall-event.js';
import { SyscallProcessor } from '../../../src/sources/syscall/batch-processor.js';
import { syscallSource } from '../../../src/sources/syscall/source.js';
import { restoreSnapshot } from '../../../src/sources/syscall/state/snapshot.js';
import { buildScenario, type Scenario } from '../../../src/sources/syscall/scenario/synthetic.js';

export const UPSTREAM = new URL('../../../../shared/upstream-rules/', import.meta.url).pathname;
export const UPSTREAM_FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => UPSTREAM + f);
export const haveUpstream = existsSync(UPSTREAM);

/** A processor with the scenario's snapshot restored, as a capture replay would start. */
export function processorFor(s: Scenario): { processor: SyscallProcessor; ctx: SyscallContext } {
  const ctx = newContext({ bootEpochNs: s.bootEpochNs, hostname: s.hostname });
  const processor = new SyscallProcessor(ctx);
  restoreSnapshot(ctx, processor.parser.cgroupPaths, s.snapshot);
  return { processor, ctx };
}

export function getter(field: string): (e: SyscallEvent) => FieldValue | undefined {
  const m = /^([^[]+)(?:\[(.*)\])?$/.exec(field)!;
  const r = syscallSource.fields.resolve(m[1]!, m[2]);
  if (!r) throw new Error(`unknown field ${field}`);
  return r.def.bind!(r.arg);
}

/** Field values at each record (in order), for the fields given. */
export function fieldsAt(text: string | Scenario, fields: string[]): Record<string, FieldValue | undefined>[] {
  const s = typeof text === 'string' ? buildScenario(text) : text;
  const { processor } = processorFor(s);
  const gets = fields.map((f) => [f, getter(f)] as const);
  const out: Record<string, FieldValue | undefined>[] = [];
  processor.process(s.records, (e) => {
    const row: Record<string, FieldValue | undefined> = {};
    for (const [f, g] of gets) {
      const v = g(e);
      row[f] = Array.isArray(v) ? [...v] : v instanceof Uint8Array ? Buffer.from(v) : v;
    }
    out.push(row);
  });
  return out;
}

/** Field values at the last record. */
export function lastFields(text: string | Scenario, fields: string[]): Record<string, FieldValue | undefined> {
  const rows = fieldsAt(text, fields);
  return rows[rows.length - 1]!;
}

let upstream: Promise<Awaited<ReturnType<typeof loadRules>>> | undefined;
export function upstreamRules() {
  upstream ??= loadRules(UPSTREAM_FILES);
  return upstream;
}

/** Alerts the upstream rules raise over a scenario, live path. */
export async function upstreamAlerts(text: string | Scenario): Promise<Alert[]> {
  const s = typeof text === 'string' ? buildScenario(text) : text;
  const loaded = await upstreamRules();
  const rs = loaded.ruleset.forSource<SyscallEvent>('syscall')!;
  const { processor } = processorFor(s);
  const out: Alert[] = [];
  processor.process(s.records, (e) => out.push(...rs.evaluate(e)));
  return out;
}
