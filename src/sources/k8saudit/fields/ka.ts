// The k8saudit plugin's fields (ka.*), computed as the plugin computes them. All are strings
// or string lists (the plugin declares every field `string`); a list with no element has no value.
import type { Extractor, FieldArg, FieldDef, FieldValue } from '../../../fields/types.js';
import { EventPath, type AuditEvent, type Json } from '../event.js';
import {
  NO_INDEX,
  asString,
  flattenArrays,
  getPath,
  stringsAll,
  stringsSkipMissing,
  valuesRecursive,
} from './json.js';

type Def = FieldDef<AuditEvent>;
type Ex = Extractor<AuditEvent>;

const INDEX: FieldArg = { required: false, kind: 'index' };
const KEY: FieldArg = { required: true, kind: 'key' };

function indexOf(arg: string | undefined): number {
  if (arg === undefined || !/^\d+$/.test(arg.trim())) return NO_INDEX;
  return Number(arg.trim());
}

function list(values: string[] | undefined): FieldValue | undefined {
  return values === undefined || values.length === 0 ? undefined : values;
}

/** A scalar at a fixed path. */
function scalar(name: string, desc: string, ...keys: string[]): Def {
  const path = new EventPath(keys);
  const ex: Ex = (e) => e.textOf(path);
  return { name, type: 'CHARBUF', desc, bind: () => ex };
}

/** A scalar AuditEvent reads once when it is built. */
function precomputed(name: string, desc: string, ex: Ex): Def {
  return { name, type: 'CHARBUF', desc, bind: () => ex };
}

/** A list at a fixed path: the value must be an array (the plugin's extractFromKeys on a list field). */
function arrayAt(name: string, desc: string, ...keys: string[]): Def {
  const path = new EventPath(keys);
  const ex: Ex = (e) => {
    const v = e.valueOf(path);
    if (!Array.isArray(v)) return undefined;
    return list(v.map(asString));
  };
  return { name, type: 'CHARBUF', list: true, desc, bind: () => ex };
}

/** An indexable list gathered along `keys` (arrays fan out), missing leaves skipped. */
function gathered(
  name: string,
  desc: string,
  keys: string[],
  render: (v: ReadonlyArray<Json | undefined>) => string[] | undefined = stringsSkipMissing,
): Def {
  return {
    name,
    type: 'CHARBUF',
    list: true,
    desc,
    arg: INDEX,
    bind: (arg) => {
      const index = indexOf(arg);
      return (e) => {
        const vals = fromEvent(e, index, keys);
        return vals === undefined ? undefined : list(render(vals));
      };
    },
  };
}

function repository(image: string): string {
  return image.split(':')[0]!.split('@')[0]!;
}

const SPEC = ['requestObject', 'spec'];
const SUBJECTS = new EventPath(['requestObject', 'subjects']);
const TARGET_NAME = new EventPath(['objectRef', 'name']);
const RESPONSE_NAME = new EventPath(['responseObject', 'metadata', 'name']);
const REQUEST_NAME = new EventPath(['requestObject', 'metadata', 'name']);

/** valuesRecursive from the event itself: its top-level member keys[0], then the rest. */
function fromEvent(e: AuditEvent, index: number, keys: readonly string[]): Array<Json | undefined> | undefined {
  const v = e.top(keys[0]!);
  return v === undefined ? undefined : valuesRecursive(v, index, keys, 1);
}

