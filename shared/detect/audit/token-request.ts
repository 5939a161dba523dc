import type { AuditEvent } from '../../ingest';
import { actor, actorName, asObject, bodyOf, isSystemIdentity, pathOf, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const DAY_SECONDS = 86_400;

function tokenSecret(event: AuditEvent): boolean {
  return (
    event.objectRef?.resource === 'secrets' &&
    !event.objectRef.subresource &&
    (event.verb === 'create' || event.verb === 'update') &&
    bodyOf(event)?.type === 'kubernetes.io/service-account-token'
  );
}

export const tokenRequest: RuleDetector<AuditEvent> = {
  id: 'audit.token-request',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Service account token minted by hand',
  description:
    'Someone other than the kubelet and the control plane asked the TokenRequest API for a service account token ' +
    "(kubectl create token), or created a long-lived token Secret. A minted token carries the service account's " +
    "permissions wherever it goes, and with the sts.amazonaws.com audience it is also the workload's IAM role " +
    '(IRSA). High for kube-system service accounts, AWS audiences and tokens that live longer than a day.',
  severity: 'medium',
  mitre: ['T1528', 'T1550.001'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes Service Account Token Created via TokenRequest API',
    sigma: 'none',
  },
  runbook:
    'Ask the person why they needed the token. Tokens from the TokenRequest API cannot be revoked one by one: if ' +
    'the request is not accounted for, delete and recreate the service account (which invalidates its tokens) and ' +
    'review what the service account did since.',

  detect(event) {
    const ref = event.objectRef;
    const tokenRequestCall =
      ref?.resource === 'serviceaccounts' && ref.subresource === 'token' && event.verb === 'create';
    if ((!tokenRequestCall && !tokenSecret(event)) || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    const body = bodyOf(event);
    let account = `${ref?.namespace ?? '?'}/${ref?.name ?? '?'}`;
    if (!tokenRequestCall) {
      const annotations = asObject(pathOf(body, 'metadata', 'annotations'));
      account = `${ref?.namespace ?? '?'}/${String(annotations?.['kubernetes.io/service-account.name'] ?? '?')}`;
    }
    const audiences = (pathOf(body, 'spec', 'audiences') as unknown[] | undefined)?.filter(
      (a): a is string => typeof a === 'string',
    );
    const expiration = Number(pathOf(body, 'spec', 'expirationSeconds') ?? 0);
    const reasons: string[] = [];
    if (ref?.namespace === 'kube-system') reasons.push('a kube-system service account');
    if (audiences?.some((a) => a.includes('amazonaws.com'))) reasons.push(`audience ${audiences.join(', ')}`);
    if (expiration > DAY_SECONDS) reasons.push(`valid ${Math.round(expiration / 3600)} hours`);
    if (!tokenRequestCall) reasons.push('a token Secret that never expires');
    return {
      severity: reasons.length ? 'high' : 'medium',
      summary:
        `${actorName(event)} minted a token for service account ${account}` +
        `${reasons.length ? ` (${reasons.join('; ')})` : ''}${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}.`,
      entities: { ...baseEntities(event), serviceAccount: account, audiences },
      evidence: `${event.verb} ${event.requestUri.slice(0, 250)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${user.username}|${account}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'payments',
        name: 'api',
        requestObject: { kind: 'TokenRequest', spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 3600 } },
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'shop',
        name: 'web',
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'create',
        resource: 'secrets',
        namespace: 'kube-system',
        name: 'admin-token',
        requestObject: {
          kind: 'Secret',
          type: 'kubernetes.io/service-account-token',
          metadata: { name: 'admin-token', annotations: { 'kubernetes.io/service-account.name': 'admin' } },
        },
        responseCode: 201,
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'shop',
        name: 'web',
        user: { username: 'system:node:ip-10-0-1-23.eu-west-1.compute.internal', groups: ['system:nodes'] },
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'create',
        resource: 'secrets',
        namespace: 'test2',
        name: 'default-token-7v4pb',
        user: { username: 'system:kube-controller-manager', groups: ['system:authenticated'] },
        requestObject: { kind: 'Secret', type: 'kubernetes.io/service-account-token' },
      }),
      exampleEvent({ verb: 'get', resource: 'serviceaccounts', namespace: 'shop', name: 'web' }),
    ],
  },
};
