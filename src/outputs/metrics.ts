// What the alert outputs delivered and what they could not.
import { counter } from '../telemetry/metrics.js';

export const outputWritten = counter('kestrel_output_written_total', 'Alerts written by an output.', ['output']);
export const outputDropped = counter('kestrel_output_dropped_total', 'Alerts an output could not deliver (queue full or delivery failed).', [
  'output',
  'reason',
]);