/** Per-container fields, for containers, initContainers and ephemeralContainers. */
function containerFields(kind: 'containers' | 'initContainers' | 'ephemeralContainers'): Def[] {
  const p = `ka.req.pod.${kind}`;
  const base = [...SPEC, kind];
  const who = kind === 'containers' ? 'containers' : kind === 'initContainers' ? 'init containers' : 'ephemeral containers';
  const sc = (field: string, ...rest: string[]) => [...base, 'securityContext', field, ...rest];

  const effective = (name: string, key: 'runAsUser' | 'runAsGroup', what: string): Def => ({
    name,
    type: 'CHARBUF',
    list: true,
    arg: INDEX,
    desc: `When the request object refers to a pod, the initial ${what} that will be used for all ${who}. This combines information from both the pod and container security contexts and uses 0 if no ${what} is specified`,
    bind: (arg) => {
      const index = indexOf(arg);
      const podLevelPath = new EventPath([...SPEC, 'securityContext', key]);
      return (e) => {
        const podLevel = e.valueOf(podLevelPath);
        const dflt = podLevel === undefined ? '0' : asString(podLevel);
        const vals = fromEvent(e, index, sc(key));
        if (vals === undefined) return undefined;
        return list(vals.map((v) => (v === undefined ? dflt : asString(v))));
      };
    },
  });

  return [
    gathered(`${p}.name`, `When the request object refers to a pod, the ${who} names.`, [...base, 'name']),
    gathered(`${p}.image`, `When the request object refers to a pod, the ${who} images.`, [...base, 'image'], stringsAll),
    {
      ...gathered(`${p}.image.repository`, '', [...base, 'image'], stringsAll),
      desc: `The same as ${p}.image, but only the repository part (e.g. falcosecurity/falco).`,
      bind: (arg) => {
        const index = indexOf(arg);
        return (e) => {
          const vals = fromEvent(e, index, [...base, 'image']);
          const images = vals === undefined ? undefined : stringsAll(vals);
          return images === undefined ? undefined : list(images.map(repository));
        };
      },
    },
    gathered(`${p}.command`, `When the request object refers to a pod, the ${who} commands.`, [...base, 'command'], flattenArrays),
    gathered(`${p}.args`, `When the request object refers to a pod, the ${who} args.`, [...base, 'args'], flattenArrays),
    gathered(`${p}.privileged`, `When the request object refers to a pod, the value of the privileged flag for all ${who}.`, sc('privileged')),
    gathered(
      `${p}.allow_privilege_escalation`,
      `When the request object refers to a pod, the value of the allowPrivilegeEscalation flag for all ${who}.`,
      sc('allowPrivilegeEscalation'),
    ),
    gathered(
      `${p}.read_only_fs`,
      `When the request object refers to a pod, the value of the readOnlyRootFilesystem flag for all ${who}.`,
      sc('readOnlyRootFilesystem'),
    ),
    gathered(`${p}.run_as_user`, `When the request object refers to a pod, the runAsUser uid for all ${who}.`, sc('runAsUser')),
    effective(`${p}.eff_run_as_user`, 'runAsUser', 'uid'),
    gathered(`${p}.run_as_group`, `When the request object refers to a pod, the runAsGroup gid for all ${who}.`, sc('runAsGroup')),
    effective(`${p}.eff_run_as_group`, 'runAsGroup', 'gid'),
    gathered(`${p}.proc_mount`, `When the request object refers to a pod, the procMount types for all ${who}.`, sc('procMount')),
    gathered(
      `${p}.add_capabilities`,
      `When the request object refers to a pod, all capabilities to add when running the ${who}.`,
      sc('capabilities', 'add'),
      flattenArrays,
    ),
    {
      name: `${p}.host_port`,
      type: 'CHARBUF',
      list: true,
      arg: INDEX,
      desc: `When the request object refers to a pod, all ${who}' hostPort values (containerPort when no hostPort is given).`,
      bind: (arg) => {
        const index = indexOf(arg);
        return (e) => {
          const perContainer = fromEvent(e, index, [...base, 'ports']);
          if (perContainer === undefined) return undefined;
          const out: string[] = [];
          for (const ports of perContainer) {
            if (ports === undefined) continue;
            if (!Array.isArray(ports)) return undefined;
            for (const port of ports) {
              const hp = getPath(port, ['hostPort']);
              const cp = hp === undefined ? getPath(port, ['containerPort']) : hp;
              if (cp !== undefined) out.push(asString(cp));
            }
          }
          return list(out);
        };
      },
    },
  ];
}

