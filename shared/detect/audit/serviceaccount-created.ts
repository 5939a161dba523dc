import type { AuditEvent } from '../../ingest';
import { actor, actorName, created, objectName, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities, isCicdIdentity, isController } from './lib/actor';
import { exampleEvent } from './lib/example-events';

/**
 * The namespaces where only the cluster itself makes service accounts. Elsewhere charts and
 * pipelines create them all day, and a new account there holds no rights until bound, which
 * `audit.rbac-change` watches; so only these are reported.
 */
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

function serviceAccount(namespace: string, user?: string) {
  return exampleEvent({
    verb: 'create',
    resource: 'serviceaccounts',
    namespace,
    user,
    responseCode: 201,
    requestObject: { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'helper', namespace } },
  });
}

export const serviceaccountCreated: RuleDetector<AuditEvent> = {
  id: 'audit.serviceaccount-created',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Service account created in a system namespace',
  description:
    'Someone other than the control plane and its controllers created a service account in kube-system, kube-public ' +
    "or kube-node-lease. Accounts there blend in with the cluster's own, and a binding to one is easy to miss: a " +
    'quiet place to keep a persistent credential. A configured or learned pipeline installing an add-on is medium.',
  severity: 'high',
  mitre: ['T1136', 'T1098'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'Service Account Created in Kube Namespace',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'New Kubernetes Service Account Created',
  },
  runbook:
    'Find who created the account and why: an add-on installed by hand or by a pipeline explains it. If not, delete ' +
    'the account, every binding naming it and every token issued for it, and look at what the creator did around it.',

  detect(event, context) {
    const ref = event.objectRef;
    if (ref?.resource !== 'serviceaccounts' || ref.subresource || !created(event) || !succeeded(event))
      return undefined;
    if (!SYSTEM_NAMESPACES.has(ref.namespace ?? '')) return undefined;
    const user = actor(event);
    if (isController(user, context)) return undefined;
    const pipeline = isCicdIdentity(user, context, event);
    return {
      severity: pipeline ? 'medium' : 'high',
      summary: `${actorName(event)} created service account ${objectName(event)}${pipeline ? ' (a CI/CD identity)' : ''}.`,
      entities: { ...baseEntities(event), serviceAccount: objectName(event) },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: objectName(event),
    };
  },

  examples: {
    config: { identities: { cicd: ['arn:aws:iam::111122223333:role/deployer'] } },
    fires: [serviceAccount('kube-system'), serviceAccount('kube-public', 'system:serviceaccount:default:app')],
    quiet: [
      serviceAccount('web'),
      serviceAccount('kube-system', 'system:serviceaccount:kube-system:replicaset-controller'),
      serviceAccount('kube-system', 'eks:addon-manager'),
      exampleEvent({ verb: 'get', resource: 'serviceaccounts', namespace: 'kube-system', name: 'default' }),
    ],
  },
};
