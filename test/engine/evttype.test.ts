// The event-type analysis of libsinsp's ppm_event_codes visitor: and = intersection, or = union,
// negations pushed to the leaves, only evt.type checks complemented.
import { describe, expect, it } from 'vitest';
import { parseCondition } from '../../src/condition/parse.js';
import { analyzeEventTypes, matchesTooManyEventTypes } from '../../src/engine/evttype.js';
import { CompileError } from '../../src/engine/errors.js';
import { EVENT_TYPES, fixtureSource } from './fixtures/source.js';

const src = fixtureSource();

/** The names a condition can match, or 'all'. */
function names(cond: string): string[] | 'all' {
  const r = analyzeEventTypes(parseCondition(cond), src);
  if (r.codes === 'all') return 'all';
  return [...new Set([...r.codes].sort((a, b) => a - b).map((c) => EVENT_TYPES[c]!))];
}

const ALL_BUT = (...except: string[]) => [...new Set(EVENT_TYPES)].filter((n) => !except.includes(n));

describe('event-type analysis', () => {
  it.each([
    ['evt.type = open', ['open']],
    ['evt.type == open', ['open']],
    ['evt.type in (open, openat)', ['open', 'openat']],
    ['evt.type in ()', []],
    ['evt.type != open', ALL_BUT('open')],
    ['not evt.type = open', ALL_BUT('open')],
    ['not evt.type != open', ['open']],
    ['not not evt.type = open', ['open']],
    ['not evt.type in (open, close)', ALL_BUT('open', 'close')],
    ['evt.type = open and proc.name = x', ['open']],
    ['evt.type = open or proc.name = x', 'all'],
    ['evt.type = open or evt.type = execve', ['open', 'execve']],
    ['evt.type = open and evt.type = execve', []],
    ['evt.type != open and evt.type != openat', ALL_BUT('open', 'openat')],
    ['evt.type != open and proc.name = x', ALL_BUT('open')],
    ['not (evt.type = open or evt.type = openat)', ALL_BUT('open', 'openat')],
    ['not (evt.type = open and proc.name = x)', 'all'],
    ['not (evt.type in (open, execve) and not evt.type = execve)', ALL_BUT('open')],
    ['(evt.type in (open, openat) and proc.name = a) or (evt.type = execve and not proc.name = b)', ['open', 'openat', 'execve']],
    ['evt.type in (open, openat, execve) and not evt.type = openat', ['open', 'execve']],
    ['evt.type exists', 'all'],
    ['not evt.type exists', []],
    ['proc.name = x', 'all'],
    ['not proc.name = x', 'all'],
    ['evt.type startswith op', 'all'], // only = != in look at the type
    ['evt.type pmatch (open)', 'all'],
  ] as const)('%s -> %j', (cond, expected) => {
    expect(names(cond)).toEqual(expected === 'all' ? 'all' : [...expected]);
  });

  it('maps a name to every code that has it (enter and exit events)', () => {
    const r = analyzeEventTypes(parseCondition('evt.type = connect'), src);
    expect(r.codes).toEqual(new Set([6, 7]));
  });

  it('warns about unknown event type names, with their position, and matches nothing for them', () => {
    const r = analyzeEventTypes(parseCondition('evt.type in (open, opne) or evt.type = nosuch'), src);
    expect(r.codes).toEqual(new Set([0, 1]));
    expect(r.warnings.map((w) => [w.code, w.message, w.pos?.column])).toEqual([
      ['unknown-evttype', "unknown event type 'opne' in evt.type check: it matches no event", 20],
      ['unknown-evttype', "unknown event type 'nosuch' in evt.type check: it matches no event", 40],
    ]);
  });

  it('is all, without warnings, for sources without event types', () => {
    const r = analyzeEventTypes(parseCondition('evt.type = nosuch'), fixtureSource({ eventTypes: false }));
    expect(r).toEqual({ codes: 'all', warnings: [] });
  });

  it('treats syscall.type like evt.type', () => {
    expect(names('syscall.type = execve')).toEqual(['execve']);
  });

  it('refuses evt.type inside transformers and right-hand fields, as libsinsp does', () => {
    expect(() => names('tolower(evt.type) = open')).toThrow(CompileError);
    expect(() => names('evt.type = val(proc.name)')).toThrow(/right-hand field comparisons/);
    expect(names('tolower(evt.type) startswith o')).toBe('all'); // not an evt.type operator: not looked at
  });

  it('flags what Falco warns about: no type, or more than 100', () => {
    expect(matchesTooManyEventTypes('all')).toBe(true);
    expect(matchesTooManyEventTypes(new Set())).toBe(true);
    expect(matchesTooManyEventTypes(new Set([1, 2]))).toBe(false);
    expect(matchesTooManyEventTypes(new Set(Array.from({ length: 101 }, (_, i) => i)))).toBe(true);
  });
});
