// The committed PPM event table is what Debian's libscap says (scripts/gen-ppm-event-table.mjs
// --check compiles a program against the library and compares), and its typed view keeps the
// codes libscap's savefiles use.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PPM_EVENT_MAX, PPM_EVENTS, PT, ppmEvent } from '../../../../src/sources/syscall/scap/ppm-events.js';

const LIBSCAP_HEADERS = '/usr/include/falcosecurity-libs/driver/ppm_events_public.h';
const isRoot = process.getuid?.() === 0;

describe('the PPM event table', () => {
  it.skipIf(!isRoot && !existsSync(LIBSCAP_HEADERS))('is exactly what libscap g_event_info holds (regenerated and compared)', () => {
    // as root scripts/system-packages.sh installs libfalcosecurity0-dev: a missing package fails here
    const out = execFileSync('node', ['scripts/gen-ppm-event-table.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toContain('up to date');
  });

  it('knows the 336 codes of libscap 2022 with their directions and Falco names', () => {
    expect(PPM_EVENT_MAX).toBe(336);
    expect(ppmEvent('SYSCALL_OPENAT_2_X')).toMatchObject({ code: 307, name: 'openat', direction: 'exit' });
    expect(ppmEvent('SYSCALL_EXECVE_19_E')).toMatchObject({ code: 292, name: 'execve', direction: 'enter' });
    expect(PPM_EVENTS[3].params.map((p) => p.name)).toEqual(['fd', 'name', 'flags', 'mode', 'dev']);
  });

  it('links an FSRELPATH param to its dirfd param', () => {
    const openat = ppmEvent('SYSCALL_OPENAT_2_X');
    const name = openat.params.find((p) => p.name === 'name');
    expect(name?.type).toBe(PT.FSRELPATH);
    expect(openat.params[name!.dirfdParam!].name).toBe('dirfd');
  });

  it('refuses a symbol it does not know', () => {
    expect(() => ppmEvent('SYSCALL_NOPE_X')).toThrow(/unknown PPME symbol SYSCALL_NOPE_X/);
  });
});
