// What the response actions did: one count per action and result (including every refusal and
// skip: dry_run, denied, rate_limited, cooldown, duplicate, kill_switch), and how long each took.
import { counter, histogram } from '../telemetry/metrics.js';

export const responseActions = counter('kestrel_response_actions_total', 'Response actions by action and result (ok, gone, failed, dry_run, denied, rate_limited, cooldown, duplicate, kill_switch).', ['action', 'result']);

export const responseDuration = histogram(
  'kestrel_response_action_duration_seconds',
  'Time from the alert to the action completed, by action (actions that ran or were attempted).',
  ['action'],
  [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
);

export const responseNotifyFailures = counter('kestrel_response_notify_failures_total', 'Response notifications the webhook did not accept (after retries).', ['reason']);
