import type { AuditEvent } from '../../ingest';
import {
  actor,
  actorName,
  awsAuthMappings,
  bodyOf,
  isAdminMapping,
  isAwsAuth,
  isWrite,
  mappingLine,
  pastTense,
  succeeded,
} from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const MAP_ROLES = `- rolearn: arn:aws:iam::123456789012:role/shop-prod-node-role
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
`;

function awsAuthBody(mapUsers?: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'aws-auth', namespace: 'kube-system' },
    data: { mapRoles: MAP_ROLES, ...(mapUsers ? { mapUsers } : {}) },
  };
}

export const awsAuthModified: RuleDetector<AuditEvent> = {
  id: 'audit.aws-auth-modified',
  kind: 'rule',
  source: 'eks-audit',
  title: 'EKS aws-auth ConfigMap changed',
  description:
    'The kube-system/aws-auth ConfigMap was created, changed or deleted. On EKS it maps IAM roles and users to ' +
    'Kubernetes users and groups, so whoever edits it decides which AWS identities are cluster administrators ' +
    '(system:masters). Adding a mapping is a quiet way to keep access; deleting it locks everyone but the cluster ' +
    'creator out. Changes by EKS itself (eks: identities) are recorded at info; every change goes to the RBAC trail.',
  severity: 'high',
  mitre: ['T1098', 'T1078.004'],
  dedupeMinutes: 10,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'EKS Authentication Configuration Modified',
    sigma: 'none',
  },
  runbook:
    'Run `driftwatch rbac-history aws-auth` to see the diff. Confirm each added mapping with its owner, remove any ' +
    'you cannot account for, and check CloudTrail for what the mapped IAM identity did. Prefer EKS access entries, ' +
    'which are IAM-governed and logged in CloudTrail.',

  detect(event) {
    if (!isAwsAuth(event) || !isWrite(event.verb) || event.objectRef?.subresource || !succeeded(event))
      return undefined;
    const user = actor(event);
    const mappings = event.verb.startsWith('delete') ? undefined : awsAuthMappings(bodyOf(event));
    const admins = (mappings ?? []).filter(isAdminMapping);
    const byEks = user.username.startsWith('eks:');
    return {
      severity: byEks ? 'info' : 'high',
      title: event.verb.startsWith('delete') ? 'EKS aws-auth ConfigMap deleted' : undefined,
      summary:
        `${actorName(event)} ${pastTense(event.verb)} kube-system/aws-auth` +
        `${mappings ? `, which now maps ${mappings.length} IAM identit${mappings.length === 1 ? 'y' : 'ies'}` : ''}` +
        `${admins.length ? ` (into system:masters: ${admins.map((m) => m.arn).join(', ')})` : ''}` +
        `${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}.`,
      entities: {
        ...baseEntities(event),
        mappedArns: mappings?.map((m) => m.arn),
        adminArns: admins.length ? admins.map((m) => m.arn) : undefined,
      },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)}${mappings ? ` mappings=[${mappings.map(mappingLine).join(' | ').slice(0, 600)}]` : ''}`,
      dedupeKey: event.auditId,
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'update',
        resource: 'configmaps',
        namespace: 'kube-system',
        name: 'aws-auth',
        requestObject: awsAuthBody(
          '- userarn: arn:aws:iam::123456789012:user/dave\n  username: dave\n  groups:\n    - system:masters\n',
        ),
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'configmaps',
        namespace: 'kube-system',
        name: 'aws-auth',
        requestObject: { data: { mapRoles: MAP_ROLES } },
      }),
      exampleEvent({ verb: 'delete', resource: 'configmaps', namespace: 'kube-system', name: 'aws-auth' }),
    ],
    quiet: [
      exampleEvent({ verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'aws-auth' }),
      exampleEvent({
        verb: 'update',
        resource: 'configmaps',
        namespace: 'kube-system',
        name: 'coredns',
        requestObject: { data: { Corefile: '.:53 {}' } },
      }),
      exampleEvent({
        verb: 'update',
        resource: 'configmaps',
        namespace: 'default',
        name: 'aws-auth',
        requestObject: awsAuthBody(),
      }),
    ],
  },
};
