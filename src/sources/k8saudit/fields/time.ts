// Timestamp renderings as libsinsp prints them (evt.time is local time, *.iso8601 is UTC).

const p2 = (n: number) => (n < 10 ? '0' : '') + n;

function parts(ns: bigint, utc: boolean) {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  return utc
    ? { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), frac }
    : { y: d.getFullYear(), mo: d.getMonth() + 1, d: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds(), frac };
}

/** `HH:MM:SS` (local). */
export function timeS(ns: bigint): string {
  const t = parts(ns, false);
  return `${p2(t.h)}:${p2(t.mi)}:${p2(t.s)}`;
}

/** `HH:MM:SS.nnnnnnnnn` (local). */
export function timeNs(ns: bigint): string {
  return `${timeS(ns)}.${parts(ns, false).frac}`;
}

/** `YYYY-MM-DD HH:MM:SS` (local). */
export function datetimeS(ns: bigint): string {
  const t = parts(ns, false);
  return `${t.y}-${p2(t.mo)}-${p2(t.d)} ${p2(t.h)}:${p2(t.mi)}:${p2(t.s)}`;
}

/** `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (local). */
export function datetimeNs(ns: bigint): string {
  return `${datetimeS(ns)}.${parts(ns, false).frac}`;
}

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (UTC), RFC 3339 with nanoseconds. */
export function iso8601Ns(ns: bigint): string {
  const t = parts(ns, true);
  return `${t.y}-${p2(t.mo)}-${p2(t.d)}T${p2(t.h)}:${p2(t.mi)}:${p2(t.s)}.${t.frac}Z`;
}
