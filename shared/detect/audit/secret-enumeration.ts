import type { AuditEvent } from '../../ingest';
import { actor, identityKey, isSystemIdentity, succeeded } from '../../kube';
import type { DistinctDetector } from '../types';
import { baseEntities, isController } from './lib/actor';
import { exampleEvent } from './lib/example-events';
import { userAgentProduct } from './lib/user-agent';

/** The caller a key names: identity, address and client, so one stolen token used from two places counts twice. */
const SEPARATOR = '\u001f';

function secretRead(name: string, minute: number, user = 'system:serviceaccount:web:api', userAgent?: string) {
  return exampleEvent({
    verb: 'get',
    resource: 'secrets',
    namespace: 'web',
    name,
    user,
    userAgent,
    sourceIps: ['10.0.3.7'],
    time: new Date(Date.parse('2026-11-09T10:00:00Z') + minute * 60_000).toISOString(),
  });
}

const NAMES = Array.from({ length: 12 }, (_, i) => `db-credentials-${i}`);

export const secretEnumeration: DistinctDetector<AuditEvent> = {
  id: 'audit.secret-enumeration',
  kind: 'distinct',
  source: 'eks-audit',
  title: 'Many secrets read in a short time',
  description:
    'One caller (an identity, from one address, with one client) read many different secrets within a few minutes ' +
    "(audit.secretEnumeration, by default 10 in 10 minutes); a list of a namespace's secrets counts as one. " +
    'Applications read the few secrets they mount; reading one after another is someone harvesting credentials. ' +
    'Unlike audit.unusual-secret-access it fires whether or not the identity read secrets during learning. ' +
    'The cluster and the configured operators (identities.controllers) are left out.',
  severity: 'medium',
  mitre: ['T1552.007', 'T1613'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed',
    elastic: 'none',
    sigma: 'Kubernetes Secrets Enumeration',
  },
  runbook:
    'Find which secrets were read and by what (address, client). If the caller is an operator that syncs secrets, ' +
    'list it in identities.controllers. If not, revoke the credential and rotate every secret it read: treat them ' +
    'all as copied.',

  limits(context) {
    const { threshold, windowMinutes } = context.config.audit.secretEnumeration;
    return { threshold, windowMinutes };
  },

  distinct(event, context) {
    const ref = event.objectRef;
    if (ref?.resource !== 'secrets' || ref.subresource || !succeeded(event)) return undefined;
    if (event.verb !== 'get' && event.verb !== 'list') return undefined;
    if (event.verb === 'get' && !ref.name) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user) || isController(user, context)) return undefined;
    const key = [identityKey(user), event.sourceIps[0] ?? '', userAgentProduct(event.userAgent) ?? ''].join(SEPARATOR);
    const value =
      event.verb === 'list' ? `${ref.namespace ?? '(all namespaces)'}/*` : `${ref.namespace ?? ''}/${ref.name}`;
    return [{ key, value }];
  },

  describe(key, values, sample, context) {
    const [identity, address, client] = key.split(SEPARATOR);
    const { threshold, windowMinutes } = context.config.audit.secretEnumeration;
    const shown = values.slice(0, 10);
    return {
      severity: values.length >= 5 * threshold ? 'high' : 'medium',
      summary:
        `${identity} read ${values.length} different secrets within about ${windowMinutes} minutes ` +
        `(threshold ${threshold}) from ${address || 'an unknown address'}${client ? ` with ${client}` : ''}: ` +
        `${shown.join(', ')}${values.length > shown.length ? ', ...' : ''}.`,
      entities: { ...baseEntities(sample), secrets: shown, secretsRead: values.length },
      evidence: `${values.length} distinct secrets; first ${sample.verb} ${sample.requestUri.slice(0, 200)}`,
      dedupeKey: key,
    };
  },

  examples: {
    config: { identities: { controllers: ['system:serviceaccount:external-secrets:*'] } },
    fires: [
      NAMES.map((name, i) => secretRead(name, i % 8)),
      NAMES.slice(0, 10).map((name, i) => secretRead(name, i, 'alice@example.com')),
    ],
    quiet: [
      // The same few secrets read over and over.
      Array.from({ length: 30 }, (_, i) => secretRead(NAMES[i % 3] as string, i % 9)),
      // Spread over clients: each reads fewer than the threshold.
      NAMES.map((name, i) => secretRead(name, i % 8, 'alice@example.com', i % 2 ? 'kubectl/v1.31.0' : 'k9s/0.32')),
      NAMES.map((name, i) => secretRead(name, i % 8, 'system:serviceaccount:external-secrets:controller')),
      NAMES.map((name, i) => secretRead(name, i % 8, 'system:serviceaccount:kube-system:generic-garbage-collector')),
    ],
  },
};
