import type { FlowEdge } from '../../network';
import { isInternal } from '../../network';
import type { ThresholdDetector } from '../types';
import { connectionAttempts, shortRecords } from './lib/attempts';
import { edgeEntities, edgeRoles, endText } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';

/**
 * Packets a record of a failed login carries at most, on average: an SSH or RDP handshake and a
 * refused password are a few dozen packets each way; a session that logged in sends far more.
 */
const LOGIN_PACKETS = 60;

const PORT_NAMES: Record<number, string> = { 22: 'SSH', 3389: 'RDP', 5985: 'WinRM', 5986: 'WinRM over TLS' };

function portName(port: number): string {
  return PORT_NAMES[port] ?? `port ${port}`;
}

/**
 * Short accepted connections from one client to one server on a remote-login port. Needs no TCP
 * flags: attempts are estimated from record counts (see `connectionAttempts`). REJECTed records
 * alone do not count: a closed port is not being logged into, and port scans are reported apart.
 */
function counts(edge: FlowEdge, ports: readonly number[]): boolean {
  if (edge.serverPort === undefined || !ports.includes(edge.serverPort)) return false;
  if (edge.protocol !== undefined && edge.protocol !== 6) return false;
  if (edge.accepted === 0 || !shortRecords(edge, LOGIN_PACKETS)) return false;
  const inbound = (edge.clientClass === 'public' || isInternal(edge.clientClass)) && isInternal(edge.serverClass);
  const outbound = isInternal(edge.clientClass) && edge.serverClass === 'public';
  return inbound || outbound;
}

/** Three short SSH connections: one attempt at a password each. */
const attempt = (client: string, server: string, serverPort = 22, extra: Partial<FlowEdge> = {}) =>
  exampleEdge({
    client,
    server,
    serverPort,
    packets: 3 * 2 * 22,
    flows: 3 * 2,
    accepted: 3 * 2,
    bytesToServer: 3 * 2400,
    bytesToClient: 3 * 3100,
    opened: undefined,
    ...extra,
  });
const times = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));

export const bruteForce: ThresholdDetector<FlowEdge> = {
  id: 'net.brute-force',
  kind: 'threshold',
  source: 'vpc-flow',
  title: 'Brute force against a remote-login port',
  description:
    'One client opened many short connections to one server on SSH, RDP or WinRM within minutes: password ' +
    'guessing. From the internet it means a login port is open to everyone and under attack; from inside the ' +
    'cluster, or from a workload to the internet, a compromised workload is trying to move on.',
  severity: 'high',
  mitre: ['T1110'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'UnauthorizedAccess:EC2/SSHBruteForce, UnauthorizedAccess:EC2/RDPBruteForce',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Check the server for successful logins from the client (auth logs, Windows security events). From the ' +
    'internet: close the port to 0.0.0.0/0 in the security group and use SSM Session Manager or a bastion. From a ' +
    'workload: isolate it with a NetworkPolicy, look at how it was started and what runs in it.',

  limits(context) {
    const { attempts, windowMinutes } = context.config.network.bruteForce;
    return { threshold: attempts, windowMinutes };
  },

  count(edge, context) {
    const { ports } = context.config.network.bruteForce;
    if (!counts(edge, ports)) return undefined;
    return [`${edge.client}|${edge.server}|${edge.serverPort}`];
  },

  weight(edge) {
    return connectionAttempts(edge);
  },

  describe(_key, total, edge, context) {
    const port = edge.serverPort ?? 0;
    const { windowMinutes } = context.config.network.bruteForce;
    const fromInside = isInternal(edge.clientClass);
    return {
      // An attack from the internet on a port it can reach is an exposure; one from a workload is a compromise.
      severity: fromInside ? 'high' : 'medium',
      summary:
        `${endText(edge.client, edge.clientEntity)} opened about ${total} short ${portName(port)} connections to ` +
        `${endText(edge.server, edge.serverEntity)} within ${windowMinutes} minutes: password guessing.`,
      entities: { ...edgeEntities(edge), attempts: total },
      roles: edgeRoles(edge),
      evidence:
        `${portName(port)} ${edge.client} -> ${edge.server}:${port}: about ${total} connections in the window ` +
        `(first object: ${edge.flows} flow records, ${edge.packets} packets, ${edge.accepted} accepted)`,
      dedupeKey: `${edge.scope}|${edge.client}|${edge.server}|${port}`,
    };
  },

  examples: {
    fires: [
      // From the internet to a node's SSH, in the default format (no flags): 42 attempts in 14 records.
      times(14, () => attempt('198.51.100.23', '10.0.2.47')),
      // A workload guessing RDP passwords on an internal Windows host, with flags (SYNs counted).
      times(4, () =>
        attempt('10.0.3.7', '10.0.9.20', 3389, {
          clientEntity: exampleWorkload('shop', 'cart'),
          opened: 12,
          flows: 24,
          accepted: 24,
          packets: 24 * 30,
        }),
      ),
      // A workload attacking SSH on the internet.
      times(14, () => attempt('10.0.3.7', '203.0.113.50')),
    ],
    quiet: [
      // A few logins; a long interactive session; rejected knocking; HTTPS; an SSH port not on the list.
      times(3, () => attempt('198.51.100.23', '10.0.2.47')),
      times(20, () => attempt('10.0.1.5', '10.0.2.47', 22, { packets: 20 * 6 * 400 })),
      times(30, () => attempt('198.51.100.23', '10.0.2.47', 22, { accepted: 0, rejected: 6 })),
      times(30, () => attempt('10.0.3.7', '10.0.2.47', 443)),
      times(30, () => attempt('10.0.3.7', '10.0.2.47', 2222)),
    ],
  },
};
