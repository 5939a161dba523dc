import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/alert/finding';
import { defaultConfig } from '../../shared/config/load';
import type { Severity } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { MemoryTable } from '../../shared/store/memory-table';
import { memorySource } from '../support/sources';

const CORPUS = 'events/fixtures/k8s-audit-falco';

/**
 * What a security engineer expects from each of Falco's k8s audit trace files (real events from
 * a minikube cluster; see events/fixtures/README.md), rule id to severity. Files not listed are
 * benign or routine and must stay quiet. Anomaly detectors are silent here: each file is the
 * first thing its cluster ever logged, so the learning period has just begun.
 */
const EXPECTED: Record<string, Record<string, Severity>> = {
  'anonymous_creates_namespace_foo.json': { 'audit.anonymous-access': 'critical' },
  'attach_cluster_admin_role.json': { 'audit.rbac-change': 'high' },
  'attach_pod.json': { 'audit.exec-into-pod': 'high' },
  'exec_pod.json': { 'audit.exec-into-pod': 'high' },
  'create_cluster_role_pod_exec.json': { 'audit.rbac-change': 'high' },
  'create_cluster_role_wildcard_resources.json': { 'audit.rbac-change': 'high' },
  'create_cluster_role_wildcard_verbs.json': { 'audit.rbac-change': 'high' },
  'create_cluster_role_write_privileges.json': { 'audit.rbac-change': 'medium' },
  'create_clusterrole.json': { 'audit.rbac-change': 'medium' },
  'create_clusterrolebinding.json': { 'audit.rbac-change': 'medium' },
  'modify_cluster_role_node_problem_detector.json': { 'audit.rbac-change': 'high' },
  'create_configmap_sensitive_values.json': {
    'audit.configmap-credentials': 'medium',
    'audit.config-object-change': 'info',
  },
  'create_deployment.json': { 'audit.out-of-band-workload': 'medium' },
  'create_nginx_pod_privileged.json': { 'audit.privileged-workload': 'high' },
  'create_nginx_pod_privileged_2nd_container.json': { 'audit.privileged-workload': 'high' },
  'create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json': { 'audit.privileged-workload': 'high' },
  'create_nginx_pod_sensitive_mount.json': { 'audit.privileged-workload': 'high' },
  'create_nginx_pod_sensitive_mount_2nd_container.json': { 'audit.privileged-workload': 'high' },
  'create_nginx_pod_hostnetwork.json': { 'audit.privileged-workload': 'medium' },
  'create_nginx_service_nodeport.json': { 'audit.exposed-service': 'medium', 'audit.config-object-change': 'info' },
  'create_pod_kube_system_namespace.json': { 'audit.pod-in-system-namespace': 'medium' },
  'create_pod_kube_public_namespace.json': { 'audit.pod-in-system-namespace': 'medium' },
  'delete_cluster_role_kube_aggregator.json': { 'audit.manual-delete': 'medium', 'audit.rbac-change': 'high' },
  'delete_clusterrole.json': { 'audit.manual-delete': 'medium', 'audit.rbac-change': 'medium' },
  'delete_clusterrolebinding.json': { 'audit.manual-delete': 'medium', 'audit.rbac-change': 'medium' },
  'delete_configmap.json': { 'audit.manual-delete': 'medium', 'audit.config-object-change': 'info' },
  'delete_deployment.json': { 'audit.manual-delete': 'medium' },
  'delete_namespace_foo.json': { 'audit.manual-delete': 'high' },
  'delete_secret.json': { 'audit.manual-delete': 'medium', 'audit.config-object-change': 'info' },
  'delete_service.json': { 'audit.manual-delete': 'medium', 'audit.config-object-change': 'info' },
  'delete_serviceaccount.json': { 'audit.manual-delete': 'medium' },
  // Routine changes of configuration objects are recorded at info, never notified.
  'create_secret.json': { 'audit.config-object-change': 'info' },
  'create_kube_system_secret.json': { 'audit.config-object-change': 'info' },
  'create_configmap.json': { 'audit.config-object-change': 'info' },
  'create_configmap_no_sensitive_values.json': { 'audit.config-object-change': 'info' },
  'create_nginx_service_nonodeport.json': { 'audit.config-object-change': 'info' },
  'create_service.json': { 'audit.config-object-change': 'info' },
  // A person making a service account where only the cluster makes them.
  'create_serviceaccount_kube_public_namespace.json': { 'audit.serviceaccount-created': 'high' },
  'create_serviceaccount_kube_system_namespace.json': { 'audit.serviceaccount-created': 'high' },
};

/**
 * Benign pairs of the files above, routine creations (a service account outside the system
 * namespaces: a grant needs a binding, which audit.rbac-change reports), and the control plane at
 * work: nothing to report.
 */
const QUIET = [
  'create_serviceaccount.json',
  'create_nginx_pod_unprivileged.json',
  'create_nginx_pod_nohostnetwork.json',
  'create_nginx_pod_unsensitive_mount.json',
  'create_service_account_token_secret.json',
  'minikube_creates_namespace_foo.json',
  'some-user_creates_namespace_foo.json',
  'fal_01_003.json',
];

/** Every finding the engine makes of one file, sent or below the alert threshold, in a fresh cluster. */
async function findingsOf(file: string): Promise<Finding[]> {
  const config = defaultConfig();
  const sink = new CollectingSink();
  const engine = new Engine({ config, table: new MemoryTable(), context: buildDetectContext(config), sink });
  const outcome = await engine.process(memorySource(file, readFileSync(join(CORPUS, file))));
  return [...outcome.findings, ...outcome.belowThreshold];
}

describe('Falco k8s audit corpus through the engine', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json'));

  it('names every file in the corpus here, as security-relevant or quiet', () => {
    const named = [...Object.keys(EXPECTED), ...QUIET];
    for (const file of named) expect(files, file).toContain(file);
    expect(files.filter((f) => !named.includes(f))).toEqual([]);
  });

  it.each(Object.entries(EXPECTED))('%s yields the findings a security engineer expects', async (file, expected) => {
    // Act
    const findings = await findingsOf(file);
    // Assess: each expected rule at its severity, and nothing else.
    const byRule = new Map(findings.map((f) => [f.ruleId, f.severity]));
    expect(Object.fromEntries(byRule)).toEqual(expected);
  });

  it.each(QUIET)('%s stays quiet', async (file) => {
    expect((await findingsOf(file)).map((f) => `${f.ruleId} ${f.summary}`)).toEqual([]);
  });

  it('names the credential keys of a ConfigMap but never copies a value', async () => {
    const all = await findingsOf('create_configmap_sensitive_values.json');
    const findings = all.filter((f) => f.ruleId === 'audit.configmap-credentials');
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.count).toBe(6);
    expect(finding?.evidence).toContain('access.properties');
    // Nor does the record of the change.
    const text = JSON.stringify(all);
    expect(text).not.toContain('MY-KEY');
    expect(text).not.toContain('MY-ID');
  });

  it('attributes a pod to the Deployment it belongs to, through its ReplicaSet', async () => {
    const [finding] = await findingsOf('create_nginx_pod_privileged.json');
    expect(finding?.entities.workload).toBe('Deployment default/nginx-deployment');
    expect(finding?.summary).toContain('container nginx is privileged');
  });
});
