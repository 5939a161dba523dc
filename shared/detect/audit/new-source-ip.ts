import ipaddr from 'ipaddr.js';
import type { AuditEvent, AuditUser } from '../../ingest';
import { canonicalIpv4 } from '../../intel';
import { actor, identityKey, isAnonymous, isSystemIdentity, objectName, pastTense } from '../../kube';
import { AddressClassifier, addressBlock } from '../../network';
import type { AnomalyDetector } from '../types';
import { baseEntities, isCicdIdentity } from './lib/actor';
import { exampleEvent } from './lib/example-events';

const classifier = new AddressClassifier();
const PRIVATE = 'private';

/**
 * The network a caller is in, as the baseline learns it: every private address is one network
 * (pods and nodes move around inside the VPC), a public one is its /24 (IPv4) or /48 (IPv6).
 */
function callerNetwork(address: string): string | undefined {
  // Canonical IPv4 is keyed by its number: cheaper to hash than each event's fresh string.
  const ip = canonicalIpv4(address);
  const key = ip >= 0 ? ip : address;
  const known = networks.get(key);
  if (known !== undefined) return known ?? undefined;
  const network = networkOf(address);
  // Every audit event asks; callers are few, so answers are kept (and dropped wholesale if not).
  if (networks.size > 50_000) networks.clear();
  networks.set(key, network ?? null);
  return network;
}

const networks = new Map<number | string, string | null>();

function networkOf(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const normalized = parsed.toString();
  return classifier.classify(normalized) === 'public' ? addressBlock(normalized) : PRIVATE;
}

/** A service account, node or control-plane identity (`system:...`) or an EKS one (`eks:...`): not a person. */
function isMachine(user: AuditUser): boolean {
  return isSystemIdentity(user) || user.username.startsWith('system:') || user.username.startsWith('eks:');
}

function split(value: string): { identity: string; network: string } {
  const at = value.lastIndexOf('|');
  return { identity: value.slice(0, at), network: value.slice(at + 1) };
}

export const newSourceIp: AnomalyDetector<AuditEvent> = {
  id: 'audit.new-source-ip',
  kind: 'anomaly',
  source: 'eks-audit',
  baselineKind: 'identity-network',
  expectedNoun: 'networks this identity called from before',
  title: 'Identity calls from a new network',
  description:
    'An identity called the API from a network it never used: a public /24 (or /48) it was never seen in, or the ' +
    'internet when it only ever called from inside. A service account token, a kubelet or an EKS identity used ' +
    'from a public address it never came from means the credential left the cluster: high. A person on a new ' +
    'network (travel, home) is low. CI/CD identities (their runners rotate addresses) and audit.knownNetworks are ' +
    'left out; private addresses count as one network, and only people are followed there.',
  severity: 'low',
  mitre: ['T1078', 'T1550.001'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'For a service account or system identity: find where its token could have leaked (a pod exec, a log, a CI ' +
    'variable), delete the pods that hold it (bound tokens die with them) or recreate the service account, and ' +
    'review what was done from the address. For a person: confirm with them.',

  observe(event, context) {
    const address = event.sourceIps[0];
    if (!address || context.knownNetworks.contains(address)) return undefined;
    const user = actor(event);
    if (isAnonymous(user) || isCicdIdentity(user, context, event) || user.username === 'system:apiserver')
      return undefined;
    const network = callerNetwork(address);
    if (!network) return undefined;
    // Pods and the control plane call from inside all day; for them only the internet is news.
    if (network === PRIVATE && isMachine(user)) return undefined;
    return [`${identityKey(user)}|${network}`];
  },

  describe(value, event) {
    const { identity, network } = split(value);
    const user = actor(event);
    const machine = isMachine(user);
    const external = network !== PRIVATE;
    return {
      severity: machine ? 'high' : 'low',
      title: machine && external ? 'Cluster credential used from the internet' : undefined,
      summary:
        `${identity} called the API from ${event.sourceIps[0]} (${external ? network : 'a private network'}), a network it never used, ` +
        `and ${pastTense(event.verb)} ${event.objectRef?.resource ? `${event.objectRef.resource} ${objectName(event)}` : event.requestUri.slice(0, 100)}.`,
      entities: { ...baseEntities(event), network },
      evidence: `${user.username} from ${event.sourceIps.join(', ')} ua=${event.userAgent ?? '?'}: ${event.verb} ${event.requestUri.slice(0, 200)}`,
      dedupeKey: value,
    };
  },

  examples: {
    config: { identities: { cicd: ['github-actions'] }, audit: { knownNetworks: ['192.0.2.0/24'] } },
    baseline: ['alice|203.0.113.0/24', 'alice|private'],
    fires: [
      exampleEvent({
        verb: 'list',
        resource: 'secrets',
        namespace: 'payments',
        user: { username: 'system:serviceaccount:payments:api', groups: ['system:serviceaccounts'] },
        sourceIps: ['198.51.100.23'],
      }),
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'web', user: 'alice', sourceIps: ['198.18.7.7'] }),
      exampleEvent({
        verb: 'get',
        resource: 'nodes',
        user: { username: 'system:node:ip-10-0-1-23.eu-west-1.compute.internal', groups: ['system:nodes'] },
        sourceIps: ['2001:db8:aa::5'],
      }),
    ],
    quiet: [
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'web', user: 'alice', sourceIps: ['203.0.113.45'] }),
      exampleEvent({ verb: 'get', resource: 'pods', namespace: 'web', user: 'alice', sourceIps: ['10.20.0.7'] }),
      exampleEvent({
        verb: 'get',
        resource: 'pods',
        user: { username: 'system:serviceaccount:payments:api', groups: [] },
        sourceIps: ['10.0.2.77'],
      }),
      exampleEvent({ verb: 'get', resource: 'pods', user: 'github-actions', sourceIps: ['20.1.2.3'] }),
      exampleEvent({ verb: 'get', resource: 'pods', user: 'bob', sourceIps: ['192.0.2.10'] }),
    ],
  },
};
