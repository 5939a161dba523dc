import type { AuditEvent } from '../../ingest';
import {
  actor,
  actorName,
  identityKey,
  objectName,
  pastTense,
  succeeded,
  WORKLOAD_RESOURCES,
  workloadKind,
} from '../../kube';
import type { AnomalyDetector } from '../types';
import { baseEntities, isController } from './lib/actor';
import { deploymentBody, exampleEvent } from './lib/example-events';

const WRITES = new Set(['create', 'update', 'patch']);

export const newWorkloadCreator: AnomalyDetector<AuditEvent> = {
  id: 'audit.new-workload-creator',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'workload-creator',
  expectedNoun: 'identities that wrote workloads before',
  title: 'Identity writes workloads for the first time',
  description:
    'An identity that never created or changed a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ' +
    'Job, CronJob) did so. In a cluster where the pipeline deploys, the set of identities that write workloads is ' +
    'small and stable; a new one is a new pipeline, someone working around it, or a stolen credential deploying ' +
    'its own code. Controllers are left out.',
  severity: 'medium',
  mitre: ['T1610', 'T1078'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Confirm with the owner of the identity that they meant to deploy, and why outside the pipeline. If it is new ' +
    'automation, list it under identities.cicd or identities.controllers; if not, roll back and revoke.',

  observe(event, context) {
    const ref = event.objectRef;
    if (!ref?.resource || !WORKLOAD_RESOURCES.has(ref.resource) || !WRITES.has(event.verb)) return undefined;
    if (ref.subresource || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isController(user, context)) return undefined;
    return [identityKey(user)];
  },

  describe(identity, event) {
    const kind = workloadKind(event.objectRef?.resource);
    return {
      summary: `${actorName(event)} ${pastTense(event.verb)} ${kind} ${objectName(event)}: the first workload change by ${identity} in this cluster.`,
      entities: baseEntities(event),
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: identity,
    };
  },

  examples: {
    baseline: ['github-actions'],
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'deployments',
        namespace: 'shop',
        name: 'debug-tools',
        requestObject: deploymentBody('debug-tools', ['nicolaka/netshoot:v0.13']),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'deployments',
        namespace: 'payments',
        name: 'metrics-exporter',
        user: { username: 'system:serviceaccount:payments:api', groups: ['system:serviceaccounts'] },
      }),
    ],
    quiet: [
      exampleEvent({ verb: 'patch', resource: 'deployments', namespace: 'shop', name: 'web', user: 'github-actions' }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'shop',
        user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: [] },
      }),
      exampleEvent({ verb: 'get', resource: 'deployments', namespace: 'shop', name: 'web' }),
    ],
  },
};
