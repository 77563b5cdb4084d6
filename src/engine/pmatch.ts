// `pmatch`: libsinsp's path_prefix_search. Paths are compared component by component (empty
// components, i.e. repeated, leading or trailing slashes, are ignored): a value matches when some
// search path's components are a prefix of the value's components. `/etc` matches `/etc` and
// `/etc/x` but not `/etcx`, and `/` matches every path. A search component containing `?*[` is a
// glob matched against one value component.
import { compileGlob, type StringTest } from './glob.js';

interface SearchPath {
  comps: string[];
  globs: (StringTest | undefined)[];
}

function components(path: string): string[] {
  return path.split('/').filter((c) => c.length > 0);
}

/** Does `value` start with the components of `sp`? Allocates only for glob components. */
function matchesPath(value: string, sp: SearchPath): boolean {
  const n = value.length;
  let pos = 0;
  for (let k = 0; k < sp.comps.length; k++) {
    while (pos < n && value.charCodeAt(pos) === 47) pos++;
    if (pos >= n) return false;
    let end = value.indexOf('/', pos);
    if (end < 0) end = n;
    const glob = sp.globs[k];
    if (glob !== undefined) {
      if (!glob(value.slice(pos, end))) return false;
    } else {
      const c = sp.comps[k]!;
      if (end - pos !== c.length || !value.startsWith(c, pos)) return false;
    }
    pos = end;
  }
  return true;
}

/** A key for a value's first component that needs no substring: its length and first char. */
function bucketKey(len: number, firstChar: number): number {
  return len * 65536 + firstChar;
}

export class PathPrefixMatcher {
  private readonly matchAll: boolean;
  private readonly byFirst = new Map<number, SearchPath[]>();
  private readonly globFirst: SearchPath[] = [];

  constructor(paths: readonly string[]) {
    let all = false;
    for (const p of paths) {
      const comps = components(p);
      if (comps.length === 0) {
        all = true;
        continue;
      }
      const globs = comps.map((c) => (/[?*[]/.test(c) ? compileGlob(c) : undefined));
      const sp = { comps, globs };
      if (globs[0] !== undefined) this.globFirst.push(sp);
      else {
        const key = bucketKey(comps[0]!.length, comps[0]!.charCodeAt(0));
        const list = this.byFirst.get(key);
        if (list) list.push(sp);
        else this.byFirst.set(key, [sp]);
      }
    }
    this.matchAll = all;
  }

  match(value: string): boolean {
    if (this.matchAll) return true;
    const n = value.length;
    let pos = 0;
    while (pos < n && value.charCodeAt(pos) === 47) pos++;
    if (pos >= n) return false;
    let end = value.indexOf('/', pos);
    if (end < 0) end = n;
    const bucket = this.byFirst.get(bucketKey(end - pos, value.charCodeAt(pos)));
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) if (matchesPath(value, bucket[i]!)) return true;
    }
    for (let i = 0; i < this.globFirst.length; i++) if (matchesPath(value, this.globFirst[i]!)) return true;
    return false;
  }
}
