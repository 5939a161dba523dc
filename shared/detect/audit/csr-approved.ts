import type { AuditEvent } from '../../ingest';
import { actor, actorName, asObject, bodyOf, isSystemIdentity, objectName, pathOf, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { requestsMasters } from './lib/csr';
import { exampleEvent } from './lib/example-events';

function approved(body: Record<string, unknown> | undefined): boolean {
  const conditions = pathOf(body, 'status', 'conditions');
  return Array.isArray(conditions) && conditions.some((c) => asObject(c)?.type === 'Approved');
}

function csr(signerName: string, status?: string): Record<string, unknown> {
  return {
    kind: 'CertificateSigningRequest',
    apiVersion: 'certificates.k8s.io/v1',
    metadata: { name: 'x' },
    spec: { signerName, usages: ['client auth'] },
    status: status ? { conditions: [{ type: status, status: 'True', reason: 'KubectlApprove' }] } : {},
  };
}

export const csrApproved: RuleDetector<AuditEvent> = {
  id: 'audit.csr-approved',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Certificate signing request approved by hand',
  description:
    'Someone other than the control plane approved a CertificateSigningRequest. An approved client certificate is a ' +
    'credential that outlives any token, cannot be revoked short of rotating the signer, and names whatever user and ' +
    'groups the requester chose: system:masters included. Node certificates are approved by EKS itself and stay quiet.',
  severity: 'high',
  mitre: ['T1649', 'T1098'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Client Certificate Signing Request Created or Approved',
    sigma: 'none',
  },
  runbook:
    'Read the request (`kubectl get csr NAME -o jsonpath={.spec.request} | base64 -d | openssl req -noout -text`): ' +
    'who is the subject, which groups. If it was not expected, delete any binding for that subject and plan a ' +
    'rotation of the signer; check who else holds certificatesigningrequests/approval.',

  detect(event) {
    const ref = event.objectRef;
    if (ref?.resource !== 'certificatesigningrequests' || ref.subresource !== 'approval') return undefined;
    if ((event.verb !== 'update' && event.verb !== 'patch') || !succeeded(event)) return undefined;
    const body = bodyOf(event);
    if (body && !approved(body)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    const signer = pathOf(body, 'spec', 'signerName');
    const masters = requestsMasters(pathOf(body, 'spec', 'request'));
    return {
      severity: masters ? 'critical' : 'high',
      summary:
        `${actorName(event)} approved certificate signing request ${objectName(event)}` +
        `${typeof signer === 'string' ? ` for signer ${signer}` : ''}${masters ? ', which asks for system:masters' : ''}.`,
      entities: { ...baseEntities(event), signerName: typeof signer === 'string' ? signer : undefined },
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${objectName(event)}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'update',
        resource: 'certificatesigningrequests',
        subresource: 'approval',
        name: 'eve-admin',
        requestObject: csr('kubernetes.io/kube-apiserver-client', 'Approved'),
      }),
      exampleEvent({ verb: 'update', resource: 'certificatesigningrequests', subresource: 'approval', name: 'x' }),
    ],
    quiet: [
      exampleEvent({
        verb: 'update',
        resource: 'certificatesigningrequests',
        subresource: 'approval',
        name: 'csr-node',
        user: { username: 'eks:certificate-controller', groups: ['system:authenticated'] },
        requestObject: csr('kubernetes.io/kubelet-serving', 'Approved'),
      }),
      exampleEvent({
        verb: 'update',
        resource: 'certificatesigningrequests',
        subresource: 'approval',
        name: 'eve-admin',
        requestObject: csr('kubernetes.io/kube-apiserver-client', 'Denied'),
      }),
      exampleEvent({ verb: 'list', resource: 'certificatesigningrequests' }),
    ],
  },
};
