// The thread table remembers its last lookup: whatever changes the table, a lookup never answers
// with a thread that is no longer (or not yet) the one for that tid.
import { describe, expect, it } from 'vitest';
import { ProcessInfo, ThreadInfo } from '../../../src/sources/syscall/state/process.js';
import { ThreadTable } from '../../../src/sources/syscall/state/threads.js';

function thread(table: ThreadTable, tid: number, pid = tid): ThreadInfo {
  let p = table.process(pid);
  if (!p) {
    p = new ProcessInfo(pid);
    table.addProcess(p);
  }
  const t = new ThreadInfo(tid, p);
  table.addThread(t);
  return t;
}

describe('ThreadTable lookups', () => {
  it('follow adds, replacements, removals, evictions and clears', () => {
    const table = new ThreadTable({ maxThreads: 10 });
    expect(table.thread(5)).toBeUndefined();
    const a = thread(table, 5);
    expect(table.thread(5)).toBe(a);
    expect(table.thread(5)).toBe(a);
    const b = thread(table, 5); // same tid, new task
    expect(table.thread(5)).toBe(b);
    table.removeThread(5);
    expect(table.thread(5)).toBeUndefined();
    const c = thread(table, 6, 5);
    expect(table.thread(6)).toBe(c);
    for (let tid = 100; tid < 111; tid++) thread(table, tid).lastSeen = tid; // the table evicts the least recently seen
    expect(table.size).toBeLessThanOrEqual(10);
    for (let tid = 0; tid < 120; tid++) expect(table.thread(tid)).toBe(table.threads.get(tid));
    table.clear();
    expect(table.thread(110)).toBeUndefined();
  });
});
