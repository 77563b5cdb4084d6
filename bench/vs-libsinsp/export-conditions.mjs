#!/usr/bin/env node
// Writes each enabled syscall rule of a rules file as one line `name<TAB>condition`, the condition
// with its macros, lists and exceptions expanded by Kestrel's rules loader (dist/) and printed in
// the filter syntax of the 2022 libsinsp string compiler (sinsp_filter_compiler, userspace/libsinsp/
// filter.cpp): that compiler has no macros, no operator precedence (checks combine left to right,
// so every compound operand is parenthesised), `=` for `==`, values quoted with \xHH escapes for
// quotes, backslashes and control bytes. Falco 0.31 expanded macros and lists itself (its Lua rule
// loader) before handing libsinsp a filter; this script does that part for sinsp_bench.cpp.
//
//   node bench/vs-libsinsp/export-conditions.mjs RULES.yaml OUT.tsv
//
// Conditions folded to a constant (an `in ()` over an empty list) are simplified the way Kestrel
// folds them: a rule whose condition is always false is left out (Kestrel never evaluates it).
// Rules using what the 2022 compiler has no syntax for (regex, bcontains, transformers, field
// comparisons) are left out too, and so are rules on enter events (`evt.dir = >`): Kestrel's
// records are exit events (current Falco dropped enter events too), 2022 libsinsp has both. Both are listed on stderr and counted in OUT.tsv.json.
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dist = (p) => import(pathToFileURL(ROOT + 'dist/' + p).href);

/** Kestrel's operator spelling -> the 2022 compiler's (absent: no syntax for it there). */
const OPERATORS = new Map([
  ['=', '='],
  ['==', '='],
  ['!=', '!='],
  ['<', '<'],
  ['<=', '<='],
  ['>', '>'],
  ['>=', '>='],
  ['contains', 'contains'],
  ['icontains', 'icontains'],
  ['startswith', 'startswith'],
  ['endswith', 'endswith'],
  ['glob', 'glob'],
  ['in', 'in'],
  ['intersects', 'intersects'],
  ['pmatch', 'pmatch'],
]);
const LIST_OPERATORS = new Set(['in', 'intersects', 'pmatch']);

class Unsupported extends Error {}

/** A quoted operand: bytes the compiler would end or unescape on (", ', \, blanks) as \xHH. */
export function quote(v) {
  const bytes = v.bytes ?? Buffer.from(v.value, 'utf8');
  let out = '"';
  for (const b of bytes) {
    if (b < 0x20 || b === 0x7f || b === 0x22 || b === 0x27 || b === 0x5c) out += '\\x' + b.toString(16).padStart(2, '0');
    else out += String.fromCharCode(b);
  }
  // latin1 keeps each byte one char; written back as latin1 the UTF-8 bytes are unchanged
  return out + '"';
}

function field(op) {
  if (op.kind !== 'field') throw new Unsupported(`transformer ${op.name}()`);
  return op.arg === undefined ? op.field : `${op.field}[${op.arg}]`;
}

const FALSE = { kind: 'const', value: false };
const TRUE = { kind: 'const', value: true };

/** Folds empty `in ()` lists to false and propagates constants through and/or/not. */
export function fold(e) {
  switch (e.kind) {
    case 'and':
    case 'or': {
      const absorbing = e.kind === 'and' ? false : true;
      const kids = [];
      for (const c of e.children.map(fold)) {
        if (c.kind === 'const') {
          if (c.value === absorbing) return c;
          continue; // the neutral constant drops out
        }
        kids.push(c);
      }
      if (kids.length === 0) return { kind: 'const', value: !absorbing };
      return kids.length === 1 ? kids[0] : { ...e, children: kids };
    }
    case 'not': {
      const c = fold(e.child);
      return c.kind === 'const' ? (c.value ? FALSE : TRUE) : { ...e, child: c };
    }
    case 'binary':
      if (LIST_OPERATORS.has(e.op) && e.right.kind === 'list' && e.right.items.length === 0) return FALSE;
      return e;
    default:
      return e;
  }
}

