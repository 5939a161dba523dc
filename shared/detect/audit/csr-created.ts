import type { AuditEvent } from '../../ingest';
import { actor, actorName, bodyOf, isSystemIdentity, objectName, pathOf, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { requestsMasters } from './lib/csr';
import { exampleEvent } from './lib/example-events';

/** The signer of client certificates the API server accepts as users. */
const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

function csr(signerName: string, user?: string | { username: string; groups: string[] }) {
  return exampleEvent({
    verb: 'create',
    resource: 'certificatesigningrequests',
    user,
    responseCode: 201,
    requestObject: {
      kind: 'CertificateSigningRequest',
      apiVersion: 'certificates.k8s.io/v1',
      metadata: { name: 'eve' },
      spec: { signerName, usages: ['client auth'] },
    },
  });
}

export const csrCreated: RuleDetector<AuditEvent> = {
  id: 'audit.csr-created',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Client certificate requested',
  description:
    "Someone other than a node or the control plane created a CertificateSigningRequest for the API server's client " +
    'signer. On EKS nobody needs one: people sign in through IAM. A client certificate, once approved, is a ' +
    'credential that outlives any token and names whatever user and groups the requester chose. The request alone ' +
    'is the warning; audit.csr-approved reports the approval.',
  severity: 'medium',
  mitre: ['T1649', 'T1098'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Client Certificate Signing Request Created or Approved',
    sigma: 'none',
  },
  runbook:
    'Read the request (`kubectl get csr NAME -o jsonpath={.spec.request} | base64 -d | openssl req -noout -text`) ' +
    'and deny it unless it was expected (`kubectl certificate deny NAME`). Find where the requesting credential came ' +
    'from; a request for system:masters is an attempt at cluster admin.',

  detect(event) {
    const ref = event.objectRef;
    if (ref?.resource !== 'certificatesigningrequests' || ref.subresource || event.verb !== 'create') return undefined;
    const body = bodyOf(event);
    if (pathOf(body, 'spec', 'signerName') !== CLIENT_SIGNER) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user) || user.username.startsWith('system:bootstrap:')) return undefined;
    const masters = requestsMasters(pathOf(body, 'spec', 'request'));
    const allowed = succeeded(event);
    return {
      severity: masters && allowed ? 'high' : 'medium',
      summary:
        `${actorName(event)} ${allowed ? 'requested' : 'tried to request'} a client certificate ` +
        `(${objectName(event)}, signer ${CLIENT_SIGNER})${masters ? ' naming system:masters' : ''}.`,
      entities: { ...baseEntities(event), signerName: CLIENT_SIGNER },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${user.username}|${objectName(event)}`,
    };
  },

  examples: {
    fires: [csr(CLIENT_SIGNER), csr(CLIENT_SIGNER, 'system:serviceaccount:web:app')],
    quiet: [
      csr('kubernetes.io/kube-apiserver-client-kubelet', {
        username: 'system:node:ip-10-0-1-5.eu-west-1.compute.internal',
        groups: ['system:nodes'],
      }),
      csr('kubernetes.io/kubelet-serving'),
      exampleEvent({ verb: 'list', resource: 'certificatesigningrequests' }),
    ],
  },
};
