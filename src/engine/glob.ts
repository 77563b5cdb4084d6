// `glob`/`iglob`: libsinsp calls fnmatch(pattern, value, 0) (FNM_CASEFOLD for iglob). With no
// flags, `*` and `?` also match '/' and a leading '.', `[...]` is a bracket expression (`!` or
// `^` negates, ranges, [:class:]), a backslash quotes the next character, a trailing backslash
// never matches, and a `[` without its `]` is an ordinary character.

export type StringTest = (s: string) => boolean;

const CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9a-fA-F',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

function esc(c: string): string {
  return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
}

/** Parses the bracket expression starting at `p[i] === '['`; undefined when it has no closing `]`. */
function bracket(p: string, i: number): { src: string; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (p[j] === '!' || p[j] === '^') {
    negate = true;
    j++;
  }
  let body = '';
  let first = true;
  while (j < p.length) {
    let c = p[j]!;
    if (c === ']' && !first) return { src: '[' + (negate ? '^' : '') + body + ']', end: j + 1 };
    first = false;
    if (c === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      const cls = close < 0 ? undefined : CLASSES[p.slice(j + 2, close)];
      if (cls !== undefined) {
        body += cls;
        j = close + 2;
        continue;
      }
    }
    if (c === '\\' && j + 1 < p.length) {
      j++;
      c = p[j]!;
    }
    j++;
    if (p[j] === '-' && j + 1 < p.length && p[j + 1] !== ']') {
      let hi = p[j + 1]!;
      j += 2;
      if (hi === '\\' && j < p.length) hi = p[j++]!;
      if (c.charCodeAt(0) <= hi.charCodeAt(0)) body += esc(c) + '-' + esc(hi);
      continue;
    }
    body += esc(c);
  }
  return undefined;
}

/** The fnmatch pattern as an anchored RegExp source, or undefined when it can never match. */
export function globSource(p: string): string | undefined {
  let src = '';
  for (let i = 0; i < p.length; ) {
    const c = p[i]!;
    if (c === '*') {
      while (p[i] === '*') i++;
      src += '[\\s\\S]*';
    } else if (c === '?') {
      src += '[\\s\\S]';
      i++;
    } else if (c === '\\') {
      if (i + 1 >= p.length) return undefined;
      src += esc(p[i + 1]!);
      i += 2;
    } else if (c === '[') {
      const b = bracket(p, i);
      if (b) {
        src += b.src;
        i = b.end;
      } else {
        src += esc(c);
        i++;
      }
    } else {
      src += esc(c);
      i++;
    }
  }
  return '^' + src + '$';
}

const SPECIAL = /[*?[\\]/;

/**
 * Compiles a glob into a test function. Plain patterns become string comparisons (`abc`,
 * `abc*`, `*abc`, `*abc*`); anything else a RegExp.
 */
export function compileGlob(pattern: string, caseInsensitive = false): StringTest {
  if (!caseInsensitive) {
    if (!SPECIAL.test(pattern)) return (s) => s === pattern;
    const inner = pattern.replace(/^\*+/, '').replace(/\*+$/, '');
    if (!SPECIAL.test(inner)) {
      const lead = pattern.startsWith('*');
      const trail = pattern.endsWith('*') && pattern.length > 0;
      if (inner.length === 0) return () => true; // only stars
      if (lead && trail) return (s) => s.includes(inner);
      if (lead) return (s) => s.endsWith(inner);
      if (trail) return (s) => s.startsWith(inner);
    }
  }
  const src = globSource(pattern);
  if (src === undefined) return () => false;
  const re = new RegExp(src, caseInsensitive ? 'i' : '');
  return (s) => re.test(s);
}
