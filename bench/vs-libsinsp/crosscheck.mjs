// Before comparing speed, shows both engines did the same work: over each capture and each rules
// file, every rule evaluated by both (mode `all`: each rule of the event's type, no early stop)
// must match the same number of events in libsinsp and in Kestrel.
import { basename } from 'node:path';
import { runEngine } from './engines.mjs';

/**
 * Runs both engines on every capture with every ruleset; returns one row per (capture, ruleset):
 * the rules compared, matches per engine, and the rules whose counts differ.
 */
export function crossCheck(sinspBench, captures, rulesets, log, kestrel) {
  const rows = [];
  for (const capture of captures) {
    for (const [name, rules] of Object.entries(rulesets)) {
      const job = { sinspBench, capture, mode: 'all', rules, kestrel };
      let l, k;
      try {
        l = runEngine('libsinsp', job);
      } catch (err) {
        log(`  ${basename(capture)}: libsinsp cannot read it, not compared (${firstLine(err.message)})`);
        break;
      }
      k = runEngine('kestrel', job);
      const names = Object.keys(l.matches);
      const differ = names.filter((n) => l.matches[n] !== k.matches[n]).map((n) => ({ rule: n, libsinsp: l.matches[n], kestrel: k.matches[n] ?? null }));
      const total = (m) => names.reduce((s, n) => s + (m[n] ?? 0), 0);
      const row = { capture: basename(capture), rules: name, compared: names.length, matchesLibsinsp: total(l.matches), matchesKestrel: total(k.matches), differ };
      rows.push(row);
      const agree = names.length - differ.length;
      log(`  ${row.capture.padEnd(28)} ${name.padEnd(6)} ${String(agree).padStart(3)}/${names.length} rules agree, matches libsinsp ${row.matchesLibsinsp}, Kestrel ${row.matchesKestrel}`);
      for (const d of differ) log(`      differs: ${JSON.stringify(d.rule)}: libsinsp ${d.libsinsp}, Kestrel ${d.kestrel}`);
    }
  }
  return rows;
}

function firstLine(s) {
  return s.split('\n').find((x) => x.trim()) ?? s;
}
