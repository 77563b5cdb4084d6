// The effective configuration with its secrets hidden, for `kestrel config` and `--support`:
// values of keys that name a secret (tokens, passwords, authorization headers, keys' contents),
// and in every string the password of a URL (`//user:pass@`) and URL query values (webhook
// tokens are often there). File paths stay: a path to a key file is not the key. A command line
// (program_output.program) is scanned too: secret-named flags' values, secret headers and
// `-u user:pass` credentials.
const SECRET_KEY = /(token|password|passwd|secret|authorization|api[-_]?key|cookie)/i;
export const REDACTED = '<redacted>';

function redactText(s: string): string {
  return s
    .replace(/(\/\/[^/\s:@]+):[^@\s/]*@/g, `$1:${REDACTED}@`)
    .replace(/([?&][^=&\s#]+)=[^&\s#'"]*/g, `$1=${REDACTED}`);
}

const SECRET_WORD = '[\\w-]*(?:token|password|passwd|secret|api[-_]?key)[\\w-]*';
const SECRET_FLAG = new RegExp(`(--?${SECRET_WORD})(=|\\s+)("[^"]*"|'[^']*'|\\S+)`, 'gi');
const SECRET_HEADER = new RegExp(`((?:authorization|cookie|${SECRET_WORD})\\s*:\\s*)[^"'\\n]+`, 'gi');
const USER_PASSWORD = /((?:^|\s)(?:-u|--user)(?:=|\s+)['"]?[^:\s'"]+):[^\s'"]+/g;

function redactCommand(s: string): string {
  return redactText(s)
    .replace(SECRET_HEADER, `$1${REDACTED}`)
    .replace(SECRET_FLAG, `$1$2${REDACTED}`)
    .replace(USER_PASSWORD, `$1:${REDACTED}`);
}

export function redact(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && !/_file$|_path$/.test(key)) {
    if (Array.isArray(value)) return value.map(() => REDACTED);
    if (value === '' || value === null || value === undefined || typeof value === 'boolean') return value;
    return REDACTED;
  }
  // http_output.custom_headers as a list of "Name: value" lines: the value of a secret header.
  if (typeof value === 'string' && key === 'custom_headers') {
    const header = /^([^:\s]+)\s*:/.exec(value);
    if (header && SECRET_KEY.test(header[1]!)) return `${header[1]}: ${REDACTED}`;
  }
  if (typeof value === 'string') return key === 'program' ? redactCommand(value) : redactText(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k);
    return out;
  }
  return value;
}
