import type { AuditEvent } from '../../ingest';
import {
  actorName,
  containersOf,
  created,
  isTrustedImage,
  ownerWorkload,
  parseImage,
  succeeded,
  workloadKind,
} from '../../kube';
import type { DetectContext, RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { deploymentBody, exampleEvent, podBody } from './lib/example-events';

/** The rule is on when the config names trusted registries and the detector is not disabled. */
export function untrustedRegistryActive(context: DetectContext): boolean {
  return (
    context.config.registries.trusted.length > 0 &&
    context.config.detectors['audit.untrusted-registry']?.enabled !== false
  );
}

export const untrustedRegistry: RuleDetector<AuditEvent> = {
  id: 'audit.untrusted-registry',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Image from an untrusted registry',
  description:
    "A workload runs an image from a registry outside registries.trusted (EKS's own add-on registries are always " +
    'trusted). Only active when the trusted list is set; it fires from the first event, without a learning period. ' +
    'An entry may name a registry (`quay.io`) or a path in one (`public.ecr.aws/aws-observability/*`).',
  severity: 'high',
  mitre: ['T1610', 'T1195.002'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Create Disallowed Pod',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Find who deployed the workload. If the registry is legitimate, add it to registries.trusted. If not, delete the ' +
    'workload, and enforce the list at admission (a Kyverno or Gatekeeper policy, or ECR pull-through caches).',

  detect(event, context) {
    if (!untrustedRegistryActive(context) || !succeeded(event)) return undefined;
    if (event.objectRef?.subresource && event.objectRef.subresource !== 'ephemeralcontainers') return undefined;
    const untrusted = containersOf(event).filter(
      (c) => !isTrustedImage(parseImage(c.image), context.trustedRegistries),
    );
    if (untrusted.length === 0) return undefined;
    const registries = [...new Set(untrusted.map((c) => parseImage(c.image).registry))].sort();
    const images = [...new Set(untrusted.map((c) => c.image))];
    const owner = ownerWorkload(event);
    const kind = workloadKind(event.objectRef?.resource);
    return {
      summary:
        `${actorName(event)} ${created(event) ? 'created' : 'changed'} ${kind} ${owner.namespace}/${owner.name} with ` +
        `${images.join(', ')}, from ${registries.join(', ')}, outside the trusted registries.`,
      entities: { ...baseEntities(event), image: images[0], images, registry: registries[0], registries },
      evidence: `${event.verb} ${kind} ${owner.namespace}/${owner.name} images=${images.join(',')}`,
      dedupeKey: `${registries.join(',')}|${owner.namespace}/${owner.name}`,
    };
  },

  examples: {
    config: {
      registries: {
        trusted: ['123456789012.dkr.ecr.*.amazonaws.com', 'docker.io', 'public.ecr.aws/aws-observability/*'],
      },
    },
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'deployments',
        namespace: 'web',
        name: 'miner',
        requestObject: deploymentBody('miner', ['ghcr.io/evil/xmrig:latest']),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        name: 'x',
        requestObject: podBody('x', ['nginx:1.27', 'public.ecr.aws/evil/tool:1']),
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'deployments',
        namespace: 'web',
        name: 'api',
        requestObject: deploymentBody('api', [
          '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.4.2',
          'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2',
          'redis:7',
        ]),
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'daemonsets',
        namespace: 'kube-system',
        name: 'aws-node',
        requestObject: deploymentBody('aws-node', [
          '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.5',
        ]),
      }),
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'web', name: 'z' }),
    ],
  },
};
