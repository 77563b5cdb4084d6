// The OCI runtime's own init in a new container: runc re-executes itself from a memfd (so its
// executable has no file: "/") as `runc init` / `runc:[2:INIT]`, and sets the container up
// (/proc/sys writes, /dev/null, its fds) before it execs the workload. That is not the workload's
// behaviour: the learner skips it and the generated rules leave exactly it out; any other
// file-less process in the workload is still the workload's. Its parent may be unknown (the
// runtime forked before Kestrel saw it), so runc's own `runc:[N:...]` name is enough.
// One definition, two forms: a predicate over the fields (learner) and a Falco condition (rules).

const FILELESS_EXE_SUFFIX = '/';
const RUNTIMES = ['runc', 'crun', 'youki'] as const;
const RUNC_INIT_NAME_PREFIX = 'runc:[';

/** The runtime's init, as a Falco condition over proc.exepath, proc.pname and proc.name. */
export const RUNTIME_INIT_CONDITION =
  `(proc.exepath endswith "${FILELESS_EXE_SUFFIX}" and (proc.pname in (${RUNTIMES.join(', ')}) or proc.name startswith "${RUNC_INIT_NAME_PREFIX}"))`;

const RUNTIME_SET: ReadonlySet<string> = new Set(RUNTIMES);

/** The same test as RUNTIME_INIT_CONDITION, on the three field values. */
export function isRuntimeInit(exepath: string, pname: string, name: string): boolean {
  return exepath.endsWith(FILELESS_EXE_SUFFIX) && (RUNTIME_SET.has(pname) || name.startsWith(RUNC_INIT_NAME_PREFIX));
}
