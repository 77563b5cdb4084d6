// `kestrel learn -o DIR [FILE...]`: learning mode. From recordings (Kestrel captures and audit
// logs, read as `kestrel replay` reads them), or live (--duration) from the agent's sources. Each
// event is attributed to a workload (src/learn/identity.ts) or an audit subject and folded into
// its profile; profiles already in DIR are merged into, locked ones kept. Writes the profiles and
// the artefacts made from them (src/learn/artefacts.ts) and prints a summary per workload.
import type { Command } from 'commander';
import { Learner, type LearnSelector } from '../learn/learner.js';
import { readProfiles, ProfileError } from '../learn/store.js';
import { writeArtefacts } from '../learn/artefacts.js';
import type { SubjectProfile, WorkloadProfile } from '../learn/profile.js';
import type { BadRecordHandler } from '../sources/k8saudit/audit-log.js';
import type { AuditEvent } from '../sources/k8saudit/event.js';
import type { SyscallEvent } from '../sources/syscall/syscall-event.js';
import { readerFor } from '../agent/replay-readers.js';

export interface LearnOptions {
  output: string;
  namespace: string[];
  workload?: string;
  duration?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('learn')
    .description('learn how workloads behave (from recordings, or live with --duration) and write allowlist rules, NetworkPolicies, seccomp profiles and RBAC')
    .argument('[file...]', 'recordings: Kestrel captures (kestrel capture) and kube-apiserver audit logs')
    .requiredOption('-o, --output <dir>', 'folder for profiles/ and the artefacts; profiles already there are merged into')
    .option('--duration <time>', 'learn live for this long (e.g. 90s, 30m, 2h) instead of from files')
    .option('--namespace <ns>', 'learn only workloads of this namespace; repeatable', collect, [])
    .option('--workload <selector>', 'learn only this workload (key such as ns/name or image:repo, or a part of it)')
    .action(async (files: string[], opts: LearnOptions) => {
      process.exitCode = await learnCommand(files, opts);
    });
}

async function learnCommand(files: string[], opts: LearnOptions): Promise<number> {
  if ((files.length === 0) === (opts.duration === undefined)) {
    process.stderr.write('kestrel learn: give either recordings to learn from or --duration to learn live, not both\n');
    return 2;
  }
  let existing: { workloads: WorkloadProfile[]; subjects: SubjectProfile[] };
  try {
    existing = readProfiles(opts.output);
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    process.stderr.write(`kestrel learn: ${err.message}\n`);
    return 1;
  }
  const selector: LearnSelector = { namespaces: opts.namespace, ...(opts.workload ? { workload: opts.workload } : {}) };
  const learner = new Learner(existing, selector);
  let status: number;
  let inputs: string[];
  if (opts.duration !== undefined) {
    const { learnLive } = await import('./learn-live.js');
    ({ status, inputs } = await learnLive(learner, opts.duration));
  } else {
    status = await learnFiles(learner, files);
    inputs = files;
  }
  const result = learner.finish(inputs);
  const written = writeArtefacts(opts.output, result);
  printSummary(learner, result, written.length, opts.output);
  return status;
}

/** Learns from recordings; returns non-zero when a file could not be read (the others still are). */
export async function learnFiles(learner: Learner, files: string[]): Promise<number> {
  let status = 0;
  let bad = 0;
  const onBad: BadRecordHandler = (b) => {
    bad++;
    process.stderr.write(`${b.file}:${b.line}${b.column ? `:${b.column}` : ''}: skipped: ${b.message}\n`);
  };
  for (const file of files) {
    let reader: Awaited<ReturnType<typeof readerFor>>;
    try {
      reader = await readerFor(file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      process.stderr.write(`kestrel learn: ${e.code ? `cannot read ${file}: ` : ''}${e.message}\n`);
      status = 1;
      continue;
    }
    const before = learner.summary.events;
    try {
      if (reader.source === 'syscall') for await (const e of reader.read(file, onBad)) learner.syscall(e as SyscallEvent);
      else for await (const e of reader.read(file, onBad)) learner.audit(e as AuditEvent);
    } catch (err) {
      process.stderr.write(`kestrel learn: cannot read ${file}: ${(err as Error).message}\n`);
      status = 1;
    }
    process.stderr.write(`kestrel learn: ${file}: ${learner.summary.events - before} event(s)\n`);
  }
  if (bad > 0) process.stderr.write(`kestrel learn: ${bad} record(s) skipped\n`);
  return status;
}

function printSummary(learner: Learner, r: { workloads: WorkloadProfile[]; subjects: SubjectProfile[] }, files: number, out: string): void {
  const s = learner.summary;
  const lines = [`kestrel learn: ${s.events} event(s), ${s.unattributed} not attributed to a selected workload or subject, ${s.lockedSkipped} for locked profiles`];
  for (const w of r.workloads) {
    const lock = w.locked ? ' (locked, unchanged)' : '';
    lines.push(
      `  ${w.identity.key}${lock}: ${w.counts.events ?? 0} event(s); ${Object.keys(w.executables).length} executable(s), ${w.writePrefixes.length} write prefix(es), ` +
        `${w.outbound.length} outbound, ${w.inbound.length} inbound, ${w.listening.length} listening port(s), ${w.syscalls.length} syscall(s)`,
    );
  }
  for (const sub of r.subjects) {
    const lock = sub.locked ? ' (locked, unchanged)' : '';
    lines.push(`  ${sub.key}${lock}: ${sub.counts.requests ?? 0} request(s); ${sub.access.length} resource access(es), ${sub.nonResourceUrls.length} non-resource URL(s)`);
  }
  lines.push(`kestrel learn: wrote ${files} file(s) under ${out}`);
  process.stderr.write(lines.join('\n') + '\n');
}
