// Output templates: libsinsp's formatter syntax, <NA> for missing values, output_fields typing.
import { describe, expect, it } from 'vitest';
import { compileOutput } from '../../src/engine/output-template.js';
import { CompileError } from '../../src/engine/errors.js';
import { ev } from './fixtures/source.js';
import { src } from './fixtures/helpers.js';

function fmt(template: string, f: Parameters<typeof ev>[1] = {}) {
  const o = compileOutput(template, src);
  const e = ev('open', f);
  return { text: o.format(e), fields: o.fields(e), keys: o.fieldKeys };
}

function outputError(template: string): CompileError {
  try {
    compileOutput(template, src);
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('output templates', () => {
  it('renders literal text and fields', () => {
    expect(fmt('Shell spawned (user=%proc.name pid=%proc.pid)', { 'proc.name': 'bash', 'proc.pid': 42 }).text).toBe(
      'Shell spawned (user=bash pid=42)',
    );
  });

  it('renders missing values as <NA>', () => {
    expect(fmt('name=%proc.name pid=%proc.pid x=%x.unbound').text).toBe('name=<NA> pid=<NA> x=<NA>');
  });

  it('reads field arguments: [index], [key], dotted', () => {
    const r = fmt('gp=%proc.aname[2] flags=%evt.arg.flags cmd=%ka.uri.param[command] any=%proc.aname', {
      'proc.anames': ['sh', 'sshd'],
      'evt.arg.flags': 'O_RDONLY',
      'param:command': 'ls',
    });
    expect(r.text).toBe('gp=sshd flags=O_RDONLY cmd=ls any=(sh,sshd)');
    expect(r.keys).toEqual(['proc.aname[2]', 'evt.arg.flags', 'ka.uri.param[command]', 'proc.aname']);
  });

  it('takes the longest prefix that is a field, leaving the rest as text', () => {
    expect(fmt('%proc.name/%fd.name.', { 'proc.name': 'a', 'fd.name': '/b' }).text).toBe('a//b.');
    expect(fmt('(%proc.name)', { 'proc.name': 'a' }).text).toBe('(a)');
    expect(fmt('%proc.name.extra', { 'proc.name': 'a' }).text).toBe('a.extra');
  });

  it('pads or cuts a field to a given width', () => {
    expect(fmt('[%6proc.name]', { 'proc.name': 'sh' }).text).toBe('[sh    ]');
    expect(fmt('[%2proc.name]', { 'proc.name': 'bash' }).text).toBe('[ba]');
  });

  it('applies transformers, keeping only plain fields in output_fields', () => {
    const r = fmt('%tolower(proc.name) %len(fd.name) %join(",", ka.groups)', { 'proc.name': 'BASH', 'fd.name': '/etc', 'ka.groups': ['a', 'b'] });
    expect(r.text).toBe('bash 4 a,b');
    expect(r.fields).toEqual({ 'proc.name': 'BASH', 'fd.name': '/etc', 'ka.groups': ['a', 'b'] });
  });

  it('drops a leading * (missing values always print as <NA>)', () => {
    expect(fmt('*x=%proc.name').text).toBe('x=<NA>');
  });

  it('allows output-only fields', () => {
    expect(fmt('%out.only', { 'out.only': 'v' }).text).toBe('v');
  });

  it('types output_fields and uses null for missing values', () => {
    const r = fmt(
      '%proc.name %proc.pid %fd.is_server %evt.rawtime %ka.groups %ka.ports %fd.sip %evt.buffer %proc.cpu %user.uid %proc.name',
      {
        'proc.name': 'bash',
        'fd.is_server': false,
        'evt.rawtime': 1795428000123456789n,
        'ka.groups': ['a', 'b'],
        'ka.ports': [80, 443],
        'fd.sip': '10.0.0.1',
        'evt.buffer': new Uint8Array([0x41, 0x00, 0x42]),
        'proc.cpu': 2.25,
        'user.uid': 0,
      },
    );
    expect(r.fields).toEqual({
      'proc.name': 'bash',
      'proc.pid': null,
      'fd.is_server': false,
      'evt.rawtime': 1795428000123456789n,
      'ka.groups': ['a', 'b'],
      'ka.ports': [80, 443],
      'fd.sip': '10.0.0.1',
      'evt.buffer': 'A.B',
      'proc.cpu': 2.25,
      'user.uid': 0,
    });
    expect(r.keys).toHaveLength(10); // proc.name once
    expect(r.text).toBe('bash <NA> false 1795428000123456789 (a,b) (80,443) 10.0.0.1 A.B 2.2 0 bash');
  });

  it('reports an unknown field with its offset in the template', () => {
    const e = outputError('ok %proc.name then %proc.nosuch');
    expect(e.part).toBe('output');
    expect(e.code).toBe('unknown-field');
    expect(e.message).toMatch(/proc\.nosuch/);
    expect(e.pos).toMatchObject({ offset: 20, line: 1, column: 21 });
  });

  it('counts lines and columns in multi-line templates, and the leading *', () => {
    expect(outputError('*first line\nsecond %nosuch.field').pos).toMatchObject({ offset: 20, line: 2, column: 9 });
  });

  it('rejects a template ending with %, a bad argument, an unknown transformer input', () => {
    expect(outputError('').message).toMatch(/empty formatting token/);
    expect(outputError('x %').message).toMatch(/cannot end with a %/);
    expect(outputError('x %12').message).toMatch(/cannot end with a number/);
    expect(outputError('100%% done').message).toMatch(/expected a field name/); // libsinsp has no %% escape
    expect(outputError('%proc.aname[x]').code).toBe('field-argument');
    expect(outputError('%evt.arg').message).toMatch(/requires an argument/);
    expect(outputError('%tolower(proc.pid)').code).toBe('bad-transformer');
    expect(outputError('%tolower(proc.name').message).toMatch(/expected '\)'/);
  });
});
