#!/usr/bin/env node
// Kestrel's side of the comparison with sinsp_bench.cpp: the `kestrel replay` path over one capture
// (the reader's decode + state, then the syscall rules' evaluation), without alert output.
//
//   node bench/vs-libsinsp/kestrel_bench.mjs [--rules RULES.yaml --only NAMES.json] [--mode parse|first|all] CAPTURE
//
// CAPTURE: a .scap file (libscap's format, read by Kestrel's scap reader) or a Kestrel capture
// (.kcap); the file's first bytes decide. --only: a JSON array of rule names, the rules libsinsp
// also compiled, so both engines evaluate the same ones (every other rule is disabled). Modes as
// in sinsp_bench: parse (no rules), first (rule_matching=first: SourceRuleSet.match, which builds
// no alert), all (every matching rule counted, for the per-rule cross-check). Prints one JSON
// object like sinsp_bench's: events, elapsed_ns (open through the last event; rules are loaded
// before the clock starts), matches per rule.
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dist = (p) => import(pathToFileURL(ROOT + 'dist/' + p).href);

/** libscap's section header block type, the first 4 bytes of a .scap file (little-endian). */
const SCAP_SHB = 0x0a0d0d0a;

async function head(file) {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The capture's events, through the reader `kestrel replay` picks for it. */
export async function eventsOf(file) {
  const h = await head(file);
  if (h.length >= 4 && h.readUInt32LE(0) === SCAP_SHB) {
    const { readScap } = await dist('sources/syscall/scap/reader.js').catch(() => {
      throw new Error(`${file} is a .scap file and this build has no scap reader (dist/sources/syscall/scap/reader.js)`);
    });
    return readScap(file).events();
  }
  if (h.length >= 2 && h[0] === 0x1f && h[1] === 0x8b) throw new Error(`${file} is gzip-compressed: decompress it first (run.mjs does)`);
  const { looksLikeCapture } = await dist('sources/syscall/capture/format.js');
  if (!looksLikeCapture(h)) throw new Error(`${file}: neither a .scap file nor a Kestrel capture`);
  const { readCapture } = await dist('sources/syscall/capture/reader.js');
  return readCapture(file).events();
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

export async function runKestrel({ capture, rulesFile, only, mode }) {
  const rules = mode === 'parse' ? undefined : await loadSyscallRules(rulesFile, only, mode);
  const matches = new Map(rules ? rules.rules.map((r) => [r.name, 0]) : []);
  let events = 0;
  const start = process.hrtime.bigint();
  const iter = await eventsOf(capture);
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
      for (const a of rules.evaluate(e)) matches.set(a.rule, matches.get(a.rule) + 1);
    }
  }
  const elapsed = process.hrtime.bigint() - start;
  return { engine: 'kestrel', mode, events, elapsed_ns: Number(elapsed), rules: matches.size, evaluationErrors: rules?.evaluationErrors ?? 0, matches: Object.fromEntries(matches) };
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
  const rulesFile = opt('rules');
  const onlyFile = opt('only');
  const mode = opt('mode') ?? 'parse';
  const capture = args[0];
  if (!capture || !['parse', 'first', 'all'].includes(mode) || (mode !== 'parse' && !rulesFile)) {
    console.error('usage: kestrel_bench.mjs [--rules RULES.yaml [--only NAMES.json]] [--mode parse|first|all] CAPTURE');
    process.exit(2);
  }
  const only = onlyFile ? new Set(JSON.parse(readFileSync(onlyFile, 'utf8'))) : undefined;
  try {
    process.stdout.write(JSON.stringify(await runKestrel({ capture, rulesFile, only, mode })) + '\n');
  } catch (err) {
    console.error(`kestrel_bench: ${err.message}`);
    process.exit(1);
  }
}
