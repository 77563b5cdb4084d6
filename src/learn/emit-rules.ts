// rules/<workload>.yaml and rules/<subject>.yaml: Falco rules files made from profiles, in the
// style of upstream's allowlist rules (falco_rules.yaml's user_known_* lists, `spawned_process`,
// `open_write`, `outbound` macros), with upstream fields only so Falco loads them unchanged. Each
// allowlist is its own list for a person to edit; every file says what it was learned from.
import { fileStem, type WorkloadIdentity } from './identity.js';
import type { ApiAccess, LearningWindow, SubjectProfile, WorkloadProfile } from './profile.js';
import { subjectStem } from './store.js';
import { RUNTIME_INIT_CONDITION } from './runtime-init.js';

/** A list item: bare when Falco's tokenizer takes it as one word, else double-quoted. */
function item(v: string | number): string {
  const s = String(v);
  return /^[A-Za-z0-9_./:-]+$/.test(s) ? s : JSON.stringify(s);
}

/** A double-quoted string inside a condition. */
const q = (s: string) => JSON.stringify(s);

/** Falco list and macro names: the file stem with anything else made an underscore. */
const ident = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();

function yamlList(name: string, items: (string | number)[], comment: string): string {
  const body = items.length === 0 ? '  items: []\n' : `  items:\n${items.map((i) => `    - ${JSON.stringify(String(i))}\n`).join('')}`;
  return `# ${comment}\n- list: ${name}\n${body}\n`;
}

function block(key: string, text: string): string {
  return `  ${key}: >-\n${text.split('\n').map((l) => `    ${l}`).join('\n')}\n`;
}

function windowComment(w: LearningWindow): string {
  const runs = w.runs.map((r) => `#   ${r.at}: ${r.events} event(s) from ${r.inputs.join(', ') || '(live)'}`).join('\n');
  return `# Learned from ${w.from || '(no events)'} to ${w.to || '(no events)'} in ${w.runs.length} run(s):\n${runs}\n`;
}

/** The condition selecting a workload's events (see identity.ts for how it was derived). */
export function workloadCondition(id: WorkloadIdentity): string {
  switch (id.kind) {
    case 'host':
      return `container.id = host and proc.exepath = ${q(id.name)}`;
    case 'image':
      return `container.image.repository = ${q(id.name)}`;
    case 'Pod':
      return `k8s.ns.name = ${q(id.namespace!)} and k8s.pod.name = ${q(id.name)}`;
    default:
      // Pods of a controller are named "<workload>-<suffix>"; the prefix keeps across rollouts.
      return `k8s.ns.name = ${q(id.namespace!)} and k8s.pod.name startswith ${q(id.name + '-')}`;
  }
}

const CONTEXT = 'container=%container.name image=%container.image.repository pod=%k8s.pod.name ns=%k8s.ns.name';

export function workloadRules(p: WorkloadProfile): string {
  const id = p.identity;
  const n = ident(fileStem(id));
  const wl = `kestrel_learned_${n}`;
  const parts: string[] = [];
  parts.push(
    `# Kestrel learned profile of ${id.key} (${id.kind}): ${id.derivedFrom}.\n` +
      windowComment(p.window) +
      `# Review the lists below: remove what should not have run while learning, add what may run.\n` +
      `# Load with: kestrel run -r rules/ -r profiles/rules/   (Falco: -r this file)\n\n`,
  );
  parts.push(`- macro: ${wl}\n  condition: ${workloadCondition(id)} and not ${RUNTIME_INIT_CONDITION}\n\n`);
  if (id.kind !== 'host') {
    const parents = Object.entries(p.executables).map(([exe, ps]) => `#   ${exe} <- ${ps.join(', ') || '?'}`).join('\n');
    parts.push(`# Executables seen, each with the parents that ran it:\n${parents || '#   (none)'}\n`);
    parts.push(yamlList(`${n}_executables`, Object.keys(p.executables), `executables ${id.key} may run`));
    parts.push(
      `- rule: Unexpected process in ${id.key}\n` +
        `  desc: A process whose executable was not seen while ${id.key} was learned.\n` +
        block('condition', `evt.type in (execve, execveat) and evt.dir = < and evt.rawres >= 0\nand ${wl}\nand not proc.exepath in (${n}_executables)`) +
        `  output: Unexpected process in ${id.key} (exe=%proc.exepath cmdline=%proc.cmdline parent=%proc.pexepath user=%user.name ${CONTEXT})\n` +
        `  priority: WARNING\n  tags: [kestrel_learned, process, mitre_execution]\n\n`,
    );
  }
  // Outbound: one list of peers per (protocol, port), so a peer is allowed on its own ports only.
  const byPort = new Map<string, { proto: string; port: number; peers: string[] }>();
  for (const c of p.outbound) {
    const k = `${c.proto}_${c.port}`;
    let g = byPort.get(k);
    if (!g) byPort.set(k, (g = { proto: c.proto, port: c.port, peers: [] }));
    g.peers.push(c.peer);
  }
  const allowed: string[] = [];
  for (const [k, g] of byPort) {
    const list = `${n}_outbound_${k}_peers`;
    parts.push(yamlList(list, g.peers, `peers ${id.key} may connect to on ${g.proto} port ${g.port}`));
    allowed.push(`(fd.l4proto = ${g.proto} and fd.sport = ${g.port} and fd.sip in (${list}))`);
  }
  parts.push(
    `- rule: Unexpected outbound connection from ${id.key}\n` +
      `  desc: A connection to a peer and port not seen while ${id.key} was learned.\n` +
      block(
        'condition',
        `evt.type = connect and evt.dir = < and (fd.typechar = 4 or fd.typechar = 6)\nand (evt.rawres >= 0 or evt.res = EINPROGRESS)\nand ${wl}` +
          (allowed.length ? `\nand not (${allowed.join('\n  or ')})` : ''),
      ) +
      `  output: Unexpected outbound connection from ${id.key} (connection=%fd.name proto=%fd.l4proto exe=%proc.exepath cmdline=%proc.cmdline ${CONTEXT})\n` +
      `  priority: WARNING\n  tags: [kestrel_learned, network, mitre_command_and_control]\n\n`,
  );
  parts.push(yamlList(`${n}_write_prefixes`, p.writePrefixes, `path prefixes ${id.key} may write under (Falco pmatch)`));
  parts.push(
    `- rule: Unexpected file write in ${id.key}\n` +
      `  desc: A file opened for writing outside the paths ${id.key} wrote to while learned.\n` +
      block('condition', `evt.type in (open, openat, openat2, creat) and evt.dir = < and evt.is_open_write = true\nand fd.typechar = f and fd.num >= 0\nand ${wl}\nand not fd.name pmatch (${n}_write_prefixes)`) +
      `  output: Unexpected file write in ${id.key} (file=%fd.name exe=%proc.exepath cmdline=%proc.cmdline ${CONTEXT})\n` +
      `  priority: WARNING\n  tags: [kestrel_learned, filesystem, mitre_persistence]\n`,
  );
  return parts.join('');
}

