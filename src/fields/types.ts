// Field definitions: what a rule may ask of an event. A source registers its fields with
// their extractors; registering a field is all the rules compiler needs to accept it.

/**
 * The event of a source the code at hand does not know: what registries, rule sets and source
 * descriptions of every kind default to. `any`, not `unknown`, because extractors take the event as
 * a parameter: a FieldRegistry<AuditEvent> is no FieldRegistry<unknown>.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine's one deliberate any (see above)
export type AnyEvent = any;

/** Falco's field types (as `falco --list` prints them). */
export type FieldType =
  | 'CHARBUF'
  | 'BYTEBUF'
  | 'INT64'
  | 'UINT64'
  | 'INT32'
  | 'UINT32'
  | 'UINT16'
  | 'BOOL'
  | 'IPADDR'
  | 'IPNET'
  | 'PORT'
  | 'ABSTIME'
  | 'RELTIME'
  | 'FSPATH'
  | 'FSRELPATH'
  | 'DOUBLE';

/**
 * A field's value at run time. Integers are numbers, except ABSTIME which is a bigint
 * (nanoseconds since the epoch do not fit in a double). IPADDR/IPNET are their text forms.
 * List fields (FieldDef.list) yield arrays of the scalar type. `undefined` means "no value".
 */
export type Scalar = string | number | bigint | boolean | Uint8Array;
export type FieldValue = Scalar | readonly Scalar[];

/** Per-event extractor, bound once at compile time to the field's argument. */
export type Extractor<E> = (event: E) => FieldValue | undefined;

export interface FieldArg {
  /** Whether `field[arg]` (or `field.arg` when `dotted`) must be given. */
  required: boolean;
  /** index: a number (`proc.aname[2]`); key: any text (`ka.uri.param[command]`, `jevt.value[/a/b]`). */
  kind: 'index' | 'key';
  /** Also accepts the argument after a dot: `evt.arg.flags` == `evt.arg[flags]`. */
  dotted?: boolean;
}

export interface FieldDef<E = AnyEvent> {
  name: string;
  type: FieldType;
  /** The field yields a list of values (e.g. ka.user.groups, proc.args with `in`). */
  list?: boolean;
  desc: string;
  arg?: FieldArg;
  /** Shown in `kestrel fields` and used by output formatting only, never in conditions. */
  outputOnly?: boolean;
  /**
   * Appended to every rule's output by append_output's suggested_output, as `foo_bar=%foo.bar`
   * (libsinsp's EPF_FORMAT_SUGGESTED, which Falco's container plugin sets on container.id,
   * container.name, container.image.repository, container.image.tag, k8s.pod.name, k8s.ns.name).
   * The number is the field's place among them (Falco appends them in the plugin's order).
   */
  suggestedOutput?: number;
  /** Extractor factory; absent until the source implements the field (then it yields no value). */
  bind?: (arg: string | undefined) => Extractor<E>;
}

/** A field reference resolved against a registry: the definition and its argument, if any. */
export interface ResolvedField<E = AnyEvent> {
  def: FieldDef<E>;
  arg?: string;
}
