// Path arithmetic as libsinsp does it (concatenate_paths): join a relative path to a base
// directory and normalize `.`, `..` and repeated slashes, without touching the filesystem.

export const AT_FDCWD = -100;

/** Normalizes an absolute path. */
export function normalizePath(p: string): string {
  if (p.indexOf('/.') < 0 && p.indexOf('//') < 0 && (p.length < 2 || p[p.length - 1] !== '/')) return p;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** `p` if absolute, else `base/p`; normalized. An empty `p` yields `base`. */
export function resolvePath(base: string, p: string): string {
  if (p.length > 0 && p.charCodeAt(0) === 47) return normalizePath(p);
  if (p.length === 0) return normalizePath(base || '/');
  return normalizePath((base || '/') + '/' + p);
}

/** fd.directory: everything before the last slash ('/' for top-level entries). */
export function dirName(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** fd.filename: the part after the last slash. */
export function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}
