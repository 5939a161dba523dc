import type { AuditEvent } from '../../ingest';
import { actor, actorName, isServiceAccount, isSystemIdentity, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

/** Kubelet endpoints that run commands or hand out containers' insides. */
const COMMAND_PATHS = /^(?:run|exec|attach|portforward|containerlogs|checkpoint|cri)\b/i;
/** What monitoring scrapes through the API server proxy. */
const METRICS_PATHS = /^(?:metrics(?:\/.*)?|stats(?:\/.*)?|healthz|spec)?$/i;

/** The kubelet path an `nodes/proxy` request reaches: the part after `/proxy/`. */
function kubeletPath(requestUri: string): string {
  const path = requestUri.split('?')[0] ?? '';
  const at = path.indexOf('/proxy');
  return at === -1 ? '' : path.slice(at + '/proxy'.length).replace(/^\/+/, '');
}

function proxy(path: string, user?: string) {
  return exampleEvent({
    verb: 'get',
    resource: 'nodes',
    subresource: 'proxy',
    name: 'ip-10-0-1-23.eu-west-1.compute.internal',
    requestUri: `/api/v1/nodes/ip-10-0-1-23.eu-west-1.compute.internal/proxy/${path}`,
    ...(user ? { user: { username: user, groups: ['system:serviceaccounts'] } } : {}),
  });
}

export const nodesProxy: RuleDetector<AuditEvent> = {
  id: 'audit.nodes-proxy',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Kubelet API reached through nodes/proxy',
  description:
    'A request went through the API server to a kubelet (nodes/proxy). The kubelet API can run commands in any ' +
    'container on the node, and what is done there never shows in the audit log as an exec. Monitoring that scrapes ' +
    "metrics and stats this way is quiet when it runs under a service account; anything that reaches the kubelet's " +
    'run, exec, attach, port-forward, logs or checkpoint endpoints is high.',
  severity: 'medium',
  mitre: ['T1609', 'T1068'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'Kubernetes API Server Proxying Request to Kubelet',
    sigma: 'none',
  },
  runbook:
    'Identify who holds nodes/proxy (it is as good as exec on every pod of the node) and whether this use is ' +
    'monitoring. If not, remove the grant, then inspect the node: what the kubelet ran is only in its own logs.',

  detect(event) {
    const ref = event.objectRef;
    if (ref?.resource !== 'nodes' || ref.subresource !== 'proxy' || !succeeded(event)) return undefined;
    const user = actor(event);
    if (isSystemIdentity(user)) return undefined;
    const path = kubeletPath(event.requestUri);
    const command = COMMAND_PATHS.test(path);
    if (!command && METRICS_PATHS.test(path) && isServiceAccount(user)) return undefined;
    return {
      severity: command ? 'high' : METRICS_PATHS.test(path) ? 'low' : 'medium',
      summary: `${actorName(event)} reached the kubelet of node ${ref.name ?? '?'} through the API server: /${path.slice(0, 200)}.`,
      entities: { ...baseEntities(event), kubeletPath: `/${path.slice(0, 200)}` },
      evidence: `${event.verb} ${event.requestUri.slice(0, 300)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: `${user.username}|${ref.name ?? '?'}|${path.split('/')[0]}`,
    };
  },

  examples: {
    fires: [
      proxy('run/payments/api-7d9f/api?cmd=id'),
      proxy('exec/payments/api-7d9f/api?command=sh', 'system:serviceaccount:monitoring:prometheus'),
      proxy('pods'),
      proxy('configz'),
    ],
    quiet: [
      proxy('metrics/cadvisor', 'system:serviceaccount:monitoring:prometheus'),
      proxy('stats/summary', 'system:serviceaccount:monitoring:metrics-collector'),
      exampleEvent({ verb: 'get', resource: 'nodes', name: 'ip-10-0-1-23.eu-west-1.compute.internal' }),
    ],
  },
};
