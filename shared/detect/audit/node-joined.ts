import type { AuditEvent } from '../../ingest';
import { actor, actorName, bodyOf, objectName, pathOf, succeeded } from '../../kube';
import { printable } from '../../util';
import type { DetectContext, RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { requestedNodeName } from './lib/csr';
import { exampleEvent } from './lib/example-events';

/** The signers of kubelet certificates: the node's client certificate and its serving one. */
const KUBELET_SIGNERS = new Set(['kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving']);

const NODE_USER = 'system:node:';

/** A kubelet, or a bootstrap token a new node joins with. */
function isJoiningIdentity(username: string, groups: readonly string[]): boolean {
  return (
    username.startsWith(NODE_USER) ||
    username.startsWith('system:bootstrap:') ||
    groups.includes('system:bootstrappers') ||
    groups.includes('system:nodes')
  );
}

/** The node an event joins and how: the Node object a kubelet registers, or the certificate it asks for. */
function joining(event: AuditEvent): { node: string; how: string } | undefined {
  const ref = event.objectRef;
  if (event.verb !== 'create' || ref?.subresource) return undefined;
  if (ref?.resource === 'nodes') {
    const name = objectName(event);
    return name === '(unnamed)' ? undefined : { node: name, how: 'registered node' };
  }
  if (ref?.resource !== 'certificatesigningrequests') return undefined;
  const user = actor(event);
  if (!isJoiningIdentity(user.username, user.groups)) return undefined;
  const body = bodyOf(event);
  const signer = pathOf(body, 'spec', 'signerName');
  if (body && (typeof signer !== 'string' || !KUBELET_SIGNERS.has(signer))) return undefined;
  const node = user.username.startsWith(NODE_USER)
    ? user.username.slice(NODE_USER.length)
    : requestedNodeName(pathOf(body, 'spec', 'request'));
  if (!node) return undefined;
  return { node, how: `asked for a kubelet certificate for node` };
}

function untrusted(event: AuditEvent, context: DetectContext): { node: string; how: string } | undefined {
  const join = joining(event);
  return join && !context.nodeNames.matches(join.node) ? join : undefined;
}

/** A bootstrap CSR asking for the node `kali-box` (CN=system:node:kali-box, O=system:nodes). */
const KALI_CSR =
  'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIeU1JR1lBZ0VBTURZeEZUQVRCZ05WQkFvTURITjVjM1JsYlRwdWIyUmxjekVkTUJzR0ExVUVBd3dVYzNsegpkR1Z0T201dlpHVTZhMkZzYVMxaWIzZ3dXVEFUQmdjcWhrak9QUUlCQmdncWhrak9QUU1CQndOQ0FBVG1yc1FvClB6Y3FtQStBLzdYUyt5TXVxcG5nQzdHajEvQ0ZxYjhrNTNRWmtqT3gwbE54dVFLSmZiN3VsV0paSjhBQXNoRjEKY0VueWVKQ0RVakhocWRoTG9BQXdDZ1lJS29aSXpqMEVBd0lEU1FBd1JnSWhBTmJ6UHNnSTEwZ0laVGhZd3MyWApjdXgyN1lYdmZibHRWK2ZHVVBoZlZ0Z1hBaUVBL3JvTysrclkzUVNyK0RacGVjRGN0NVRLZDAvejVJVS81VVRrCnZvSGkxTXc9Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo=';

function registers(node: string, responseCode = 201) {
  return exampleEvent({
    verb: 'create',
    resource: 'nodes',
    user: { username: `${NODE_USER}${node}`, groups: ['system:nodes', 'system:authenticated'] },
    responseCode,
    decision: responseCode === 403 ? 'forbid' : 'allow',
    requestObject: { kind: 'Node', apiVersion: 'v1', metadata: { name: node } },
  });
}

function bootstrapCsr(request: string, responseCode = 201) {
  return exampleEvent({
    verb: 'create',
    resource: 'certificatesigningrequests',
    user: { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:authenticated'] },
    responseCode,
    requestObject: {
      kind: 'CertificateSigningRequest',
      apiVersion: 'certificates.k8s.io/v1',
      metadata: { generateName: 'csr-' },
      spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', request, usages: ['client auth'] },
    },
  });
}

export const nodeJoined: RuleDetector<AuditEvent> = {
  id: 'audit.node-joined',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Node with an unexpected name joined the cluster',
  description:
    "A node registered, or asked for its kubelet certificate, under a name that matches none of the cluster's node " +
    "names (audit.nodeNames; by default EKS's ip-*.compute.internal, ip-*.ec2.internal and i-*). A machine that " +
    'joins as a node receives the secrets of every pod scheduled on it; one that tries and fails holds a bootstrap ' +
    'token or a node credential. Successful joins are high, attempts medium.',
  severity: 'high',
  mitre: ['T1078', 'T1098'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Untrusted Node Successfully Joined the Cluster; Untrusted Node Unsuccessfully Tried to Join the Cluster',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Look the node up (`kubectl get node NAME -o wide`): its provider ID and address. If it is not an instance of ' +
    'your node groups, cordon and delete it, revoke the credential it joined with (bootstrap token, node role in ' +
    'aws-auth or access entries), and check which pods were scheduled on it. If your nodes are named otherwise, ' +
    'list their pattern in audit.nodeNames.',

  dedupeKey(event, context) {
    return untrusted(event, context)?.node;
  },

  detect(event, context) {
    const join = untrusted(event, context);
    if (!join) return undefined;
    const allowed = succeeded(event);
    const node = printable(join.node, 253);
    return {
      severity: allowed ? 'high' : 'medium',
      title: allowed ? undefined : 'Node with an unexpected name tried to join the cluster',
      summary:
        `${actorName(event)} ${allowed ? '' : 'tried and failed: '}${join.how} ${node}, which matches none of ` +
        `audit.nodeNames (${context.config.audit.nodeNames.join(', ')}).`,
      entities: { ...baseEntities(event), node },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'}`,
      dedupeKey: join.node,
    };
  },

  examples: {
    fires: [
      registers('kali-box'),
      registers('attacker-node', 403),
      bootstrapCsr(KALI_CSR),
      bootstrapCsr(KALI_CSR, 403),
    ],
    quiet: [
      registers('ip-10-0-1-5.eu-west-1.compute.internal'),
      registers('ip-10-0-1-5.ec2.internal'),
      registers('i-0123456789abcdef0'),
      bootstrapCsr('bm90IGEgY3Ny'),
      exampleEvent({ verb: 'get', resource: 'nodes', name: 'kali-box' }),
    ],
  },
};
