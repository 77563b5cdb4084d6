#!/usr/bin/env node
// Kestrel's side of the comparison with sinsp_bench.cpp: the `kestrel replay` path over one capture
// (the reader's decode + state, then the syscall rules' evaluation), without alert output.
//
//   node bench/vs-libsinsp/kestrel_bench.mjs [--rules RULES.yaml --only NAMES.json] [--mode parse|first|all]
//                                            [--kestrel DIR] [--dump RULE] CAPTURE
//
// CAPTURE: a .scap file (libscap's format, read by Kestrel's scap reader) or a Kestrel capture
// (.kcap); the file's first bytes pick the reader, as in `kestrel replay`. --only: a JSON array of rule names, the rules libsinsp
// also compiled, so both engines evaluate the same ones (every other rule is disabled). Modes as
// in sinsp_bench: parse (no rules), first (rule_matching=first: SourceRuleSet.match, which builds
// no alert), all (every matching rule counted, for the per-rule cross-check). --dump RULE: each
// event RULE matches (mode all) on stderr as sinsp_bench prints it (ts, tid, type). Prints one JSON
// object like sinsp_bench's: events, elapsed_ns (open through the last event; rules are loaded
// before the clock starts), matches per rule.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// --kestrel DIR: another Kestrel checkout's dist/ (to compare builds); default: this one's
const kestrelAt = process.argv.indexOf('--kestrel');
const ROOT = kestrelAt > 0 ? resolve(process.argv[kestrelAt + 1]) + '/' : fileURLToPath(new URL('../../', import.meta.url));
const dist = (p) => import(pathToFileURL(ROOT + 'dist/' + p).href);
// loaded before any clock starts
const { readerFor } = await dist('agent/replay-readers.js');

/**
 * The capture's events through the reader `kestrel replay` picks for it by its first bytes (a
 * .scap file: the scap reader; a Kestrel capture: the capture reader). Bad records are counted.
 */
export async function eventsOf(file, bad) {
  const reader = await readerFor(file);
  if (reader.source !== 'syscall') throw new Error(`${file}: ${reader.describe}, not syscall events`);
  return reader.read(file, () => bad.count++);
}

async function loadSyscallRules(rulesFile, only, mode) {
  const { loadRules } = await dist('rules/load.js');
  const { builtinSources } = await dist('agent/source-list.js');
  const loaded = await loadRules([rulesFile], {
    sources: builtinSources(),
    ruleMatching: mode === 'all' ? 'all' : 'first',
    isEnabled: (spec) => spec.enabled && (!only || only.has(spec.name)),
  });
  if (loaded.errors.length > 0) throw new Error(`rules did not load: ${loaded.errors.map((d) => d.message).join('; ')}`);
  const rules = loaded.ruleset.forSource('syscall');
  if (!rules) throw new Error('no syscall rules');
  if (only) {
    const missing = [...only].filter((n) => !rules.rules.some((r) => r.name === n));
    if (missing.length) throw new Error(`rules libsinsp compiled that Kestrel does not evaluate: ${missing.join(', ')}`);
  }
  return rules;
}

export async function runKestrel({ capture, rulesFile, only, mode, dump }) {
  const rules = mode === 'parse' ? undefined : await loadSyscallRules(rulesFile, only, mode);
  const matches = new Map(rules ? rules.rules.map((r) => [r.name, 0]) : []);
  let events = 0;
  const bad = { count: 0 };
  const start = process.hrtime.bigint();
  const iter = await eventsOf(capture, bad);
  if (!rules) {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    for await (const _ of iter) events++;
  } else if (mode === 'first') {
    for await (const e of iter) {
      events++;
      const r = rules.match(e);
      if (r) matches.set(r.name, matches.get(r.name) + 1);
    }
  } else {
    for await (const e of iter) {
      events++;
      for (const a of rules.evaluate(e)) {
        matches.set(a.rule, matches.get(a.rule) + 1);
        if (a.rule === dump) process.stderr.write(`${e.tsBoot() + e.ctx.bootEpochNs} ${e.tid} ${e.spec.name}\n`);
      }
    }
  }
  const elapsed = process.hrtime.bigint() - start;
  return { engine: 'kestrel', mode, events, elapsed_ns: Number(elapsed), badRecords: bad.count, rules: matches.size, evaluationErrors: rules?.evaluationErrors ?? 0, matches: Object.fromEntries(matches) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  opt('kestrel');
  const rulesFile = opt('rules');
  const dump = opt('dump');
  const onlyFile = opt('only');
  const mode = opt('mode') ?? 'parse';
  const capture = args[0];
  if (!capture || !['parse', 'first', 'all'].includes(mode) || (mode !== 'parse' && !rulesFile)) {
    console.error('usage: kestrel_bench.mjs [--rules RULES.yaml [--only NAMES.json]] [--mode parse|first|all] CAPTURE');
    process.exit(2);
  }
  const only = onlyFile ? new Set(JSON.parse(readFileSync(onlyFile, 'utf8'))) : undefined;
  try {
    process.stdout.write(JSON.stringify(await runKestrel({ capture, rulesFile, only, mode, dump })) + '\n');
  } catch (err) {
    console.error(`kestrel_bench: ${err.message}`);
    process.exit(1);
  }
}
