// Checks on the values of a capture's INFO chunk that replay turns into state. A capture is a
// file anyone can hand over: a value no recorder writes (a boot time of 400 digits) would
// otherwise put every event's time out of range and fail every alert, so it is refused at its
// byte offset instead.

/** The largest CLOCK_BOOTTIME -> epoch offset accepted: int64, as libscap keeps boot time. */
export const MAX_BOOT_EPOCH_NS = 2n ** 63n - 1n;

/** Why `value` is not a boot epoch a recorder writes (decimal ns, 0 to 2^63-1), or undefined. */
export function bootEpochProblem(value: unknown): string | undefined {
  const shown = typeof value === 'string' && value.length > 40 ? `${JSON.stringify(value.slice(0, 20))}... (${value.length} characters)` : JSON.stringify(value);
  if (typeof value !== 'string' || !/^[0-9]{1,19}$/.test(value) || BigInt(value) > MAX_BOOT_EPOCH_NS) {
    return `bootEpochNs ${shown} is not a decimal count of nanoseconds from 0 to ${MAX_BOOT_EPOCH_NS}`;
  }
  return undefined;
}

/** Offset of `"name"` in a JSON chunk payload (0 when absent): where a bad value is reported. */
export function memberOffset(payload: Buffer, name: string): number {
  return Math.max(0, payload.indexOf(JSON.stringify(name)));
}
