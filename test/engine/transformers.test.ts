// Transformers as libsinsp applies them: to the extracted value, element-wise on lists, ASCII-only
// case folding, byte length for len(), a missing value stays missing.
import { describe, expect, it } from 'vitest';
import { m } from './fixtures/helpers.js';
import { runGetopt } from '../../src/engine/operand.js';

describe('tolower / toupper', () => {
  it('fold ASCII letters before comparing', () => {
    expect(m('tolower(proc.name) = bash', { 'proc.name': 'BaSh' })).toBe(true);
    expect(m('toupper(proc.name) = BASH', { 'proc.name': 'bash' })).toBe(true);
    expect(m('tolower(proc.name) = bash', { 'proc.name': 'zsh' })).toBe(false);
  });
  it('leave non-ASCII letters alone (C locale)', () => {
    expect(m('tolower(proc.name) = "café"', { 'proc.name': 'CAFÉ' })).toBe(false);
    expect(m('tolower(proc.name) = "cafÉ"', { 'proc.name': 'CAFÉ' })).toBe(true);
  });
  it('nest', () => {
    expect(m('toupper(tolower(proc.name)) = BASH', { 'proc.name': 'bAsH' })).toBe(true);
  });
  it('apply to each element of a list field', () => {
    expect(m('tolower(ka.groups) intersects (admins)', { 'ka.groups': ['Users', 'ADMINS'] })).toBe(true);
    expect(m('tolower(ka.groups) in (users, admins)', { 'ka.groups': ['Users', 'ADMINS'] })).toBe(true);
  });
  it('keep a missing value missing', () => {
    expect(m('tolower(proc.name) != x', {})).toBe(false);
    expect(m('tolower(proc.name) exists', {})).toBe(false);
  });
});

describe('basename', () => {
  it('takes what follows the last slash', () => {
    expect(m('basename(fd.name) = passwd', { 'fd.name': '/etc/passwd' })).toBe(true);
    expect(m('basename(fd.name) = passwd', { 'fd.name': 'passwd' })).toBe(true);
    expect(m('basename(fd.name) = ""', { 'fd.name': '/etc/' })).toBe(true);
    expect(m('basename(fd.name) in (sh, bash)', { 'fd.name': '/bin/bash' })).toBe(true);
  });
});

describe('b64', () => {
  it('decodes base64 before comparing', () => {
    expect(m('b64(proc.cmdline) = "hello world"', { 'proc.cmdline': 'aGVsbG8gd29ybGQ=' })).toBe(true);
    expect(m('b64(proc.cmdline) = "hello world"', { 'proc.cmdline': 'aGVsbG8gd29ybGQ' })).toBe(true); // padding optional
    expect(m('b64(proc.cmdline) contains curl', { 'proc.cmdline': Buffer.from('sh -c curl x').toString('base64') })).toBe(true);
  });
  it('treats invalid base64 as no value', () => {
    expect(m('b64(proc.cmdline) != x', { 'proc.cmdline': 'not base64!' })).toBe(false);
    expect(m('b64(proc.cmdline) exists', { 'proc.cmdline': 'not base64!' })).toBe(false);
  });
  it('decodes byte buffers to bytes', () => {
    expect(m('b64(evt.buffer) bcontains CAFE', { 'evt.buffer': new Uint8Array(Buffer.from(Buffer.from([0xca, 0xfe]).toString('base64'))) })).toBe(true);
  });
});

describe('len', () => {
  it('counts bytes of a string (strlen), not UTF-16 units', () => {
    expect(m('len(proc.name) = 4', { 'proc.name': 'bash' })).toBe(true);
    expect(m('len(proc.name) = 5', { 'proc.name': 'café' })).toBe(true);
    expect(m('len(proc.name) = 0', { 'proc.name': '' })).toBe(true);
    expect(m('len(proc.name) > 100', { 'proc.name': 'x'.repeat(101) })).toBe(true);
  });
  it('counts the elements of a list and the bytes of a buffer', () => {
    expect(m('len(ka.groups) = 3', { 'ka.groups': ['a', 'b', 'c'] })).toBe(true);
    expect(m('len(ka.groups) = 0', { 'ka.groups': [] })).toBe(true);
    expect(m('len(evt.buffer) = 6', { 'evt.buffer': new Uint8Array(6) })).toBe(true);
  });
  it('of a missing value is no value', () => {
    expect(m('len(proc.name) = 0', {})).toBe(false);
  });
  it('yields a number compared numerically', () => {
    expect(m('len(proc.cmdline) in (3, 4)', { 'proc.cmdline': 'abcd' })).toBe(true);
    expect(m('len(proc.cmdline) >= 10', { 'proc.cmdline': 'abcdefghi' })).toBe(false);
  });
});

describe('join and concat', () => {
  it('join a list field with a separator', () => {
    expect(m('join(",", ka.groups) = "a,b,c"', { 'ka.groups': ['a', 'b', 'c'] })).toBe(true);
    expect(m('join(",", ka.groups) = ""', { 'ka.groups': [] })).toBe(true);
  });
  it('join a parenthesised list of fields and literals', () => {
    expect(m('join("-", (proc.name, fd.name, "x")) = "bash-/tmp-x"', { 'proc.name': 'bash', 'fd.name': '/tmp' })).toBe(true);
    expect(m('join("-", (proc.name, fd.name)) exists', { 'proc.name': 'bash' })).toBe(false); // a missing item
  });
  it('concat strings', () => {
    expect(m('concat(proc.name, ":", proc.pname) = "bash:sshd"', { 'proc.name': 'bash', 'proc.pname': 'sshd' })).toBe(true);
    expect(m('concat(proc.name, proc.pname) = bash', { 'proc.name': 'bash' })).toBe(false);
  });
});

describe('getopt', () => {
  it('lists the options getopt(3) sees, with their values', () => {
    expect(m('getopt(proc.args, "ab:c") intersects (b)', { 'proc.args': ['-a', '-b', 'val', 'file'] })).toBe(true);
    expect(m('join(" ", getopt(proc.args, "ab:c")) = "a b val"', { 'proc.args': ['-a', '-b', 'val', 'file', '-c'] })).toBe(true);
  });
  it('follows getopt: clusters, attached values, -- and the first operand stop, unknown as ?', () => {
    expect(runGetopt(['-nt5', 'x'], { valid: new Set(['n', 't']), withArg: new Set(['t']) }, undefined)).toEqual(['n', 't', '5']);
    expect(runGetopt(['-z', '--', '-a'], { valid: new Set(['a']), withArg: new Set() }, undefined)).toEqual(['?']);
    expect(runGetopt(['--long', '-a'], { valid: new Set(['a']), withArg: new Set() }, undefined)).toEqual(['a']);
    expect(runGetopt(['-t'], { valid: new Set(['t']), withArg: new Set(['t']) }, undefined)).toEqual(['']);
    expect(runGetopt(['-t', 'a', '-t', 'b'], { valid: new Set(['t']), withArg: new Set(['t']) }, 't')).toBe('b');
    expect(runGetopt(['-a'], { valid: new Set(['a', 't']), withArg: new Set(['t']) }, 't')).toBeUndefined();
  });
});
