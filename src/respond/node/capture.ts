// The `capture` action: a bounded syscall capture of what the alert is about (its container, or
// a host process and the processes it starts) for N seconds after the alert, in Kestrel's
// capture format (`kestrel replay FILE`). Falco has no such action (Falco Talon neither); Falco's
// own `capture` section records on rule triggers, which is the machinery this asks: the syscall
// source records it, so there is one collector and one set of capture bounds (max_active,
// max_file_size_mb) and metrics. respond/ cannot import sources/: the agent hands the responder
// a function that reaches the syscall source.
import type { ActionSpec } from '../config.js';
import { failed, ok, type Outcome } from '../outcome.js';

/** What the responder asks the source for (sources/source-module.ts CaptureRequest has this shape). */
export interface CaptureAsk {
  durationMs: number;
  pathPrefix: string;
  maxSizeMb: number;
  reason: string;
}

export type CaptureAnswer = { path: string; extended: boolean; scope: string } | { error: string };

/**
 * Starts or extends a capture for `event`, the event behind the alert being handed out now (the
 * source records that event right after its alerts: the capture holds the alert's own event).
 */
export type CaptureFn = (event: unknown, ask: CaptureAsk) => CaptureAnswer;

export function startCapture(capture: CaptureFn | undefined, event: unknown, spec: ActionSpec, responseRule: string): Outcome {
  if (!capture) return failed('capture: no syscall source to record with (it is disabled or not running)');
  const answer = capture(event, { durationMs: spec.duration_seconds * 1000, pathPrefix: spec.path_prefix, maxSizeMb: spec.max_size_mb, reason: `response rule "${responseRule}"` });
  if ('error' in answer) return failed(`capture: ${answer.error}`);
  const what = answer.extended ? `capture already recording ${answer.path}: extended by ${spec.duration_seconds}s` : `capture started: ${answer.path} (${spec.duration_seconds}s, at most ${spec.max_size_mb} MiB)`;
  return { ...ok(what), file: answer.path };
}
