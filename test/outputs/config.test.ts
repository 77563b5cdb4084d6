// The output settings in the agent's configuration file: Falco's output section as falco.yaml
// writes it is taken, Kestrel's delivery settings beside it, and mistakes are named.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configFrom } from '../../src/agent/config.js';
import { createOutputs } from '../../src/outputs/create.js';

const log = pino({ level: 'silent' });

// The output settings of Falco's falco.yaml (../shared/falco-fixtures/falco.yaml), unchanged.
const FALCO_OUTPUTS = {
  time_format_iso_8601: false,
  json_output: false,
  json_include_output_property: true,
  json_include_message_property: false,
  json_include_output_fields_property: true,
  json_include_tags_property: true,
  buffered_outputs: false,
  stdout_output: { enabled: true },
  syslog_output: { enabled: true },
  file_output: { enabled: false, keep_alive: false, filename: './events.txt' },
  http_output: {
    enabled: false,
    url: '',
    user_agent: 'falcosecurity/falco',
    insecure: false,
    ca_cert: '',
    ca_bundle: '',
    ca_path: '/etc/ssl/certs',
    mtls: false,
    client_cert: '/etc/ssl/certs/client.crt',
    client_key: '/etc/ssl/certs/client.key',
    echo: false,
    compress_uploads: false,
    keep_alive: false,
    max_consecutive_timeouts: 5,
  },
  program_output: { enabled: false, keep_alive: false, program: "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX" },
};

describe('output settings', () => {
  it("takes Falco's output section as falco.yaml writes it", () => {
    const c = configFrom(FALCO_OUTPUTS, '/etc/falco');
    expect(c.syslog_output).toEqual({ enabled: true, socket: '/dev/log', facility: 'user', ident: 'kestrel' });
    expect(c.file_output).toEqual({ enabled: false, keep_alive: false, filename: '/etc/falco/events.txt' });
    expect(c.http_output).toMatchObject({ ca_path: '/etc/ssl/certs', user_agent: 'falcosecurity/falco', max_attempts: 0 });
  });

  it('takes the delivery settings: backoff, spool, custom headers, drain time', () => {
    const c = configFrom(
      {
        outputs_drain_timeout_ms: 3000,
        http_output: {
          enabled: true,
          url: 'https://sidekick:2801/',
          custom_headers: ['Authorization: Bearer abc', 'X-Cluster: prod'],
          backoff_initial_ms: 100,
          backoff_max_ms: 120000,
          spool: { directory: 'spool', max_bytes: 1048576 },
        },
      },
      '/var/lib/kestrel',
    );
    expect(c.outputs_drain_timeout_ms).toBe(3000);
    expect(c.http_output.custom_headers).toEqual(['Authorization: Bearer abc', 'X-Cluster: prod']);
    // falcosidekick's style: a mapping
    expect(configFrom({ http_output: { custom_headers: { Authorization: 'Bearer abc', 'X-Retries': 3 } } }, '/').http_output.custom_headers).toEqual(['Authorization: Bearer abc', 'X-Retries: 3']);
    expect(() => configFrom({ http_output: { custom_headers: { A: ['x'] } } }, '/', 'k.yaml')).toThrow('k.yaml: http_output.custom_headers.A must be a string');
    expect(c.http_output.spool).toEqual({ directory: '/var/lib/kestrel/spool', max_bytes: 1048576 });
  });

  it('names each mistake: bad header, mtls without a key, unknown facility, backoff range', () => {
    const bad = {
      http_output: { enabled: true, url: 'http://x/', custom_headers: ['no colon', 'Content-Length: 3'], mtls: true, client_cert: 'c.crt', client_key: '', backoff_initial_ms: 500, backoff_max_ms: 100 },
      syslog_output: { facility: 'local9' },
    };
    expect(() => configFrom(bad, '/x', 'k.yaml')).toThrow(
      [
        'k.yaml: http_output.mtls needs client_cert and client_key',
        'k.yaml: http_output.backoff_initial_ms must be at least 1 and at most backoff_max_ms',
        'k.yaml: http_output.custom_headers[0] must be "Name: value", not "no colon"',
        'k.yaml: http_output.custom_headers[1]: Content-Length is set by the output itself',
        'k.yaml: syslog_output.facility "local9" is not one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0, local1, local2, local3, local4, local5, local6, local7',
      ].join('\n'),
    );
  });

  it('builds one output per enabled section; a spool directory that cannot be created is an error naming the setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-outcfg-'));
    const c = configFrom({ stdout_output: { enabled: true }, file_output: { enabled: true, filename: 'a.log' }, program_output: { enabled: true, program: 'cat >/dev/null' } }, dir);
    const outputs = createOutputs(c, { json: true, log });
    expect(outputs.map((o) => o.name)).toEqual(['stdout', 'file', 'program']);
    writeFileSync(join(dir, 'a-file'), '');
    const spool = configFrom({ stdout_output: { enabled: false }, http_output: { enabled: true, url: 'http://127.0.0.1:9/', spool: { directory: 'a-file/spool' } } }, dir);
    expect(() => createOutputs(spool, { json: true, log })).toThrow(`http_output.spool.directory: cannot open ${dir}/a-file/spool: ENOTDIR`);
    return Promise.all(outputs.map((o) => o.close()));
  });
});
