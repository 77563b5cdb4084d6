// fs.path.* (libsinsp's sinsp_filter_check_fspath): the paths a filesystem syscall works on.
import type { SyscallEvent } from '../syscall-event.js';
import type { FieldDef } from '../../../fields/types.js';
import { resolvedPathParam } from '../state/path-params.js';

type Def = FieldDef<SyscallEvent>;

/** Per event id: [name param, source param, target param] (any may be absent). */
const PATHS: Record<string, [string?, string?, string?]> = {
  OPEN: ['name'],
  OPENAT: ['name'],
  OPENAT2: ['name'],
  CREAT: ['name'],
  MKDIR: ['path'],
  MKDIRAT: ['path'],
  RMDIR: ['path'],
  UNLINK: ['path'],
  UNLINKAT: ['name'],
  CHMOD: ['filename'],
  FCHMODAT: ['filename'],
  MOUNT: ['dir'],
  UMOUNT2: ['name'],
  CHDIR: ['path'],
  LINK: [undefined, 'oldpath', 'newpath'],
  LINKAT: [undefined, 'oldpath', 'newpath'],
  SYMLINK: [undefined, 'target', 'linkpath'],
  SYMLINKAT: [undefined, 'target', 'linkpath'],
  RENAME: [undefined, 'oldpath', 'newpath'],
  RENAMEAT: [undefined, 'oldpath', 'newpath'],
  RENAMEAT2: [undefined, 'oldpath', 'newpath'],
};

function path(which: 0 | 1 | 2, raw: boolean) {
  return () => (e: SyscallEvent) => {
    const name = PATHS[e.spec.id]?.[which];
    if (!name) return undefined;
    const i = e.spec.param(name);
    if (i < 0) return undefined;
    // a symlink's target is stored as given: it is not resolved against anything
    if (raw || name === 'target') return e.str(i);
    return resolvedPathParam(e, i);
  };
}

export const fsPathFields: Def[] = [
  { name: 'fs.path.name', type: 'CHARBUF', desc: 'For any event type that deals with a filesystem path, the path the file syscall is operating on. This path is always fully resolved, prepending the thread cwd when needed.', bind: path(0, false) },
  { name: 'fs.path.nameraw', type: 'CHARBUF', desc: 'For any event type that deals with a filesystem path, the path the file syscall is operating on. This path is always the path provided to the syscall and may not be fully resolved.', bind: path(0, true) },
  { name: 'fs.path.source', type: 'CHARBUF', desc: 'For any event type that deals with a filesystem path, and specifically for a source and target like mv, cp, etc, the source path the file syscall is operating on. This path is always fully resolved, prepending the thread cwd when needed.', bind: path(1, false) },
  { name: 'fs.path.sourceraw', type: 'CHARBUF', desc: 'The source path as provided to the syscall (mv, cp, ln, ...), not resolved.', bind: path(1, true) },
  { name: 'fs.path.target', type: 'CHARBUF', desc: 'For any event type that deals with a filesystem path, and specifically for a target and target like mv, cp, etc, the target path the file syscall is operating on. This path is always fully resolved, prepending the thread cwd when needed.', bind: path(2, false) },
  { name: 'fs.path.targetraw', type: 'CHARBUF', desc: 'The target path as provided to the syscall (mv, cp, ln, ...), not resolved.', bind: path(2, true) },
];
