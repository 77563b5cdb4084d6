// The agent's orchestration with an in-memory source (a real SourceRunner implementation that
// delivers the events it is given) next to the real k8s_audit webhook.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Agent, RulesLoadError } from '../../src/agent/agent.js';
import { configFrom } from '../../src/agent/config.js';
import type { RulesView, SourceContext, SourceRunner } from '../../src/sources/source-module.js';
import { sourceRunners } from '../../src/agent/source-list.js';
import { AuditEvent, type JsonObject } from '../../src/sources/k8saudit/event.js';
import type { K8sAuditRunner } from '../../src/sources/k8saudit/runner.js';
import type { SourceRuleSet } from '../../src/engine/ruleset.js';
import * as fx from '../sources/k8saudit/fixtures.js';
import { Receiver, metric, waitUntil } from '../outputs/receivers.js';

class MemorySource implements SourceRunner<AuditEvent> {
  ctx?: SourceContext<AuditEvent>;
  swaps: RulesView[] = [];
  constructor(readonly name: string) {}
  async start(ctx: SourceContext<AuditEvent>) {
    this.ctx = ctx;
  }
  async stop() {}
  ready() {
    return this.ctx !== undefined;
  }
  rulesChanged(rules: RulesView) {
    this.swaps.push(rules);
  }
  push(e: object) {
    this.ctx!.emit(new AuditEvent(e as JsonObject));
  }
}

const rule = (name: string, verb: string) =>
  `- rule: ${name}\n  desc: t\n  condition: ka.verb=${verb}\n  output: "${name} %ka.target.name"\n  priority: WARNING\n  source: k8s_audit\n`;

function setup(rulesText: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-agent-'));
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, rulesText);
  let out = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((out += c), cb()) });
  const logs: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  const config = configFrom({ rules_files: [rules], webserver: { enabled: false }, sources: { syscall: { enabled: true } } }, dir);
  return { dir, rules, config, stdout, log, logs, out: () => out };
}

/** The settings setup() uses, to build variants of its config. */
const baseConfig = (s: { rules: string }) => ({ rules_files: [s.rules], webserver: { enabled: false }, stdout_output: { enabled: false } });

