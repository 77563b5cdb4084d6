// Path params resolved the way libsinsp resolves them: FSPATH against the cwd, FSRELPATH
// against the directory of the fd param that precedes it (dirfd, olddirfd, ...).
import type { SyscallEvent } from '../syscall-event.js';
import { PT } from '../record/layout.js';
import { AT_FDCWD, resolvePath } from '../record/paths.js';

/** The directory a relative path param is resolved against: the nearest preceding fd param. */
function dirFor(e: SyscallEvent, i: number): string {
  const proc = e.proc;
  const cwd = proc?.cwd ?? '/';
  for (let j = i - 1; j >= 0; j--) {
    if (e.spec.params[j]!.type !== PT.FD) continue;
    const dirfd = e.int(j);
    if (dirfd === undefined || dirfd === AT_FDCWD) return cwd;
    return proc?.fds.get(dirfd)?.name ?? cwd;
  }
  return cwd;
}

/** The absolute form of a path param (FSPATH relative to cwd, FSRELPATH relative to its dirfd). */
export function resolvedPathParam(e: SyscallEvent, i: number): string | undefined {
  const entry = e.strEntry(i);
  if (entry === undefined) return undefined;
  const raw = entry.text;
  const t = e.spec.params[i]!.type;
  if (t !== PT.FSRELPATH && t !== PT.FSPATH) return raw;
  if (raw.length > 0 && raw.charCodeAt(0) === 47) return entry.normalized; // absolute: kept with the interned text
  return resolvePath(t === PT.FSRELPATH ? dirFor(e, i) : (e.proc?.cwd ?? '/'), raw);
}

