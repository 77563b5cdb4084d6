// `regex`: libsinsp compiles the value with RE2 in POSIX syntax mode and requires the whole
// value to match (ANCHOR_BOTH). JavaScript's RegExp agrees with RE2 on the POSIX subset; the
// constructs RE2's POSIX mode rejects, or RE2 lacks altogether, are rejected here too so a rule
// cannot mean something different from what Falco would do with it.

const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'lookaround assertions are not supported'],
  [/\\[1-9]/, 'backreferences are not supported'],
  [/\\[dDsSwWbBpP]/, 'Perl character classes and \\b/\\p are not supported in POSIX syntax'],
  [/\\k</, 'named backreferences are not supported'],
];

/** Strips escaped backslashes so `\\\\d` is not mistaken for `\\d`. */
function withoutEscapedBackslashes(p: string): string {
  return p.replace(/\\\\/g, '');
}

export function compileRegex(pattern: string): RegExp {
  const plain = withoutEscapedBackslashes(pattern);
  for (const [re, why] of UNSUPPORTED) {
    if (re.test(plain)) throw new Error(`invalid regex pattern: ${why}`);
  }
  try {
    new RegExp(pattern); // alone first: an unbalanced `a)|(b` must not escape the anchoring group
    return new RegExp('^(?:' + pattern + ')$');
  } catch (e) {
    throw new Error(`invalid regex pattern: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`, { cause: e });
  }
}