function bindingSubjects(name: string, desc: string, kind: string, render: (s: { [k: string]: Json }) => string | undefined): Def {
  const ex: Ex = (e) => {
    const subjects = e.valueOf(SUBJECTS);
    if (!Array.isArray(subjects)) return undefined;
    const out: string[] = [];
    for (const s of subjects) {
      if (s === null || typeof s !== 'object' || Array.isArray(s) || s.kind !== kind) continue;
      const r = render(s);
      if (r !== undefined) out.push(r);
    }
    return list(out);
  };
  return { name, type: 'CHARBUF', list: true, desc, bind: () => ex };
}

const nameOf = (s: { [k: string]: Json }) => (typeof s.name === 'string' ? s.name : undefined);

function firstContainer(key: 'image'): Ex {
  const path = new EventPath([...SPEC, 'containers', '0', key]);
  return (e) => e.textOf(path);
}

export const kaFields: Def[] = [
  scalar('ka.auditid', 'The unique id of the audit event', 'auditID'),
  precomputed('ka.stage', 'Stage of the request (e.g. RequestReceived, ResponseComplete, etc.)', (e) => e.stage),
  scalar('ka.auth.decision', 'The authorization decision', 'annotations', 'authorization.k8s.io/decision'),
  scalar('ka.auth.reason', 'The authorization reason', 'annotations', 'authorization.k8s.io/reason'),
  scalar(
    'ka.auth.openshift.decision',
    'The authentication decision of the openshift apiserver extension. Only available on openshift clusters',
    'annotations',
    'authentication.openshift.io/decision',
  ),
  scalar(
    'ka.validations.admission.policy.failure',
    'The validation failure reason from a Validation Admission Policy',
    'annotations',
    'validation.policy.admission.k8s.io/validation_failure',
  ),
  scalar('ka.security.pod.violations', 'The violation reason for pod security policy', 'annotations', 'pod-security.kubernetes.io/audit-violations'),
  scalar(
    'ka.auth.openshift.username',
    'The user name performing the openshift authentication operation. Only available on openshift clusters',
    'annotations',
    'authentication.openshift.io/username',
  ),
  precomputed('ka.user.name', 'The user name performing the request', (e) => e.userName),
  arrayAt('ka.user.groups', 'The groups to which the user belongs', 'user', 'groups'),
  scalar('ka.impuser.name', 'The impersonated user name', 'impersonatedUser', 'username'),
  precomputed('ka.verb', 'The action being performed', (e) => e.verb),
  scalar('ka.uri', 'The request URI as sent from client to server', 'requestURI'),
  {
    name: 'ka.uri.param',
    type: 'CHARBUF',
    arg: KEY,
    desc: 'The value of a given query parameter in the uri (e.g. when uri=/foo?key=val, ka.uri.param[key] is val).',
    bind: (arg) => (e) => e.uriQuery?.get(arg ?? '') ?? undefined,
  },
  scalar('ka.target.name', 'The target object name', 'objectRef', 'name'),
  scalar('ka.target.namespace', 'The target object namespace', 'objectRef', 'namespace'),
  precomputed('ka.target.resource', 'The target object resource', (e) => e.resource),
  precomputed('ka.target.subresource', 'The target object subresource', (e) => e.subresource),
  {
    name: 'ka.target.pod.name',
    type: 'CHARBUF',
    desc: 'The target pod name',
    // For pods the object name; a pod created with generateName only has it in the response.
    bind: () => (e) => {
      if (e.resource !== 'pods') return undefined;
      const v = e.valueOf(TARGET_NAME) ?? e.valueOf(RESPONSE_NAME) ?? e.valueOf(REQUEST_NAME);
      return v === undefined ? undefined : asString(v);
    },
  },
  arrayAt(
    'ka.req.binding.subjects',
    'When the request object refers to a cluster role binding, the subject (e.g. account/users) being linked by the binding',
    'requestObject',
    'subjects',
  ),
  bindingSubjects(
    'ka.req.binding.subjects.user_names',
    'When the request object refers to a cluster role binding, the subject user names being linked by the binding',
    'User',
    nameOf,
  ),
  bindingSubjects(
    'ka.req.binding.subjects.serviceaccount_names',
    'When the request object refers to a cluster role binding, the subject service account names being linked by the binding',
    'ServiceAccount',
    nameOf,
  ),
  bindingSubjects(
    'ka.req.binding.subjects.serviceaccount_ns_names',
    'When the request object refers to a cluster role binding, the subject serviceaccount namespaced names being linked by the binding, e.g. a list containing: mynamespace:myserviceaccount',
    'ServiceAccount',
    (s) => (typeof s.name === 'string' ? `${typeof s.namespace === 'string' ? s.namespace : ''}:${s.name}` : undefined),
  ),
  bindingSubjects(
    'ka.req.binding.subjects.group_names',
    'When the request object refers to a cluster role binding, the subject group names being linked by the binding',
    'Group',
    nameOf,
  ),
  scalar(
    'ka.req.binding.role',
    'When the request object refers to a cluster role binding, the role being linked by the binding',
    'requestObject',
    'roleRef',
    'name',
  ),
  {
    name: 'ka.req.binding.subject.has_name',
    type: 'CHARBUF',
    arg: KEY,
    desc: 'Deprecated, always returns "N/A". Only provided for backwards compatibility',
    // The plugin documents N/A but returns "true", as the original implementation did.
    bind: () => () => 'true',
  },
  scalar('ka.req.configmap.name', 'If the request object refers to a configmap, the configmap name', 'objectRef', 'name'),
  scalar('ka.req.configmap.obj', 'If the request object refers to a configmap, the entire configmap object', 'requestObject', 'data'),
  ...containerFields('containers'),
  {
    name: 'ka.req.container.image',
    type: 'CHARBUF',
    desc: 'Deprecated by ka.req.pod.containers.image. Returns the image of the first container only',
    bind: () => firstContainer('image'),
  },
  {
    name: 'ka.req.container.image.repository',
    type: 'CHARBUF',
    desc: 'Deprecated by ka.req.pod.containers.image.repository. Returns the repository of the first container only',
    bind: () => {
      const img = firstContainer('image');
      return (e) => {
        const v = img(e);
        return v === undefined ? undefined : repository(v as string);
      };
    },
  },
  scalar('ka.req.pod.host_ipc', 'When the request object refers to a pod, the value of the hostIPC flag.', ...SPEC, 'hostIPC'),
  scalar('ka.req.pod.host_network', 'When the request object refers to a pod, the value of the hostNetwork flag.', ...SPEC, 'hostNetwork'),
  scalar('ka.req.container.host_network', 'Deprecated alias for ka.req.pod.host_network', ...SPEC, 'hostNetwork'),
  scalar('ka.req.pod.host_pid', 'When the request object refers to a pod, the value of the hostPID flag.', ...SPEC, 'hostPID'),
  {
    name: 'ka.req.container.privileged',
    type: 'CHARBUF',
    desc: 'Deprecated by ka.req.pod.containers.privileged. Returns true if any container has privileged=true',
    bind: () => (e) => {
      const vals = fromEvent(e, NO_INDEX, [...SPEC, 'containers', 'securityContext', 'privileged']);
      if (vals === undefined) return undefined;
      return vals.some((v) => v === true) ? 'true' : 'false';
    },
  },
  scalar(
    'ka.req.pod.run_as_user',
    'When the request object refers to a pod, the runAsUser uid specified in the security context for the pod. See ....containers.run_as_user for the runAsUser for individual containers',
    ...SPEC,
    'securityContext',
    'runAsUser',
  ),
  scalar(
    'ka.req.pod.run_as_group',
    'When the request object refers to a pod, the runAsGroup gid specified in the security context for the pod. See ....containers.run_as_group for the runAsGroup for individual containers',
    ...SPEC,
    'securityContext',
    'runAsGroup',
  ),
  arrayAt('ka.req.role.rules', 'When the request object refers to a role/cluster role, the rules associated with the role', 'requestObject', 'rules'),
  ...(['apiGroups', 'nonResourceURLs', 'verbs', 'resources'] as const).map((k) =>
    gathered(
      `ka.req.role.rules.${k}`,
      `When the request object refers to a role/cluster role, the ${
        { apiGroups: 'api groups', nonResourceURLs: 'non resource urls', verbs: 'verbs', resources: 'resources' }[k]
      } associated with the role's rules`,
      ['requestObject', 'rules', k],
      flattenArrays,
    ),
  ),
  scalar('ka.req.pod.fs_group', 'When the request object refers to a pod, the fsGroup gid specified by the security context.', ...SPEC, 'securityContext', 'fsGroup'),
  arrayAt(
    'ka.req.pod.supplemental_groups',
    'When the request object refers to a pod, the supplementalGroup gids specified by the security context.',
    ...SPEC,
    'securityContext',
    'supplementalGroups',
  ),
  scalar('ka.req.service.type', 'When the request object refers to a service, the service type', ...SPEC, 'type'),
  gathered('ka.req.service.ports', "When the request object refers to a service, the service's ports", [...SPEC, 'ports', '']),
  gathered('ka.req.pod.volumes.hostpath', 'When the request object refers to a pod, all hostPath paths specified for all volumes', [
    ...SPEC,
    'volumes',
    'hostPath',
    'path',
  ]),
  {
    name: 'ka.req.volume.hostpath',
    type: 'CHARBUF',
    arg: KEY,
    desc: 'Deprecated by ka.req.pod.volumes.hostpath. Return true if the provided (host) path prefix is used by any volume (a trailing * matches by prefix)',
    bind: (arg = '') => {
      const prefix = arg.endsWith('*') ? arg.slice(0, -1) : undefined;
      return (e) => {
        const vals = fromEvent(e, NO_INDEX, [...SPEC, 'volumes', 'hostPath', 'path']);
        if (vals === undefined) return undefined;
        for (const p of stringsSkipMissing(vals)) {
          if ((prefix !== undefined && p.startsWith(prefix)) || p === arg) return 'true';
        }
        return 'false';
      };
    },
  },
  gathered('ka.req.pod.volumes.flexvolume_driver', 'When the request object refers to a pod, all flexvolume drivers specified for all volumes', [
    ...SPEC,
    'volumes',
    'flexVolume',
    'driver',
  ]),
  {
    name: 'ka.req.pod.volumes.volume_type',
    type: 'CHARBUF',
    list: true,
    arg: INDEX,
    desc: 'When the request object refers to a pod, all volume types for all volumes',
    bind: (arg) => {
      const index = indexOf(arg);
      return (e) => {
        const vols = fromEvent(e, index, [...SPEC, 'volumes', '']);
        if (vols === undefined) return undefined;
        const out: string[] = [];
        for (const v of vols) {
          if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
            for (const k of Object.keys(v)) if (k !== 'name') out.push(k);
          }
        }
        return list(out);
      };
    },
  },
  scalar('ka.resp.name', 'The response object name', 'responseObject', 'metadata', 'name'),
  scalar('ka.response.code', 'The response code', 'responseStatus', 'code'),
  scalar('ka.response.reason', 'The response reason (usually present only for failures)', 'responseStatus', 'reason'),
  scalar('ka.useragent', 'The useragent of the client who made the request to the apiserver', 'userAgent'),
  gathered('ka.sourceips', 'The IP addresses of the client who made the request to the apiserver', ['sourceIPs', '']),
  {
    name: 'ka.cluster.name',
    type: 'CHARBUF',
    desc: 'The name of the k8s cluster (the `cluster_name` the webhook was configured with, or carried in the event)',
    bind: () => (e) => {
      const v = e.top('cluster_name');
      return typeof v === 'string' ? v : e.clusterName;
    },
  },
  ...containerFields('initContainers'),
  ...containerFields('ephemeralContainers'),
];
