// Events libs added after the snapshot the generated table comes from (codes 336 and up), which
// Falco 0.35+ captures hold: the rows Kestrel has record types for, transcribed from libs'
// driver/event_table.c and the ppm_event_code enum of driver/ppm_events_public.h
// (falcosecurity/libs commit 2450f8ee19b23a63841c5996c4a8023075f616b6). Codes of that range not
// listed here stay unknown: the reader counts and skips them. Same row layout as
// ppm-event-table.generated.ts: [symbol, name, category, flags, params].
import type { PpmEventRow, PpmParamRow } from './ppm-event-table.generated.js';

// categories: EC_* | EC_SYSCALL (512); flags: EF_CREATES_FD 1, EF_USES_FD 4, EF_READS_FROM_FD 8,
// EF_MODIFIES_STATE 32, EF_UNUSED 64, EF_LARGE_PAYLOAD 2048; params: PT_* types, PF_* formats
export const LATER_PPM_EVENT_ROWS: ReadonlyMap<number, PpmEventRow> = new Map<number, PpmEventRow>([
  [352, ['SYSCALL_CAPSET_E', 'capset', 518, 32, []]],
  [353, ['SYSCALL_CAPSET_X', 'capset', 518, 32, [['res', 11, 1], ['cap_inheritable', 8, 2], ['cap_permitted', 8, 2], ['cap_effective', 8, 2]]]],
  [362, ['SYSCALL_DUP2_E', 'dup2', 546, 37, [['fd', 14, 1]]]],
  [363, ['SYSCALL_DUP2_X', 'dup2', 546, 37, [['res', 14, 1], ['oldfd', 14, 1], ['newfd', 14, 1]]]],
  [364, ['SYSCALL_DUP3_E', 'dup3', 546, 37, [['fd', 14, 1]]]],
  [365, ['SYSCALL_DUP3_X', 'dup3', 546, 37, [['res', 14, 1], ['oldfd', 14, 1], ['newfd', 14, 1], ['flags', 30, 2]]]],
  [366, ['SYSCALL_DUP_1_E', 'dup', 546, 37, [['fd', 14, 1]]]],
  [367, ['SYSCALL_DUP_1_X', 'dup', 546, 37, [['res', 14, 1], ['oldfd', 14, 1]]]],
  [368, ['SYSCALL_BPF_2_E', 'bpf', 513, 1, [['cmd', 4, 1]]]],
  [369, ['SYSCALL_BPF_2_X', 'bpf', 513, 1, [['fd', 14, 1], ['cmd', 3, 1]]]],
  [386, ['SYSCALL_UMOUNT_1_E', 'umount', 514, 32, []]],
  [387, ['SYSCALL_UMOUNT_1_X', 'umount', 514, 32, [['res', 11, 1], ['name', 17, 0]]]],
  [388, ['SOCKET_ACCEPT4_6_E', 'accept4', 515, 33, [['flags', 3, 2]]]],
  [389, ['SOCKET_ACCEPT4_6_X', 'accept4', 515, 33, [['fd', 14, 1], ['tuple', 13, 0], ['queuepct', 5, 1], ['queuelen', 7, 1], ['queuemax', 7, 1]]]],
  [390, ['SYSCALL_UMOUNT2_E', 'umount2', 514, 32, [['flags', 30, 2]]]],
  [391, ['SYSCALL_UMOUNT2_X', 'umount2', 514, 32, [['res', 11, 1], ['name', 17, 0]]]],
  [392, ['SYSCALL_PIPE2_E', 'pipe2', 516, 33, []]],
  [393, ['SYSCALL_PIPE2_X', 'pipe2', 516, 33, [['res', 11, 1], ['fd1', 14, 1], ['fd2', 14, 1], ['ino', 8, 1], ['flags', 30, 2]]]],
  [400, ['SYSCALL_PRCTL_E', 'prctl', 518, 32, []]],
  [401, ['SYSCALL_PRCTL_X', 'prctl', 518, 32, [['res', 11, 1], ['option', 46, 1], ['arg2_str', 9, 0], ['arg2_int', 4, 1]]]],
  [402, ['ASYNCEVENT_E', 'asyncevent', 4097, 2048, [['plugin_id', 7, 1], ['name', 9, 0], ['data', 10, 0]]]],
  [403, ['ASYNCEVENT_X', 'NA', 0, 64, []]],
  [404, ['SYSCALL_MEMFD_CREATE_E', 'memfd_create', 517, 33, []]],
  [405, ['SYSCALL_MEMFD_CREATE_X', 'memfd_create', 517, 33, [['fd', 14, 1], ['name', 9, 0], ['flags', 30, 2]]]],
  [410, ['SYSCALL_INIT_MODULE_E', 'init_module', 513, 0, []]],
  [411, ['SYSCALL_INIT_MODULE_X', 'init_module', 513, 0, [['res', 11, 1], ['img', 10, 0], ['length', 8, 1], ['uargs', 9, 0]]]],
  [412, ['SYSCALL_FINIT_MODULE_E', 'finit_module', 513, 0, []]],
  [413, ['SYSCALL_FINIT_MODULE_X', 'finit_module', 513, 12, [['res', 11, 1], ['fd', 14, 1], ['uargs', 9, 0], ['flags', 30, 1]]]],
]);

/**
 * Params later libs appended to events the generated table has (same commit). Version-2 event
 * blocks carry their own param count, so a capture of newer drivers holds them after the ones
 * the table lists: the reader takes them by name; the writer writes the table's versions.
 */
export const LATER_APPENDED_PARAMS: ReadonlyMap<number, readonly PpmParamRow[]> = new Map<number, readonly PpmParamRow[]>([
  // PPME_SYSCALL_EXECVE_19_X and PPME_SYSCALL_EXECVEAT_X: 20 -> 28 params
  ...[293, 331].map((code): [number, readonly PpmParamRow[]] => [
    code,
    [['cap_inheritable', 8, 2], ['cap_permitted', 8, 2], ['cap_effective', 8, 2], ['exe_ino', 8, 1], ['exe_ino_ctime', 21, 1], ['exe_ino_mtime', 21, 1], ['uid', 31, 1], ['trusted_exepath', 17, 0]],
  ]),
  [307, [['ino', 8, 1]]], // PPME_SYSCALL_OPENAT_2_X: 6 -> 7
  [335, [['pidns_init_start_ts', 8, 1]]], // PPME_SYSCALL_CLONE3_X: 20 -> 21
]);
