import type { AuditEvent } from '../../ingest';
import { actor, actorName, isTrustedImage, objectName, parseImage, pastTense, workloadKind } from '../../kube';
import type { AnomalyDetector } from '../types';
import { baseEntities } from './lib/actor';
import { deploymentBody, exampleEvent, podBody } from './lib/example-events';
import { imagesObserved, imagesRolledOut, isPipeline } from './lib/image-sightings';

function repositoryOf(image: string): string {
  const ref = parseImage(image);
  return `${ref.registry}/${ref.repository}`;
}

export const newImageRepository: AnomalyDetector<AuditEvent> = {
  id: 'audit.new-image-repository',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'image-repository',
  expectedNoun: 'repositories seen before',
  title: 'Image from a repository never seen before',
  description:
    'A workload runs an image from a repository this cluster never ran, in a registry it may know well: ' +
    'docker.io/library/busybox next to docker.io/library/nginx, or a new path in a public registry. New tools ' +
    'dropped into a cluster (netshoot, kubectl images, miners) show up here first. Learns from every image the ' +
    "audit log shows, the kubelet's pod status reports included, so workloads running since before the first " +
    'log are known. Low for trusted registries, and for a pipeline release from a registry the cluster already uses.',
  severity: 'medium',
  mitre: ['T1610', 'T1204.003'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Execution:Kubernetes/AnomalousBehavior.WorkloadDeployed',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Check what the image is and who deployed it. A new release of your own service is expected; a debugging or ' +
    'attack tool, or an image nobody recognises, is not: remove it and look at what it did.',

  // Learns from every image the audit log shows (pod status included), so images running since
  // before the first log are known; only a rollout (a written pod spec) is described.
  observe(event) {
    const images = imagesObserved(event);
    return images ? [...new Set(images.map(repositoryOf))] : undefined;
  },

  related: { kind: 'image-registry', of: (repository) => repository.slice(0, repository.indexOf('/')) },

  describe(repository, event, context, registryKnown) {
    const image = imagesRolledOut(event).find((i) => repositoryOf(i) === repository);
    if (!image) return undefined;
    const trusted = isTrustedImage(parseImage(image), context.trustedRegistries);
    // The pipeline's release of a new service, from a registry the cluster already pulls from, is
    // routine; a person's or a service account's new tool, or a new registry, is not.
    const routine = registryKnown === true && isPipeline(actor(event), context, event);
    const kind = workloadKind(event.objectRef?.resource);
    return {
      severity: trusted || routine ? 'low' : 'medium',
      summary: `${actorName(event)} ${pastTense(event.verb)} ${kind} ${objectName(event)} with image ${image}, from repository ${repository}, never seen in this cluster.`,
      entities: { ...baseEntities(event), image, registry: parseImage(image).registry, repository },
      evidence: `${event.verb} ${kind} ${objectName(event)} image=${image}`,
      dedupeKey: repository,
    };
  },

  examples: {
    baseline: ['docker.io/library/nginx', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web'],
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        name: 'tools',
        requestObject: podBody('tools', ['nicolaka/netshoot:v0.13']),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'deployments',
        namespace: 'web',
        name: 'x',
        requestObject: deploymentBody('x', ['nginx:1.27', 'busybox:1.36']),
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        name: 'y',
        requestObject: podBody('y', ['nginx:1.28']),
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'deployments',
        namespace: 'shop',
        name: 'web',
        requestObject: deploymentBody('web', ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.43.0']),
      }),
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'web', name: 'z' }),
    ],
  },
};
