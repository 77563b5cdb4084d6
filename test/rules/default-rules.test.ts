// Kestrel's own default rules (rules/): load cleanly and detect what they describe on real
// Kubernetes audit events.
import { describe, expect, it } from 'vitest';
import { defaultRulesPath } from '../../src/rules/defaults.js';
import { loadRules, type LoadResult } from '../../src/rules/load.js';
import { audit } from './helpers.js';

let loaded: LoadResult | undefined;
async function rules(): Promise<LoadResult> {
  loaded ??= await loadRules([defaultRulesPath()], { hostname: 'node-1', ruleMatching: 'all' });
  return loaded;
}

const names = async (obj: Parameters<typeof audit>[0]) => (await rules()).ruleset.evaluate(audit(obj), 'k8s_audit').map((a) => a.rule);

describe('default rules', () => {
  it('load with no error and no warning, for both sources', async () => {
    const r = await rules();
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(new Set(r.rules.map((s) => s.source))).toEqual(new Set(['syscall', 'k8s_audit']));
    expect(r.rules.length).toBeGreaterThanOrEqual(15);
  });

  it('detect kubectl exec into a pod, with the command in the output', async () => {
    const r = await rules();
    const [alert] = r.ruleset.evaluate(
      audit({
        stage: 'ResponseStarted',
        verb: 'create',
        requestURI: '/api/v1/namespaces/shop/pods/cart-0/exec?command=bash&stdin=true&tty=true',
        user: { username: 'jane' },
        objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'cart-0' },
      }),
      'k8s_audit',
    );
    expect(alert?.rule).toBe('Attach/Exec Pod');
    expect(alert?.output).toMatch(/Attach\/Exec to pod \(user=jane pod=cart-0 ns=shop action=exec command=bash\)$/);
  });

  it('detect a privileged pod, and not an ordinary one', async () => {
    const pod = (privileged: boolean) => ({
      verb: 'create',
      user: { username: 'jane' },
      objectRef: { resource: 'pods', namespace: 'shop', name: 'x' },
      responseStatus: { code: 201 },
      requestObject: { spec: { containers: [{ name: 'c', image: 'nginx', securityContext: { privileged } }] } },
      responseObject: { metadata: { name: 'x' } },
    });
    expect(await names(pod(true))).toEqual(['Create privileged pod']);
    expect(await names(pod(false))).toEqual([]);
  });

  it('detect a secret read by a person, not by a system component', async () => {
    const read = (username: string) => ({
      verb: 'get',
      user: { username },
      objectRef: { resource: 'secrets', namespace: 'shop', name: 'db-password' },
      responseStatus: { code: 200 },
    });
    expect(await names(read('jane'))).toEqual(['K8s secret read by unexpected user']);
    expect(await names(read('system:serviceaccount:kube-system:x'))).toEqual([]);
  });
});
