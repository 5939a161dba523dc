import type { AuditEvent } from '../../ingest';
import { actor, isTrustedImage, objectName, parseImage, pastTense, workloadKind } from '../../kube';
import type { AnomalyDetector } from '../types';
import { deploymentBody, exampleEvent, podBody } from './lib/example-events';
import { imagesObserved, imagesRolledOut } from './lib/image-sightings';
import { untrustedRegistryActive } from './untrusted-registry';

export const newImageRegistry: AnomalyDetector<AuditEvent> = {
  id: 'audit.new-image-registry',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'image-registry',
  expectedNoun: 'registries seen before',
  title: 'Image from a registry never seen before',
  description:
    'A workload runs an image from a registry this cluster has never pulled from. Supply-chain attacks and ' +
    'cryptominers often arrive this way, from a public or typo-squatted registry. When registries.trusted is set, ' +
    'audit.untrusted-registry reports untrusted registries as rule hits instead.',
  severity: 'medium',
  mitre: ['T1610', 'T1195.002'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Create Disallowed Pod',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Find who deployed the workload and why it uses this registry. If it is legitimate, add the registry to ' +
    'registries.trusted; if not, delete the workload and rotate any credentials it could reach.',

  // Learns from every image the audit log shows (pod status included); only a rollout is described.
  observe(event) {
    const images = imagesObserved(event);
    return images ? [...new Set(images.map((i) => parseImage(i).registry))] : undefined;
  },

  describe(registry, event, context) {
    const image = imagesRolledOut(event).find((i) => parseImage(i).registry === registry);
    if (!image) return undefined;
    if (context.trustedRegistries.matches(registry) || isTrustedImage(parseImage(image), context.trustedRegistries)) {
      return undefined;
    }
    // With a trusted list, audit.untrusted-registry reports the image as a rule hit already.
    if (untrustedRegistryActive(context)) return undefined;
    const user = actor(event);
    const kind = event.objectRef?.resource ?? 'workload';
    return {
      summary: `${user.username} ${pastTense(event.verb)} ${workloadKind(kind)} ${objectName(event)} with image ${image} from registry ${registry}, never seen in this cluster.`,
      entities: {
        user: user.username,
        sourceIps: event.sourceIps,
        userAgent: event.userAgent,
        namespace: event.objectRef?.namespace,
        resource: kind,
        name: event.objectRef?.name,
        verb: event.verb,
        image,
        registry,
      },
      evidence: `${event.verb} ${kind} ${objectName(event)} image=${image}`,
      dedupeKey: registry,
    };
  },

  examples: {
    baseline: ['docker.io', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
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
        requestObject: podBody('x', ['nginx:1.27', 'quay.io/foo/bar:1']),
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        name: 'y',
        requestObject: podBody('y', ['nginx:1.27']),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'deployments',
        namespace: 'web',
        name: 'api',
        requestObject: deploymentBody('api', ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.4.2']),
      }),
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'web', name: 'z' }),
    ],
  },
};
