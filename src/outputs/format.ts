// How an output turns an alert into its line: Falco's json_output, json_include_*_property and
// time_format_iso_8601 (falco_formats::format_event in userspace/engine/formats.cpp).
import { alertMessage, alertToJson, alertToText, type Alert, type JsonProps } from '../engine/alert.js';

export interface FormatOptions {
  json: boolean;
  jsonProps: JsonProps;
  /** The output's time prefix as libsinsp's evt.time.iso8601 instead of evt.time. */
  timeIso8601: boolean;
}

export type AlertFormatter = (alert: Alert) => string;

/** libsinsp's ts_to_iso_8601: UTC, nanoseconds, and strftime's %z of gmtime ("+0000"). */
export function iso8601(alert: Alert): string {
  return alert.time.endsWith('Z') ? `${alert.time.slice(0, -1)}+0000` : alert.time;
}

/**
 * The alert as Falco renders it with time_format_iso_8601: the prefix is %evt.time.iso8601, and
 * the prefix's field in output_fields is evt.time.iso8601 (a string) instead of evt.time.
 */
function withIsoTime(alert: Alert): Alert {
  const time = iso8601(alert);
  const fields: Alert['output_fields'] = {};
  const merged: Alert['output_fields'] = { ...alert.output_fields, 'evt.time.iso8601': time };
  delete merged['evt.time'];
  for (const k of Object.keys(merged).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) fields[k] = merged[k]!;
  return { ...alert, output: `${time}: ${alert.priority} ${alertMessage(alert)}`, output_fields: fields };
}

export function alertFormatter(o: FormatOptions): AlertFormatter {
  const render = o.json ? (a: Alert) => alertToJson(a, o.jsonProps) : alertToText;
  return o.timeIso8601 ? (a) => render(withIsoTime(a)) : render;
}

/**
 * A formatter for several outputs with the same settings: the pipeline hands one alert to each
 * output in turn, so the last alert's line is kept and formatted once.
 */
export function sharedFormatter(o: FormatOptions): AlertFormatter {
  const render = alertFormatter(o);
  let last: Alert | undefined;
  let line = '';
  return (a) => {
    if (a !== last) {
      line = render(a);
      last = a;
    }
    return line;
  };
}
