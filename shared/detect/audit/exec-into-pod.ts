import type { AuditEvent } from '../../ingest';
import { actor, actorName, succeeded } from '../../kube';
import { redact } from '../../util';
import type { RuleDetector } from '../types';
import { baseEntities, isHuman } from './lib/actor';
import { sessionCommand } from './lib/command-analysis';
import { SYSTEM_NAMESPACES } from './lib/eks-defaults';
import { exampleEvent } from './lib/example-events';

const INTERACTIVE = new Set(['exec', 'attach', 'portforward']);
const TITLES: Record<string, string> = {
  exec: 'kubectl exec into a pod',
  attach: 'kubectl attach to a pod',
  portforward: 'kubectl port-forward to a pod',
  'ephemeral container': 'Debug container added to a pod',
};

function container(requestUri: string): string | undefined {
  const query = requestUri.indexOf('?');
  return query === -1 ? undefined : (new URLSearchParams(requestUri.slice(query + 1)).get('container') ?? undefined);
}

function action(event: AuditEvent): string | undefined {
  const ref = event.objectRef;
  if (ref?.resource !== 'pods' || !ref.subresource) return undefined;
  if (INTERACTIVE.has(ref.subresource) && (event.verb === 'create' || event.verb === 'get')) return ref.subresource;
  if (ref.subresource === 'ephemeralcontainers' && (event.verb === 'patch' || event.verb === 'update')) {
    return 'ephemeral container';
  }
  return undefined;
}

export const execIntoPod: RuleDetector<AuditEvent> = {
  id: 'audit.exec-into-pod',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Interactive access to a pod',
  description:
    'Someone opened a shell or a tunnel into a running container (kubectl exec, attach, port-forward or debug). ' +
    'In production this bypasses the deployment pipeline and is how attackers move from a stolen credential to a workload.',
  severity: 'medium',
  mitre: ['T1609', 'T1021'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'Attach/Exec Pod; port-forward; EphemeralContainers Created',
    guardduty: 'Execution:Kubernetes/ExecInKubeSystemPod',
    elastic: 'Kubernetes User Exec into Pod',
    sigma: 'Potential Remote Command Execution In Pod Container',
  },
  runbook:
    'Confirm with the person named whether the session was planned. If not, revoke their credentials, ' +
    'inspect the pod for changes, and replace it from a known-good image.',

  detect(event, context) {
    const what = action(event);
    if (!what || !succeeded(event)) return undefined;
    const ref = event.objectRef ?? {};
    const user = actor(event);
    const human = isHuman(user, context, event);
    const allowlisted = context.execAllowlist.matches(user.username);
    const systemNamespace = SYSTEM_NAMESPACES.has(ref.namespace ?? '');
    const command = sessionCommand(event);
    const target = `${ref.namespace ?? '?'}/${ref.name ?? '?'}`;
    return {
      severity: systemNamespace || (human && !allowlisted) ? 'high' : 'medium',
      title: TITLES[what] ?? 'Interactive access to a pod',
      summary:
        `${actorName(event)} ran ${what}${command ? ` "${redact(command)}"` : ''} in pod ${target}` +
        `${container(event.requestUri) ? ` (container ${container(event.requestUri)})` : ''}` +
        `${event.sourceIps[0] ? ` from ${event.sourceIps[0]}` : ''}.`,
      entities: { ...baseEntities(event), command: command ? redact(command) : undefined },
      evidence: `${event.verb} ${redact(event.requestUri).slice(0, 300)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${user.username}|${target}|${what}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        subresource: 'exec',
        namespace: 'payments',
        name: 'api-7d9f',
        requestUri:
          '/api/v1/namespaces/payments/pods/api-7d9f/exec?command=sh&command=-c&command=id&container=api&stdin=true&tty=true',
        responseCode: 101,
      }),
      exampleEvent({ verb: 'create', resource: 'pods', subresource: 'attach', namespace: 'default', name: 'web-1' }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        subresource: 'portforward',
        namespace: 'db',
        name: 'postgres-0',
      }),
      exampleEvent({
        verb: 'patch',
        resource: 'pods',
        subresource: 'ephemeralcontainers',
        namespace: 'web',
        name: 'web-2',
        requestObject: {
          spec: {
            ephemeralContainers: [{ name: 'debugger-x7k2p', image: 'busybox:1.36', command: ['sh'], stdin: true }],
          },
        },
      }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        subresource: 'exec',
        namespace: 'kube-system',
        name: 'coredns-5d8f9c-abcde',
        user: { username: 'system:serviceaccount:ci:runner', groups: ['system:serviceaccounts'] },
        requestUri:
          '/api/v1/namespaces/kube-system/pods/coredns-5d8f9c-abcde/exec?command=cat&command=%2Fetc%2Fresolv.conf',
        responseCode: 101,
      }),
    ],
    quiet: [
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'payments', name: 'api-7d9f' }),
      exampleEvent({ verb: 'get', resource: 'pods', subresource: 'log', namespace: 'payments', name: 'api-7d9f' }),
      exampleEvent({
        verb: 'create',
        resource: 'pods',
        subresource: 'exec',
        namespace: 'payments',
        name: 'api-7d9f',
        responseCode: 403,
        decision: 'forbid',
      }),
    ],
  },
};
