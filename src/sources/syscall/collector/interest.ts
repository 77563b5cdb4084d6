// Which syscalls the kernel should report: what the rules can match plus what state tracking
// needs to answer the fields those rules read (process tree always; fd table when rules look at
// anything beyond process lifecycle). Falco calls the second part its base syscalls.

/** Process table upkeep: lifecycle, identity, cwd, comm changes. Rare syscalls, always on. */
export const PROCESS_STATE_EVENTS: readonly string[] = [
  'clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'procexit',
  'setuid', 'setgid', 'setresuid', 'setresgid', 'setreuid', 'setregid', 'setsid', 'setpgid',
  'chdir', 'fchdir', 'prctl', 'capset', 'setns', 'unshare', 'chroot',
];

/** FD table upkeep: every syscall that creates, duplicates, names or closes an fd. */
export const FD_STATE_EVENTS: readonly string[] = [
  'open', 'openat', 'openat2', 'creat', 'close', 'dup', 'dup2', 'dup3', 'fcntl',
  'pipe', 'pipe2', 'socket', 'socketpair', 'bind', 'connect', 'accept', 'accept4',
  'memfd_create', 'userfaultfd', 'bpf',
];

/**
 * The Falco event names to program into the kernel filter for rules interested in `ruleTypes`
 * ('all' when some rule has no evt.type restriction).
 */
export function kernelEventNames(ruleTypes: ReadonlySet<string> | 'all'): Set<string> | 'all' {
  if (ruleTypes === 'all') return 'all';
  const names = new Set<string>(PROCESS_STATE_EVENTS);
  let needsFds = false;
  for (const t of ruleTypes) {
    names.add(t);
    if (!PROCESS_STATE_EVENTS.includes(t)) needsFds = true;
  }
  if (needsFds) for (const t of FD_STATE_EVENTS) names.add(t);
  return names;
}
