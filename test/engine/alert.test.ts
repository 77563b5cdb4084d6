// Alerts: Falco's json_output shape and its text line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuleSet } from '../../src/engine/ruleset.js';
import { alertToJson, alertToText, buildAlert, clockTime, rfc3339Nano } from '../../src/engine/alert.js';
import { compileRule } from '../../src/engine/compile-rule.js';
import { ev, fixtureFields, fixtureSource, T0, type FxEvent } from './fixtures/source.js';
import { rule, spec, src } from './fixtures/helpers.js';
import type { EventSource } from '../../src/engine/event-source.js';

let tz: string | undefined;
beforeAll(() => {
  tz = process.env.TZ;
  process.env.TZ = 'UTC';
});
afterAll(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});

describe('time formats', () => {
  it('RFC 3339 UTC with nanoseconds', () => {
    expect(rfc3339Nano(T0)).toBe('2026-11-23T10:00:00.123456789Z');
    expect(rfc3339Nano(0n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(rfc3339Nano(1_000_000_005n)).toBe('1970-01-01T00:00:01.000000005Z');
  });
  it("libsinsp's evt.time: local HH:MM:SS.nnnnnnnnn", () => {
    expect(clockTime(T0)).toBe('10:00:00.123456789');
    expect(clockTime(1_000_000_005n)).toBe('00:00:01.000000005');
  });
});

describe('alerts', () => {
  const r = rule('Shell in container', 'evt.type = execve and proc.name = bash', {
    output: 'Shell spawned (user=%user.uid proc=%proc.name parent=%proc.pname groups=%ka.groups)',
    priority: 'Warning',
    tags: ['shell', 'container', 'mitre_execution', 'shell'],
  });
  const rs = new RuleSet([r], new Map([['fixture', src]]), { hostname: 'node-1' });
  const event = ev('execve', { 'proc.name': 'bash', 'user.uid': 0, 'ka.groups': ['a'] });

  it("has Falco's json_output fields, keys in Falco's (sorted) order", () => {
    const [a] = rs.evaluate(event, 'fixture');
    expect(a).toEqual({
      hostname: 'node-1',
      output: '10:00:00.123456789: Warning Shell spawned (user=0 proc=bash parent=<NA> groups=(a))',
      output_fields: { 'evt.time': T0, 'ka.groups': ['a'], 'proc.name': 'bash', 'proc.pname': null, 'user.uid': 0 },
      priority: 'Warning',
      rule: 'Shell in container',
      source: 'fixture',
      tags: ['container', 'mitre_execution', 'shell'],
      time: '2026-11-23T10:00:00.123456789Z',
    });
    expect(Object.keys(a!)).toEqual(['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time']);
  });

  it('serializes to one JSON line with exact 64-bit integers', () => {
    const [a] = rs.evaluate(event, 'fixture');
    const line = alertToJson(a!);
    expect(line).not.toContain('\n');
    expect(line).toContain('"evt.time":1795428000123456789');
    expect(line.startsWith('{"hostname":"node-1","output":"10:00:00.123456789: Warning Shell spawned')).toBe(true);
    const parsed = JSON.parse(line);
    expect(parsed.output_fields['proc.pname']).toBeNull();
    expect(parsed.tags).toEqual(['container', 'mitre_execution', 'shell']);
    expect(parsed.time).toBe('2026-11-23T10:00:00.123456789Z');
  });

  it("prints Falco's text line", () => {
    const [a] = rs.evaluate(event, 'fixture');
    expect(alertToText(a!)).toBe('10:00:00.123456789: Warning Shell spawned (user=0 proc=bash parent=<NA> groups=(a))');
  });

  it("takes the prefix time from the source's own evt.time field when it has one", () => {
    const fields = fixtureFields().add({ name: 'evt.time', type: 'CHARBUF', desc: 'time', bind: () => () => '23:59:59.000000001' });
    const withTime: EventSource<FxEvent> = { ...fixtureSource(), fields };
    const r2 = compileRule(spec('r', 'proc.name = x', { output: 'at %evt.time', priority: 'Critical' }), withTime);
    const a = buildAlert(r2, ev('open', { 'proc.name': 'x' }), 'h');
    expect(a.output).toBe('23:59:59.000000001: Critical at 23:59:59.000000001');
    expect(a.output_fields['evt.time']).toBe(T0); // the raw timestamp, as Falco's JSON has it
  });

  it('spells every priority as Falco does', () => {
    for (const p of ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const) {
      const a = buildAlert(rule('r', 'proc.name = x', { priority: p, output: 'o' }), ev('open'), 'h');
      expect(a.priority).toBe(p);
      expect(a.output).toBe(`10:00:00.123456789: ${p} o`);
    }
  });
});