/** The condition in the 2022 compiler's syntax. */
export function print(e) {
  const operand = (c) => (c.kind === 'and' || c.kind === 'or' || c.kind === 'not' ? `(${print(c)})` : print(c));
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.children.map(operand).join(` ${e.kind} `);
    case 'not':
      return `not (${print(e.child)})`;
    case 'unary':
      return `${field(e.left)} exists`;
    case 'binary': {
      const op = OPERATORS.get(e.op);
      if (!op || e.modifier) throw new Unsupported(`operator ${e.op}${e.modifier ? ' ' + e.modifier : ''}`);
      const left = field(e.left);
      if (e.right.kind === 'list') return `${left} ${op} (${e.right.items.map(quote).join(', ')})`;
      if (e.right.kind !== 'value') throw new Unsupported('a field compared with a field');
      if (LIST_OPERATORS.has(e.op)) return `${left} ${op} (${quote(e.right)})`;
      return `${left} ${op} ${quote(e.right)}`;
    }
    default:
      throw new Unsupported(`${e.kind} in a resolved condition`);
  }
}

/**
 * Whether the condition asks for enter events (`evt.dir = >`, or `evt.dir != <`, outside a `not`):
 * libsinsp 2022 delivers them, Kestrel (like Falco since it dropped enter events) does not, so
 * such a rule would differ by design.
 */
export function needsEnterEvents(e, negated = false) {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.children.some((c) => needsEnterEvents(c, negated));
    case 'not':
      return needsEnterEvents(e.child, !negated);
    case 'binary': {
      if (e.left.kind !== 'field' || e.left.field !== 'evt.dir' || e.right.kind !== 'value') return false;
      const eq = e.op === '=' || e.op === '==';
      const asksEnter = (eq && e.right.value === '>') || (e.op === '!=' && e.right.value === '<');
      const asksExit = (eq && e.right.value === '<') || (e.op === '!=' && e.right.value === '>');
      return negated ? asksExit : asksEnter;
    }
    default:
      return false;
  }
}

/** Exports the enabled syscall rules of `rulesFiles`; returns what was written and what was left out. */
export async function exportConditions(rulesFiles) {
  const { loadRules } = await dist('rules/load.js');
  const { builtinSources } = await dist('agent/source-list.js');
  const loaded = await loadRules(rulesFiles, { sources: builtinSources() });
  if (loaded.errors.length > 0) throw new Error(`rules did not load in Kestrel: ${loaded.errors.map((d) => d.message).join('; ')}`);
  const lines = [];
  const skipped = [];
  for (const spec of loaded.rules) {
    if (!spec.enabled || spec.source !== 'syscall') continue;
    const folded = fold(spec.condition);
    if (folded.kind === 'const') {
      if (folded.value === false) skipped.push({ name: spec.name, why: 'condition always false (empty list)' });
      else skipped.push({ name: spec.name, why: 'condition always true' });
      continue;
    }
    if (needsEnterEvents(folded)) {
      skipped.push({ name: spec.name, why: 'matches enter events (evt.dir = >), which Kestrel does not have' });
      continue;
    }
    try {
      lines.push(`${spec.name}\t${print(folded)}`);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      skipped.push({ name: spec.name, why: `no 2022 libsinsp syntax for ${err.message}` });
    }
  }
  return { lines, skipped };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [rules, out] = process.argv.slice(2);
  if (!rules || !out) {
    console.error('usage: export-conditions.mjs RULES.yaml OUT.tsv');
    process.exit(2);
  }
  const { lines, skipped } = await exportConditions([rules]);
  writeFileSync(out, lines.join('\n') + '\n', 'latin1');
  writeFileSync(out + '.json', JSON.stringify({ exported: lines.length, skipped }, null, 2) + '\n');
  for (const s of skipped) console.error(`export-conditions: left out ${JSON.stringify(s.name)}: ${s.why}`);
  console.error(`export-conditions: ${lines.length} rule(s) written to ${out}, ${skipped.length} left out`);
}
