// The outputs the configuration enables, each with its own queue (the HTTP output's a spool
// when one is configured). Throws OutputSetupError naming the setting when one cannot start
// (an unreadable certificate, a spool directory it cannot create).
import type { Logger } from 'pino';
import type { Writable } from 'node:stream';
import type { AlertOutput, QueuedOutputOptions } from './alert-output.js';
import type { OutputsConfig } from './config.js';
import { parseHeaders } from './config.js';
import { FileOutput } from './file.js';
import { sharedFormatter, type FormatOptions } from './format.js';
import { HttpOutput } from './http.js';
import { ProgramOutput } from './program.js';
import { Spool } from './spool.js';
import { StreamOutput } from './stdout.js';
import { SyslogOutput } from './syslog.js';
import { OutputSetupError } from './tls-files.js';

export interface CreateOutputsOptions {
  json: boolean;
  log: Logger;
  /** Where the stdout output writes (tests pass their own stream). */
  stdout?: Writable;
}

export function formatOptions(c: OutputsConfig, json: boolean): FormatOptions {
  return {
    json,
    jsonProps: {
      output: c.json_include_output_property,
      tags: c.json_include_tags_property,
      message: c.json_include_message_property,
      outputFields: c.json_include_output_fields_property,
    },
    timeIso8601: c.time_format_iso_8601,
  };
}

export function createOutputs(c: OutputsConfig, o: CreateOutputsOptions): AlertOutput[] {
  const format = formatOptions(c, o.json);
  const common: QueuedOutputOptions = { format, formatter: sharedFormatter(format), maxQueued: c.outputs_queue_capacity, log: o.log };
  // Falco's buffered_outputs applies to the stream-like outputs (stdout, file, program).
  const streamLike = { ...common, buffered: c.buffered_outputs };
  const outputs: AlertOutput[] = [];
  if (c.stdout_output.enabled) outputs.push(new StreamOutput(streamLike, o.stdout ?? process.stdout));
  if (c.syslog_output.enabled) {
    // Falco's syslog output is on by default: a missing helper must not keep the agent from starting.
    try {
      outputs.push(new SyslogOutput(common, c.syslog_output));
    } catch (err) {
      o.log.error({ output: 'syslog' }, `${(err as Error).message}; alerts are not sent to syslog`);
    }
  }
  if (c.file_output.enabled) outputs.push(new FileOutput(streamLike, c.file_output.filename, c.file_output.keep_alive));
  if (c.http_output.enabled) outputs.push(httpOutput(c, common, o.log));
  if (c.program_output.enabled) outputs.push(new ProgramOutput(streamLike, c.program_output));
  return outputs;
}

function httpOutput(c: OutputsConfig, common: QueuedOutputOptions, log: Logger): HttpOutput {
  const h = c.http_output;
  const errors: string[] = [];
  const custom_headers = parseHeaders(h.custom_headers, errors);
  if (errors.length > 0) throw new OutputSetupError(errors.join('\n'));
  const opts: QueuedOutputOptions = {
    ...common,
    backoff: { initialMs: h.backoff_initial_ms, maxMs: h.backoff_max_ms },
    maxAttempts: h.max_attempts,
  };
  if (h.spool.directory) opts.queue = openSpool(h.spool.directory, h.spool.max_bytes, log);
  return new HttpOutput(opts, { ...h, custom_headers });
}

function openSpool(dir: string, maxBytes: number, log: Logger): Spool {
  let spool: Spool;
  try {
    spool = Spool.open(dir, maxBytes, (err) => log.error({ output: 'http', spool: dir }, `spool write failed: ${err.message}`));
  } catch (err) {
    throw new OutputSetupError(`http_output.spool.directory: cannot open ${dir}: ${(err as Error).message}`);
  }
  for (const p of spool.report.problems) log.warn({ output: 'http', spool: dir }, p);
  if (spool.report.replayed > 0) log.info({ output: 'http', spool: dir, alerts: spool.report.replayed }, `spool holds ${spool.report.replayed} undelivered alerts from before; delivering them first`);
  return spool;
}