describe('agent', () => {
  it('evaluates source events, swaps rules on reload and tells the sources, keeps old rules on a bad reload', async () => {
    const s = setup(rule('Deletes', 'delete'));
    const mem = new MemorySource('k8s_audit');
    const agent = await Agent.start({ config: s.config, log: s.log, stdout: s.stdout, json: true, runners: { k8s_audit: () => mem } });
    // syscall is enabled but has no runner here: reported, the other source runs.
    expect(agent.sourceStatus()).toEqual([
      { name: 'k8s_audit', ready: true },
      { name: 'syscall', ready: false, reason: 'source syscall is not available in this build' },
    ]);
    mem.push(fx.clusterRoleDelete('system:node'));
    mem.push(fx.namespaceCreate('a'));
    writeFileSync(s.rules, rule('Creates', 'create'));
    expect(await agent.reload()).toBe(true);
    expect(mem.swaps).toHaveLength(1);
    expect((mem.swaps[0]!.forSource('k8s_audit') as SourceRuleSet).rules.map((r) => r.name)).toEqual(['Creates']);
    mem.push(fx.clusterRoleDelete('system:node'));
    mem.push(fx.namespaceCreate('b'));
    writeFileSync(s.rules, '- rule: x\n  condition: (\n');
    expect(await agent.reload()).toBe(false);
    expect(mem.swaps).toHaveLength(1);
    mem.push(fx.namespaceCreate('c'));
    await agent.stop();
    const alerts = s.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts.map((a) => a.output.replace(/^.*Warning /, ''))).toEqual(['Deletes system:node', 'Creates b', 'Creates c']);
    expect(s.logs.join('')).toContain('rules reload failed; keeping the previous rules');
  });

  it('a reload that rebuilds spooled outputs delivers the alerts raised while the old ones drain, each once, none dropped', async () => {
    const s = setup(rule('Creates', 'create'));
    // the first delivery hangs: the old output's drain ends by its timeout with that alert spooled
    const receiver = await Receiver.start((i) => (i === 0 ? 'hang' : 200));
    const http = (header: string) => ({ enabled: true, url: receiver.url, custom_headers: [`X-Test: ${header}`], spool: { directory: join(s.dir, 'spool') } });
    const config = configFrom({ ...baseConfig(s), outputs_drain_timeout_ms: 1000, http_output: http('one') }, s.dir);
    const mem = new MemorySource('k8s_audit');
    const agent = await Agent.start({ config, log: s.log, stdout: s.stdout, json: true, runners: { k8s_audit: () => mem } });
    const closedBefore = await metric('kestrel_output_dropped_total', { output: 'http', reason: 'closed' });
    try {
      mem.push(fx.namespaceCreate('before-reload'));
      await waitUntil(() => receiver.requests >= 1, 'the first alert to reach the receiver');
      const reloading = agent.reload(configFrom({ ...baseConfig(s), outputs_drain_timeout_ms: 1000, http_output: http('two') }, s.dir));
      await waitUntil(() => s.logs.join('').includes('holding new alerts while the old spooled outputs drain'), 'the reload to start closing the old outputs');
      mem.push(fx.namespaceCreate('during-drain'));
      expect(await reloading).toBe(true);
      const names = () => receiver.acked.map((r) => /Creates (\S+)/.exec(JSON.parse(r.body).output)![1]).sort();
      await waitUntil(() => names().length >= 2, 'both alerts to be acknowledged');
      expect(names()).toEqual(['before-reload', 'during-drain']);
      expect(await metric('kestrel_output_dropped_total', { output: 'http', reason: 'closed' })).toBe(closedBefore);
    } finally {
      await agent.stop();
      await receiver.stop();
    }
  });

  it('concurrent reload requests fold into one more reload', async () => {
    const s = setup(rule('A', 'get'));
    const mem = new MemorySource('k8s_audit');
    const agent = await Agent.start({ config: s.config, log: s.log, stdout: s.stdout, runners: { k8s_audit: () => mem } });
    const results = await Promise.all([agent.reload(), agent.reload(), agent.reload()]);
    expect(results).toEqual([true, true, true]);
    expect(mem.swaps.length).toBe(2);
    await agent.stop();
  });

  it('does not start when the rules do not load', async () => {
    const s = setup('- rule: r\n  desc: d\n  condition: ka.nosuch = 1\n  output: o\n  priority: INFO\n  source: k8s_audit\n');
    await expect(Agent.start({ config: s.config, log: s.log, stdout: s.stdout, runners: {} })).rejects.toBeInstanceOf(RulesLoadError);
  });

  it('loads the rules within the config rules_limits', async () => {
    const s = setup('- rule: r\n  desc: d\n  condition: not (ka.verb = a or ka.verb = b)\n  output: o\n  priority: INFO\n  source: k8s_audit\n');
    s.config.rules_limits.max_condition_depth = 1;
    const err = await Agent.start({ config: s.config, log: s.log, stdout: s.stdout, runners: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RulesLoadError);
    expect(s.logs.join('')).toContain('condition nests deeper than 1 levels once macros are inlined (rules_limits.max_condition_depth)');
  });

  it('runs the real k8s_audit runner from the built-in table', async () => {
    expect(Object.keys(sourceRunners())).toContain('k8s_audit');
    const s = setup(rule('Exec', 'create'));
    s.config.sources.k8s_audit = { ...s.config.sources.k8s_audit, address: '127.0.0.1', port: 0, plain_http: true, allow_unauthenticated: true };
    s.config.sources.syscall.enabled = false;
    const agent = await Agent.start({ config: s.config, log: s.log, stdout: s.stdout, json: true, runners: { k8s_audit: sourceRunners().k8s_audit! } });
    const port = (agent.runner('k8s_audit') as K8sAuditRunner).address()!.port;
    const res = await fetch(`http://127.0.0.1:${port}/k8s-audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fx.execDeckhouse()) });
    expect(res.status).toBe(200);
    await agent.stop();
    expect(JSON.parse(s.out()).output).toMatch(/Exec deckhouse-77f868d554-8zpt4$/);
  });
});
