import type { AnyEvent, FieldDef, ResolvedField } from './types.js';

/** The fields of one event source, looked up by name (with `[arg]` or dotted arguments). */
export class FieldRegistry<E = AnyEvent> {
  private readonly byName = new Map<string, FieldDef<E>>();
  private readonly dotted: FieldDef<E>[] = [];

  constructor(readonly source: string) {}

  add(...defs: FieldDef<E>[]): this {
    for (const def of defs) {
      if (this.byName.has(def.name)) throw new Error(`field ${def.name} registered twice for source ${this.source}`);
      this.byName.set(def.name, def);
      if (def.arg?.dotted) this.dotted.push(def);
    }
    // Longest prefix first, so `k8s.pod.label.x` prefers `k8s.pod.label` over `k8s.pod`.
    this.dotted.sort((a, b) => b.name.length - a.name.length);
    return this;
  }

  get(name: string): FieldDef<E> | undefined {
    return this.byName.get(name);
  }

  /**
   * Resolves `name` (and an explicit `[arg]`) to a definition. A dotted form such as
   * `evt.arg.flags` resolves to `evt.arg` with argument `flags`.
   */
  resolve(name: string, arg?: string): ResolvedField<E> | undefined {
    const def = this.byName.get(name);
    if (def) return arg === undefined ? { def } : { def, arg };
    if (arg !== undefined) return undefined;
    for (const d of this.dotted) {
      if (name.length > d.name.length + 1 && name.startsWith(d.name) && name[d.name.length] === '.') {
        return { def: d, arg: name.slice(d.name.length + 1) };
      }
    }
    return undefined;
  }

  all(): FieldDef<E>[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
