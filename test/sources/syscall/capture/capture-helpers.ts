import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../../../../src/engine/alert.js';
import type { RuleSet } from '../../../../src/engine/ruleset.js';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import { writeScenarioCapture } from '../../../../src/sources/syscall/testing/scenario-capture.js';
import type { SyscallEvent } from '../../../../src/sources/syscall/syscall-event.js';
import { buildScenario } from '../../../../src/sources/syscall/scenario/synthetic.js';

export function tmpFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'kestrel-cap-')), name);
}

/** Writes a scenario as a capture file; returns its path. */
export function scenarioCapture(text: string, batchRecords = 3): string {
  const file = tmpFile('scenario.kcap');
  writeScenarioCapture(file, buildScenario(text), { batchRecords });
  return file;
}

/** Replays a capture against a rule set: the alerts, and the error that ended it (if any). */
export async function replayAlerts(file: string, ruleset: RuleSet): Promise<{ alerts: Alert[]; error?: Error; events: number }> {
  const rs = ruleset.forSource<SyscallEvent>('syscall')!;
  const alerts: Alert[] = [];
  let events = 0;
  try {
    for await (const e of readCapture(file).events()) {
      events++;
      alerts.push(...rs.evaluate(e));
    }
  } catch (err) {
    return { alerts, error: err as Error, events };
  }
  return { alerts, events };
}
