// The effective config as `kestrel config` / `--support` print it: no secret survives.
import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from '../../src/agent/redact.js';

describe('redact', () => {
  it('hides secret custom_headers values in both the list form and the mapping form', () => {
    const shown = redact({
      http_output: {
        custom_headers: ['Authorization: Bearer s3cret', 'X-Api-Key: k3y', 'X-Team: blue'],
      },
      other: { custom_headers: { Authorization: 'Bearer s3cret', 'X-Team': 'blue' } },
    }) as { http_output: { custom_headers: string[] }; other: { custom_headers: Record<string, string> } };
    expect(shown.http_output.custom_headers).toEqual([`Authorization: ${REDACTED}`, `X-Api-Key: ${REDACTED}`, 'X-Team: blue']);
    expect(shown.other.custom_headers).toEqual({ Authorization: REDACTED, 'X-Team': 'blue' });
    expect(JSON.stringify(shown)).not.toMatch(/s3cret|k3y/);
  });

  it('hides URL passwords and query values but keeps paths to key files', () => {
    const shown = redact({ url: 'https://u:pw@h/x?token=abc', client_key: '/etc/k.pem', bearer_token_file: '/t' }) as Record<string, string>;
    expect(shown.url).toBe(`https://u:${REDACTED}@h/x?token=${REDACTED}`);
    expect(shown.bearer_token_file).toBe('/t');
  });

  it("hides the secrets in program_output's command line: secret flags, secret headers, -u user:pass", () => {
    const program =
      'curl -sS -H "Authorization: Bearer s3cret" -H "X-Team: blue" --api-key=k3y --password \'p4ss\' -u alice:pw0 ' +
      'https://hooks.example/x?token=t0k | mytool --auth-token t1k --verbose';
    const shown = (redact({ program_output: { enabled: true, program } }) as { program_output: { program: string } }).program_output.program;
    expect(shown).toBe(
      `curl -sS -H "Authorization: ${REDACTED}" -H "X-Team: blue" --api-key=${REDACTED} --password ${REDACTED} -u alice:${REDACTED} ` +
        `https://hooks.example/x?token=${REDACTED} | mytool --auth-token ${REDACTED} --verbose`,
    );
    expect(shown).not.toMatch(/s3cret|k3y|p4ss|pw0|t0k|t1k/);
  });

  it('leaves a command line without secrets as it is', () => {
    const program = 'jq -c . >> /var/log/alerts.json';
    expect(redact({ program_output: { program } })).toEqual({ program_output: { program } });
  });
});
