import type { AuditEvent } from '../../ingest';
import {
  actor,
  actorName,
  containersOf,
  created,
  isServiceAccount,
  objectName,
  succeeded,
  WORKLOAD_RESOURCES,
  workloadKind,
} from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities, isCicdIdentity, isController } from './lib/actor';
import { deploymentBody, exampleEvent, podBody } from './lib/example-events';

const CHANGES = new Set(['create', 'update', 'patch']);

export const outOfBandWorkload: RuleDetector<AuditEvent> = {
  id: 'audit.out-of-band-workload',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Workload changed outside the pipeline',
  description:
    'A Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob was created or changed by an identity that ' +
    'is neither a controller nor a configured CI/CD identity: a person with kubectl, or a workload service account. ' +
    'Out-of-band changes drift from what the pipeline declares, and a service account deploying workloads is how a ' +
    'stolen token turns into a cryptominer or a backdoor.',
  severity: 'medium',
  mitre: ['T1610', 'T1578'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'Disallowed K8s User',
    guardduty: 'Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed',
    elastic: 'Unusual Kubernetes Sensitive Workload Modification',
    sigma: 'Kubernetes CronJob/Job Modification',
  },
  runbook:
    'Check whether the change went through review. If it is legitimate tooling (an operator, a GitOps agent), add ' +
    'its identity to identities.controllers or identities.cicd. If not, roll the workload back from the pipeline, ' +
    'revoke the identity, and look at the images and commands it runs.',

  detect(event, context) {
    const ref = event.objectRef;
    if (!ref?.resource || !WORKLOAD_RESOURCES.has(ref.resource) || !CHANGES.has(event.verb)) return undefined;
    if (ref.subresource && ref.subresource !== 'scale') return undefined;
    if (!succeeded(event)) return undefined;
    const user = actor(event);
    if (isController(user, context) || isCicdIdentity(user, context, event)) return undefined;
    const kind = workloadKind(ref.resource);
    const serviceAccount = isServiceAccount(user);
    const images = [...new Set(containersOf(event).map((c) => c.image))];
    const what = ref.subresource === 'scale' ? 'scaled' : created(event) ? 'created' : 'changed';
    return {
      severity: serviceAccount ? 'high' : ref.subresource === 'scale' ? 'low' : 'medium',
      title: serviceAccount ? `${kind} ${what} by a workload's service account` : `${kind} ${what} by hand`,
      summary:
        `${actorName(event)} ${what} ${kind} ${objectName(event)} outside the CI/CD pipeline` +
        `${images.length ? ` (images ${images.join(', ')})` : ''}${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}.`,
      entities: { ...baseEntities(event), images: images.length ? images : undefined },
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}${images.length ? ` images=${images.join(',')}` : ''}`,
      dedupeKey: `${user.username}|${ref.resource}|${objectName(event)}`,
    };
  },

  examples: {
    config: { identities: { cicd: ['github-actions'] } },
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'deployments',
        apiGroup: 'apps',
        namespace: 'payments',
        name: 'metrics-exporter',
        user: { username: 'system:serviceaccount:payments:api', groups: ['system:serviceaccounts'] },
        requestObject: deploymentBody('metrics-exporter', ['ghcr.io/xmr-tools/xmrig:6.21']),
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'default',
        name: 'debug',
        requestObject: podBody('debug', ['busybox:1.36']),
        responseCode: 201,
      }),
      exampleEvent({ verb: 'patch', resource: 'daemonsets', apiGroup: 'apps', namespace: 'monitoring', name: 'agent' }),
    ],
    quiet: [
      exampleEvent({
        verb: 'patch',
        resource: 'deployments',
        namespace: 'shop',
        name: 'web',
        user: { username: 'github-actions', groups: ['ci-deployers'] },
      }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'shop',
        user: {
          username: 'system:serviceaccount:kube-system:replicaset-controller',
          groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'],
        },
        requestObject: podBody('web-x', ['nginx:1.27']),
      }),
      exampleEvent({ verb: 'patch', resource: 'deployments', namespace: 'shop', name: 'web', subresource: 'status' }),
      exampleEvent({ verb: 'get', resource: 'deployments', namespace: 'shop', name: 'web' }),
      exampleEvent({ verb: 'delete', resource: 'deployments', namespace: 'shop', name: 'web' }),
    ],
  },
};
