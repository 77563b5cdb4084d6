// Builds what the comparison runs: sinsp_bench (g++ against Debian's libsinsp, rebuilt when its
// source is newer) and each rules file's conditions for it (export-conditions.mjs), then asks
// sinsp_bench which conditions libsinsp compiles, so the Kestrel side evaluates exactly those.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exportConditions } from './export-conditions.mjs';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INC = '/usr/include/falcosecurity-libs';

/** Headers the libsinsp headers include, by the Debian package that has them. */
const HEADERS = [
  ['libfalcosecurity0-dev', `${INC}/userspace/libsinsp/sinsp.h`],
  ['libtbb-dev', '/usr/include/tbb/concurrent_queue.h'],
  ['libjsoncpp-dev', '/usr/include/jsoncpp/json/json.h'],
  ['libcurl4-openssl-dev', '/usr/include/x86_64-linux-gnu/curl/curl.h'],
];

/** What is missing to build and run the comparison, as one message (undefined: nothing). */
export function missingPrerequisites() {
  const problems = [];
  const packages = HEADERS.filter(([, h]) => !existsSync(h)).map(([p]) => p);
  for (const cmd of ['g++', 'taskset']) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    } catch {
      packages.push(cmd === 'g++' ? 'g++' : 'util-linux');
    }
  }
  if (packages.length) problems.push(`Debian packages (as root: apt-get install --no-install-recommends ${packages.join(' ')})`);
  if (!existsSync(ROOT + 'dist/rules/load.js')) problems.push("Kestrel's dist/ (bash scripts/build.sh)");
  return problems.length ? `bench/vs-libsinsp needs ${problems.join(' and ')}` : undefined;
}

/** Compiles sinsp_bench into `dir` unless the binary is newer than its source; returns its path. */
export function buildSinspBench(dir) {
  const src = HERE + 'sinsp_bench.cpp';
  const bin = `${dir}/sinsp_bench`;
  if (existsSync(bin) && statSync(bin).mtimeMs > statSync(src).mtimeMs) return bin;
  // HAS_CAPTURE as Debian built the library: it changes the layout of class sinsp
  const flags = ['-O2', '-std=c++17', '-DHAS_CAPTURE', '-w'];
  const includes = ['userspace/libsinsp', 'userspace/libscap', 'driver', 'userspace', 'userspace/common'].map((d) => `-I${INC}/${d}`);
  execFileSync('g++', [...flags, ...includes, '-I/usr/include/jsoncpp', src, '-lsinsp', '-lscap', '-o', bin], { stdio: 'inherit' });
  return bin;
}

/**
 * Writes `<dir>/<name>.tsv` (the conditions) and `<name>.only.json` (the rule names libsinsp
 * compiled); returns the counts and what each side left out, with why.
 */
export async function prepareRules(dir, name, rulesFile, sinspBench, probeCapture) {
  const tsv = `${dir}/${name}.tsv`;
  const { lines, skipped } = await exportConditions([rulesFile]);
  writeFileSync(tsv, lines.join('\n') + '\n', 'latin1');
  const out = JSON.parse(execFileSync(sinspBench, ['--rules', tsv, '--mode', 'all', probeCapture], { encoding: 'utf8' }));
  const only = Object.keys(out.matches);
  const onlyFile = `${dir}/${name}.only.json`;
  writeFileSync(onlyFile, JSON.stringify(only));
  return { tsv, onlyFile, rulesFile, compiled: only.length, notExported: skipped, refused: out.refused };
}
