import type { AuditEvent } from '../../ingest';
import { actor, isAnonymous, isWrite, objectName, pastTense, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

/** What anyone may ask an API server: health, version, and the service account issuer's public keys. */
const PUBLIC_PATHS =
  /^\/(?:healthz|livez|readyz|version)(?:\/.*)?$|^\/\.well-known\/openid-configuration$|^\/openid\/v1\/jwks$/;

function pathOf(requestUri: string): string {
  const query = requestUri.indexOf('?');
  return query === -1 ? requestUri : requestUri.slice(0, query);
}

const anonymous = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export const anonymousAccess: RuleDetector<AuditEvent> = {
  id: 'audit.anonymous-access',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Anonymous request allowed',
  description:
    'The API server carried out a request from system:anonymous or system:unauthenticated beyond the health, ' +
    'version and service-account-issuer discovery endpoints. Someone bound a role to anonymous users: anyone who can ' +
    'reach the endpoint (public by default on EKS) can now read, or change, the cluster without credentials.',
  severity: 'high',
  mitre: ['T1078.001', 'T1190'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'Anonymous Request Allowed',
    guardduty: 'Discovery:Kubernetes/SuccessfulAnonymousAccess; Impact:Kubernetes/SuccessfulAnonymousAccess',
    elastic: 'Kubernetes Anonymous Request Authorized by Unusual User Agent',
    sigma: 'none',
  },
  runbook:
    'Find the binding that grants system:anonymous or system:unauthenticated (`kubectl get clusterrolebindings,' +
    'rolebindings -A -o wide | grep -E "anonymous|unauthenticated"`) and delete it. Then review everything the ' +
    'anonymous identity did from each source address, and restrict the endpoint to known networks.',

  detect(event) {
    const user = actor(event);
    if (!isAnonymous(user) || !succeeded(event)) return undefined;
    const path = pathOf(event.requestUri);
    if (PUBLIC_PATHS.test(path)) return undefined;
    const write = isWrite(event.verb);
    const target = event.objectRef?.resource ? `${event.objectRef.resource} ${objectName(event)}` : path;
    return {
      severity: write ? 'critical' : 'high',
      title: write ? 'Anonymous user changed the cluster' : undefined,
      summary: `An anonymous caller${event.sourceIps[0] ? ` at ${event.sourceIps[0]}` : ''} ${pastTense(event.verb)} ${target}, and the API server allowed it.`,
      entities: baseEntities(event),
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'} (${event.annotations?.['authorization.k8s.io/reason']?.slice(0, 200) ?? 'allowed'})`,
      dedupeKey: `${event.sourceIps[0] ?? '?'}|${write ? 'write' : 'read'}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({ verb: 'create', user: anonymous, resource: 'namespaces', name: 'foo', responseCode: 201 }),
      exampleEvent({ verb: 'list', user: anonymous, resource: 'secrets', namespace: 'kube-system' }),
      exampleEvent({ verb: 'get', user: anonymous, requestUri: '/api/v1/nodes', resource: 'nodes' }),
    ],
    quiet: [
      exampleEvent({ verb: 'get', user: anonymous, requestUri: '/healthz', resource: '' }),
      exampleEvent({ verb: 'get', user: anonymous, requestUri: '/readyz?verbose', resource: '' }),
      exampleEvent({ verb: 'get', user: anonymous, requestUri: '/version', resource: '' }),
      exampleEvent({ verb: 'get', user: anonymous, requestUri: '/openid/v1/jwks', resource: '' }),
      exampleEvent({
        verb: 'list',
        user: anonymous,
        resource: 'secrets',
        namespace: 'kube-system',
        responseCode: 403,
        decision: 'forbid',
      }),
      exampleEvent({ verb: 'list', resource: 'secrets', namespace: 'kube-system' }),
    ],
  },
};
