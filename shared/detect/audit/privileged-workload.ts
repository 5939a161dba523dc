import type { AuditEvent } from '../../ingest';
import { actorName, containersOf, created, ownerWorkload, workloadKind } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent, podBody } from './lib/example-events';
import { unallowedRisks, writesPodSpec } from './lib/pod-security';

function pod(spec: Record<string, unknown>, containers: Record<string, unknown>[]): Record<string, unknown> {
  return { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { ...spec, containers } };
}

export const privilegedWorkload: RuleDetector<AuditEvent> = {
  id: 'audit.privileged-workload',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Workload with host access',
  description:
    'A pod, or the pod template of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob, breaks out of ' +
    'container isolation: a privileged container (init and ephemeral ones included), the host network, PID or IPC ' +
    'namespace, a mount of a sensitive host path (/, /etc, /proc, the kubelet directory, the container runtime ' +
    'socket, ...), or a capability such as SYS_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, NET_ADMIN or SYSLOG. ' +
    'Any other host path is low: it outlives the pod and is shared with the node. Such a pod ' +
    "owns its node, the node's IAM role, and every secret of every pod on it. EKS's add-ons that need host access are " +
    'built in; allow your own with audit.privilegedWorkloads.',
  severity: 'high',
  mitre: ['T1611', 'T1610'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco:
      'Create Privileged Pod; Create Sensitive Mount Pod; Create HostNetwork Pod; Create HostPid Pod; Create HostIPC Pod',
    guardduty: 'PrivilegeEscalation:Kubernetes/AnomalousBehavior.WorkloadDeployed!PrivilegedContainer',
    elastic: 'Kubernetes Privileged Pod Created; Kubernetes Pod Created with a Sensitive hostPath Volume',
    sigma: 'Privileged Container Deployed; Container With A hostPath Mount Created',
  },
  runbook:
    'Confirm the workload needs host access (a CNI, a storage driver, a security or monitoring agent) and who ' +
    'deployed it. If it is legitimate, list it in audit.privilegedWorkloads with only the settings it needs. If not, ' +
    'delete it and treat its nodes as compromised: rotate the node role and the secrets of every pod they ran.',

  detect(event, context) {
    const ref = event.objectRef;
    if (!ref?.resource || !writesPodSpec(event)) return undefined;
    const risks = unallowedRisks(event, context);
    if (risks.length === 0) return undefined;
    const owner = ownerWorkload(event);
    const kind = workloadKind(ref.resource);
    const images = [...new Set(containersOf(event).map((c) => c.image))];
    const settings = [...new Set(risks.map((r) => r.setting))].sort();
    const verb = created(event) ? 'created' : 'changed';
    const via = kind === owner.kind ? '' : ` (${kind} of ${owner.kind} ${owner.name})`;
    return {
      severity: risks.some((r) => r.high) ? 'high' : risks.some((r) => !r.low) ? 'medium' : 'low',
      title: risks.some((r) => r.setting === 'privileged') ? 'Privileged container' : undefined,
      summary:
        `${actorName(event)} ${verb} ${owner.kind} ${owner.namespace}/${owner.name}${via} with ` +
        `${risks.map((r) => r.detail).join(', ')}${images.length ? `; images ${images.join(', ')}` : ''}.`,
      entities: {
        ...baseEntities(event),
        workload: `${owner.kind} ${owner.namespace}/${owner.name}`,
        images: images.length ? images : undefined,
        settings,
      },
      evidence: `${event.verb} ${kind} ${owner.namespace}/${owner.name}: ${risks.map((r) => r.detail).join('; ')}`,
      dedupeKey: `${owner.namespace}/${owner.name}|${settings.join(',')}`,
    };
  },

  examples: {
    config: { audit: { privilegedWorkloads: [{ workload: 'monitoring/node-exporter', allow: ['hostNetwork'] }] } },
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'default',
        name: 'nginx',
        requestObject: pod({}, [{ name: 'nginx', image: 'nginx', securityContext: { privileged: true } }]),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'daemonsets',
        apiGroup: 'apps',
        namespace: 'kube-system',
        name: 'node-agent',
        requestObject: {
          kind: 'DaemonSet',
          spec: {
            template: {
              spec: {
                hostPID: true,
                volumes: [{ name: 'root', hostPath: { path: '/' } }],
                containers: [
                  { name: 'agent', image: 'busybox:1.36', volumeMounts: [{ name: 'root', mountPath: '/host' }] },
                ],
              },
            },
          },
        },
      }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        requestObject: pod({}, [
          { name: 'app', image: 'nginx' },
          { name: 'sidecar', image: 'busybox', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } },
        ]),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        requestObject: pod(
          { initContainers: [{ name: 'init', image: 'busybox', securityContext: { privileged: true } }] },
          [{ name: 'app', image: 'nginx' }],
        ),
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'daemonsets',
        namespace: 'monitoring',
        name: 'node-exporter',
        requestObject: {
          spec: {
            template: {
              spec: {
                hostNetwork: true,
                hostPID: true,
                containers: [{ name: 'node-exporter', image: 'quay.io/prometheus/node-exporter:v1.8.2' }],
              },
            },
          },
        },
      }),
      // Any host path, at low; and the kernel log.
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        requestObject: pod({ volumes: [{ name: 'certs', hostPath: { path: '/etc/ssl/certs' } }] }, [
          { name: 'app', image: 'nginx' },
        ]),
      }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        requestObject: pod({}, [
          { name: 'app', image: 'nginx', securityContext: { capabilities: { add: ['SYSLOG'] } } },
        ]),
      }),
    ],
    quiet: [
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        namespace: 'web',
        requestObject: podBody('web', ['nginx:1.27']),
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'daemonsets',
        namespace: 'monitoring',
        name: 'node-exporter',
        requestObject: {
          spec: {
            template: {
              spec: {
                hostNetwork: true,
                containers: [{ name: 'ne', image: 'quay.io/prometheus/node-exporter:v1.8.2' }],
              },
            },
          },
        },
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'daemonsets',
        namespace: 'kube-system',
        name: 'aws-node',
        requestObject: {
          spec: {
            template: {
              spec: {
                hostNetwork: true,
                containers: [
                  { name: 'aws-node', image: 'cni', securityContext: { capabilities: { add: ['NET_ADMIN'] } } },
                ],
              },
            },
          },
        },
      }),
    ],
  },
};
