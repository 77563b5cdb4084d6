// Rendering deploy/ kustomizations with kubectl and checking the objects against the Kubernetes
// API schemas (kubernetes-models): at run time (types, required fields, enums) and through the
// TypeScript compiler (unknown fields, which the API server's strict field validation refuses).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY = join(ROOT, 'deploy');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

/** Why kustomizations cannot be rendered here, or undefined when kubectl (with kustomize) works. */
export function kubectlSkipReason(): string | undefined {
  const r = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'kubectl is not installed: the deploy/ kustomizations cannot be rendered (install kubectl >= 1.27)';
  return undefined;
}

export function parseObjects(text: string, where: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]!.message}`);
    const v = doc.toJS() as K8sObject | null;
    if (v) out.push(v);
  }
  return out;
}

/** `kubectl kustomize DIR`, parsed. */
export function kustomize(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr || r.error?.message}`);
  return parseObjects(r.stdout, dir);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && (x.metadata.name === name || x.metadata.name.startsWith(`${name}-`)));
  if (!o) throw new Error(`no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

interface ModelRef {
  /** Module whose exports hold the class (named as the kind) and the interface `I<Kind>`. */
  module: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  classes: Record<string, any>;
}

const MODELS: Record<string, ModelRef> = {
  v1: { module: 'kubernetes-models/v1', classes: core },
  'apps/v1': { module: 'kubernetes-models/apps/v1', classes: apps },
  'rbac.authorization.k8s.io/v1': { module: 'kubernetes-models/rbac.authorization.k8s.io/v1', classes: rbac },
  'monitoring.coreos.com/v1': { module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1', classes: monitoring },
};

function modelOf(o: K8sObject): ModelRef {
  const m = MODELS[o.apiVersion];
  if (!m || typeof m.classes[o.kind] !== 'function') throw new Error(`no schema model for ${o.apiVersion} ${o.kind} (add it to test/deploy/k8s.ts)`);
  return m;
}

/** Schema errors of each object (runtime validation), as `Kind/name: message`. */
export function schemaErrors(objects: K8sObject[]): string[] {
  const errors: string[] = [];
  for (const o of objects) {
    const Model = modelOf(o).classes[o.kind];
    try {
      new Model(o).validate();
    } catch (err) {
      errors.push(`${o.kind}/${o.metadata?.name}: ${(err as Error).message}`);
    }
  }
  return errors;
}

/**
 * Type-checks the objects as object literals of their kubernetes-models interfaces: excess
 * property checks catch misspelled and unknown fields at any depth.
 */
export function typeErrors(objects: K8sObject[]): string[] {
  const file = join(ROOT, 'test', 'deploy', '__manifests_typecheck__.ts');
  const imports = new Map<string, Set<string>>();
  const body: string[] = [];
  objects.forEach((o, i) => {
    const m = modelOf(o);
    if (!imports.has(m.module)) imports.set(m.module, new Set());
    imports.get(m.module)!.add(`I${o.kind}`);
    body.push(`// ${o.kind}/${o.metadata?.name}\nexport const o${i}: I${o.kind} = ${JSON.stringify(o, null, 2)};`);
  });
  const text = [...imports].map(([mod, names]) => `import type { ${[...names].join(', ')} } from '${mod}';`).join('\n') + '\n' + body.join('\n');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? text : readFile(name));
  const program = ts.createProgram({ rootNames: [file], options, host });
  const lines = text.split('\n');
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0];
    if (!d.file || d.start === undefined) return msg ?? '';
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    let owner = '';
    for (let l = line; l >= 0; l--) {
      if (lines[l]!.startsWith('// ')) {
        owner = lines[l]!.slice(3);
        break;
      }
    }
    return `${owner}: ${msg} (at \`${lines[line]!.trim()}\`)`;
  });
}
