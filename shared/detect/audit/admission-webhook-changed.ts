import type { AuditEvent } from '../../ingest';
import {
  actor,
  actorName,
  bodyOf,
  isServiceAccount,
  isSystemIdentity,
  isWrite,
  objectName,
  pastTense,
  pathOf,
  succeeded,
} from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const KINDS: Record<string, string> = {
  mutatingwebhookconfigurations: 'MutatingWebhookConfiguration',
  validatingwebhookconfigurations: 'ValidatingWebhookConfiguration',
  validatingadmissionpolicies: 'ValidatingAdmissionPolicy',
  validatingadmissionpolicybindings: 'ValidatingAdmissionPolicyBinding',
  mutatingadmissionpolicies: 'MutatingAdmissionPolicy',
  mutatingadmissionpolicybindings: 'MutatingAdmissionPolicyBinding',
};

/** Where a webhook sends what it intercepts: a URL outside the cluster is worse than a Service. */
function webhookTargets(event: AuditEvent): string[] {
  const webhooks = pathOf(bodyOf(event), 'webhooks');
  if (!Array.isArray(webhooks)) return [];
  return webhooks.flatMap((w) => {
    const url = pathOf(w, 'clientConfig', 'url');
    const service = pathOf(w, 'clientConfig', 'service');
    if (typeof url === 'string') return [url];
    const ns = pathOf(service, 'namespace');
    const name = pathOf(service, 'name');
    return typeof name === 'string' ? [`service ${typeof ns === 'string' ? `${ns}/` : ''}${name}`] : [];
  });
}

export const admissionWebhookChanged: RuleDetector<AuditEvent> = {
  id: 'audit.admission-webhook-changed',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Admission webhook or policy changed',
  description:
    'A mutating or validating admission webhook (or admission policy) was created, changed or deleted by someone ' +
    'other than the control plane. A mutating webhook sees, and can rewrite, every object it matches before it is ' +
    'stored: a sidecar in every new pod, a secret copied out. Deleting a validating one switches off a guard rail. ' +
    "Service accounts that only rotate a webhook's CA bundle are reported at low.",
  severity: 'medium',
  mitre: ['T1546', 'T1562.001'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Admission Webhook Created or Modified',
    sigma: 'Kubernetes Admission Controller Modification',
  },
  runbook:
    'Check which component owns the webhook and whether the change matches a release of it. Look at where it sends ' +
    'requests (clientConfig: a URL outside the cluster is a red flag) and what it matches. Remove what nobody owns.',

  detect(event) {
    const ref = event.objectRef;
    const kind = ref?.resource ? KINDS[ref.resource] : undefined;
    if (!kind || ref?.subresource || !isWrite(event.verb) || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    const targets = webhookTargets(event);
    const external = targets.filter((t) => t.startsWith('http'));
    const mutating = kind.startsWith('Mutating');
    const deleting = event.verb.startsWith('delete');
    const creating = event.verb === 'create';
    // cert-manager's cainjector and friends patch the CA bundle of webhooks they own all day.
    const routine = isServiceAccount(user) && event.verb === 'patch' && external.length === 0;
    const severity = routine
      ? 'low'
      : external.length > 0 || (mutating && (creating || event.verb === 'update')) || deleting
        ? 'high'
        : 'medium';
    return {
      severity,
      summary:
        `${actorName(event)} ${pastTense(event.verb)} ${kind} ${objectName(event)}` +
        `${targets.length ? `, which sends requests to ${targets.join(', ')}` : ''}.`,
      entities: { ...baseEntities(event), webhookTargets: targets.length ? targets : undefined },
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${user.username}|${ref?.resource}|${objectName(event)}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'mutatingwebhookconfigurations',
        apiGroup: 'admissionregistration.k8s.io',
        name: 'pod-injector',
        requestObject: {
          kind: 'MutatingWebhookConfiguration',
          webhooks: [{ name: 'inject.example.com', clientConfig: { url: 'https://198.51.100.7/mutate' } }],
        },
      }),
      exampleEvent({
        verb: 'delete',
        resource: 'validatingwebhookconfigurations',
        name: 'gatekeeper-validating-webhook-configuration',
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'mutatingwebhookconfigurations',
        name: 'cert-manager-webhook',
        user: { username: 'system:serviceaccount:cert-manager:cert-manager-cainjector', groups: [] },
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'patch',
        resource: 'mutatingwebhookconfigurations',
        name: 'pod-identity-webhook',
        user: { username: 'eks:pod-identity-mutating-webhook', groups: ['system:authenticated'] },
      }),
      exampleEvent({ verb: 'list', resource: 'validatingwebhookconfigurations' }),
      exampleEvent({ verb: 'create', resource: 'configmaps', namespace: 'web', name: 'x' }),
    ],
  },
};
