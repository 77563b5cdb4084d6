// What a JSON chunk of a capture must hold, checked before the reader applies it: a chunk that
// parses as JSON but is not the structure its type says (a damaged type field in a version-1
// file, a payload altered with its CRC recomputed) must be reported with its offset, not
// half-applied to the replay state.
import { ChunkType } from './format.js';

type Check = (v: Record<string, unknown>) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDecimal = (v: unknown) => typeof v === 'string' && /^[0-9]+$/.test(v);
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function fields(spec: Record<string, (v: unknown) => boolean>, what: Record<string, string>): Check {
  return (v) => {
    for (const [key, ok] of Object.entries(spec)) if (!ok(v[key])) return `${key} must be ${what[key]}`;
    return undefined;
  };
}

const CHECKS: Partial<Record<ChunkType, Check>> = {
  [ChunkType.INFO]: fields(
    { hostname: (v) => typeof v === 'string', bootEpochNs: isDecimal, recordHeaderSize: isCount, eventTypes: Array.isArray },
    { hostname: 'a string', bootEpochNs: 'a decimal string', recordHeaderSize: 'a count', eventTypes: 'a list' },
  ),
  [ChunkType.STATE]: fields(
    { processes: Array.isArray, containers: Array.isArray, users: Array.isArray, cgroups: Array.isArray },
    { processes: 'a list', containers: 'a list', users: 'a list', cgroups: 'a list' },
  ),
  [ChunkType.CGROUP]: fields({ id: isDecimal, entries: Array.isArray }, { id: 'a decimal string', entries: 'a list' }),
  [ChunkType.CONTAINER]: fields(
    { id: (v) => typeof v === 'string', fullId: (v) => typeof v === 'string', type: (v) => typeof v === 'string' },
    { id: 'a string', fullId: 'a string', type: 'a string' },
  ),
  [ChunkType.USERS]: fields({ key: (v) => typeof v === 'string', tables: isObject }, { key: 'a string', tables: 'an object' }),
  [ChunkType.END]: fields({ records: isCount, batches: isCount }, { records: 'a count', batches: 'a count' }),
};

/** Why `value` is not what a chunk of `type` holds, or undefined. */
export function chunkContentProblem(type: ChunkType, value: unknown): string | undefined {
  if (!isObject(value)) return 'not a JSON object';
  return CHECKS[type]?.(value);
}