function accessGroupKey(a: ApiAccess): string {
  return `${a.namespace}|${a.resource}|${a.subresource}|${a.anyName ? '*' : a.names.join(',')}`;
}

export function subjectRules(s: SubjectProfile): string {
  const n = ident(subjectStem(s.key));
  const user = s.kind === 'ServiceAccount' ? `system:serviceaccount:${s.namespace}:${s.name}` : s.name;
  const parts: string[] = [`# Kestrel learned API use of ${s.key}.\n` + windowComment(s.window) + `# Each list holds the verbs used on one resource (in one namespace, on the names listed).\n\n`];
  const groups = new Map<string, { a: ApiAccess; verbs: string[] }>();
  for (const a of s.access) {
    const k = accessGroupKey(a);
    const g = groups.get(k);
    if (g) g.verbs.push(a.verb);
    else groups.set(k, { a, verbs: [a.verb] });
  }
  const allowed: string[] = [];
  let i = 0;
  for (const { a, verbs } of groups.values()) {
    const list = `${n}_${ident(a.resource)}${a.subresource ? '_' + ident(a.subresource) : ''}_verbs_${i++}`;
    const where = a.namespace ? `in namespace ${a.namespace}` : 'cluster-wide';
    parts.push(yamlList(list, verbs, `verbs on ${a.resource}${a.subresource ? '/' + a.subresource : ''} ${where}${a.anyName ? '' : ` named ${a.names.join(', ')}`}`));
    const terms = [`ka.target.resource = ${item(a.resource)}`];
    terms.push(a.subresource ? `ka.target.subresource = ${item(a.subresource)}` : 'not ka.target.subresource exists');
    terms.push(a.namespace ? `ka.target.namespace = ${q(a.namespace)}` : 'not ka.target.namespace exists');
    if (!a.anyName) terms.push(`ka.target.name in (${a.names.map(item).join(', ')})`);
    terms.push(`ka.verb in (${list})`);
    allowed.push(`(${terms.join(' and ')})`);
  }
  if (s.nonResourceUrls.length > 0) {
    const list = `${n}_nonresource_paths`;
    parts.push(yamlList(list, [...new Set(s.nonResourceUrls.map((u) => u.path))], 'non-resource paths requested'));
    allowed.push(`(not ka.target.resource exists and ka.uri in (${list}))`);
  }
  parts.push(
    `- rule: Unexpected API request by ${s.key}\n` +
      `  desc: An API request by ${s.key} of a kind not seen while it was learned.\n` +
      block('condition', `ka.stage = ResponseComplete and ka.user.name = ${q(user)}` + (allowed.length ? `\nand not (${allowed.join('\n  or ')})` : '')) +
      `  output: Unexpected API request by ${s.key} (user=%ka.user.name verb=%ka.verb resource=%ka.target.resource subresource=%ka.target.subresource ns=%ka.target.namespace name=%ka.target.name uri=%ka.uri)\n` +
      `  priority: WARNING\n  source: k8s_audit\n  tags: [kestrel_learned, k8s]\n`,
  );
  return parts.join('');
}
