// Rules file versioning: the Falco engine version Kestrel implements, and the plugins whose
// fields Kestrel provides built in (so `required_plugin_versions` naming them is satisfied).

/**
 * The Falco engine version whose rules language and fields Kestrel implements: the version the
 * upstream falcosecurity/rules files declare in `required_engine_version`.
 */
export const ENGINE_VERSION = '0.57.0';

/** Plugins Kestrel provides built in, with the plugin version whose fields it implements. */
export const BUILTIN_PLUGINS: ReadonlyMap<string, string> = new Map([
  // container.* fields in the syscall source
  ['container', '0.4.0'],
  // the k8s_audit source (ka.* fields) and the json extractor (jevt.* fields)
  ['k8saudit', '0.18.0'],
  ['json', '0.7.0'],
]);

export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

/** libsinsp's sinsp_version: `x.y.z` (anything after the patch number is ignored, as sscanf does). */
export function parseSemver(text: string): Semver | undefined {
  const m = /^\s*(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function formatSemver(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** sinsp_version::compatible_with: same major version, and not older than requested. */
export function compatibleWith(have: Semver, requested: Semver): boolean {
  return have.major === requested.major && compareSemver(have, requested) >= 0;
}

/**
 * Falco's reading of `required_engine_version`: an unsigned integer N means `0.N.0` (the
 * pre-semver engine versions); anything else must be a semver string.
 */
export function parseEngineVersion(text: string): Semver | undefined {
  if (/^\s*\d+\s*$/.test(text)) {
    const n = Number(text);
    if (n <= 0xffffffff) return { major: 0, minor: n, patch: 0 };
  }
  return parseSemver(text);
}
