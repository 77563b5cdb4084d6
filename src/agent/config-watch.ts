// watch_config_files (Falco's, app/restart_handler.cpp): the config file, its includes and the
// rules files are watched; a change, once the writes settle (debounced), triggers a reload. The
// directories holding them are watched rather than the files, so that editors replacing a file
// and Kubernetes swapping a ConfigMap's `..data` symlink are seen; a reload is asked for only
// when the content of a watched file actually changed (other files in those directories, such
// as an alerts file, never trigger one).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { LoadedConfig } from './config.js';

const RULES_FILE = /\.ya?ml$/i;

/** The files behind a config and its rules paths: config files, included directories' files, rules files. */
function watchedFiles(loaded: LoadedConfig, rulesPaths: readonly string[]): { files: string[]; dirs: string[] } {
  const files = loaded.files.map((f) => f.path);
  const dirs = new Set<string>([...files.map((f) => dirname(f)), ...loaded.directories]);
  for (const d of loaded.directories) for (const f of listDir(d)) files.push(f);
  for (const p of rulesPaths) {
    if (isDir(p)) {
      dirs.add(p);
      for (const f of listDir(p)) if (RULES_FILE.test(f)) files.push(f);
    } else {
      dirs.add(dirname(p));
      files.push(p);
    }
  }
  return { files, dirs: [...dirs] };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function listDir(d: string): string[] {
  try {
    return readdirSync(d)
      .map((n) => join(d, n))
      .filter((f) => !isDir(f))
      .sort();
  } catch {
    return [];
  }
}

function digests(files: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    try {
      out.set(f, createHash('sha256').update(readFileSync(f)).digest('hex'));
    } catch {
      out.set(f, 'missing');
    }
  }
  return out;
}

export class ConfigWatcher {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private files: string[] = [];
  private baseline = new Map<string, string>();
  private closed = false;

  constructor(
    loaded: LoadedConfig,
    private rulesPaths: readonly string[],
    private readonly onChange: (what: string) => void,
    private readonly log: Logger,
    private readonly debounceMs = 300,
  ) {
    this.update(loaded, rulesPaths);
  }

  /** Watches what `loaded` (a config just applied or refused) and its rules name now. */
  update(loaded: LoadedConfig, rulesPaths: readonly string[]): void {
    if (this.closed) return;
    this.rulesPaths = rulesPaths;
    for (const w of this.watchers) w.close();
    const { files, dirs } = watchedFiles(loaded, rulesPaths);
    this.files = files;
    this.baseline = digests(files);
    this.watchers = [];
    for (const d of dirs) {
      try {
        const w = watch(d, { persistent: false }, () => this.poke());
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch (err) {
        this.log.warn(`watch_config_files: cannot watch ${d}: ${(err as Error).message}`);
      }
    }
  }

  private poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), this.debounceMs);
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    if (this.closed) return;
    // A new file in a watched rules or config.d directory counts as a change too.
    const now = digests([...new Set([...this.files, ...this.currentDirFiles()])]);
    const changed = [...now].filter(([f, d]) => this.baseline.get(f) !== d).map(([f]) => f);
    const removed = [...this.baseline.keys()].filter((f) => !now.has(f));
    this.baseline = now;
    const all = [...changed, ...removed];
    if (all.length > 0) this.onChange(all.join(', '));
  }

  private currentDirFiles(): string[] {
    const out: string[] = [];
    for (const p of this.rulesPaths) if (isDir(p)) for (const f of listDir(p)) if (RULES_FILE.test(f)) out.push(f);
    return out;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }
}
