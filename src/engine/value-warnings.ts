// libsinsp's compiler warnings about constant values (sinsp_filter_compiler::check_value_and_add_warnings):
// a regex that a plain operator could do, a field name used as a constant (a forgotten `val()`),
// a transformer call used as a constant.
import type { Pos } from '../condition/ast.js';
import type { FieldRegistry } from '../fields/registry.js';
import type { CompileWarning } from './errors.js';

const RGX_SPECIAL = '.+*?^$()[]{}|\\';
const RGX_OCCURRENCE = '+*?';
const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt', 'val'];
const FIELDISH = /^[a-zA-Z]+[a-zA-Z0-9_]*\.[a-zA-Z]/;

/** A regex with no special characters in the middle, like `.*abc`, `abc.*` or `^abc$`. */
function regexSimplifiable(v: string): boolean {
  const len = v.length;
  for (let i = 0; i < len; i++) {
    if ((i === 0 && v[i] === '^') || (i === len - 1 && v[i] === '$')) continue;
    if (((i === 0 && len > 1) || i === len - 2) && v[i] === '.' && RGX_OCCURRENCE.includes(v[i + 1]!)) {
      i++;
      continue;
    }
    if (RGX_SPECIAL.includes(v[i]!)) return false;
  }
  return true;
}

/** Does some field of the registry name a prefix of `s` (libsinsp matches field names by prefix)? */
function namesField(fields: FieldRegistry, s: string): boolean {
  if (!FIELDISH.test(s)) return false;
  const bracket = s.indexOf('[');
  if (bracket > 0 && s.endsWith(']') && fields.resolve(s.slice(0, bracket), s.slice(bracket + 1, -1))) return true;
  for (let k = s.length; k > 0; k--) {
    if (fields.get(s.slice(0, k)) || (k === s.length && fields.resolve(s))) return true;
  }
  return false;
}

export function valueWarnings(fields: FieldRegistry, op: string, value: string, pos: Pos): CompileWarning[] {
  const out: CompileWarning[] = [];
  const nospaces = value.replace(/\s+/g, '');
  if (op === 'regex' && regexSimplifiable(value)) {
    out.push({
      code: 'regex-simplifiable',
      message: `regex check with '${value}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'`,
      pos,
    });
  }
  if (namesField(fields, nospaces)) {
    out.push({ code: 'field-as-value', message: `'${value}' may be a valid field misused as a const string value`, pos });
  }
  for (const t of TRANSFORMERS) {
    if (nospaces.length >= t.length + 2 && nospaces.startsWith(t) && nospaces[t.length] === '(' && nospaces.endsWith(')')) {
      out.push({ code: 'transformer-as-value', message: `'${value}' may be a valid field transformer misused as a const string value`, pos });
    }
  }
  return out;
}
