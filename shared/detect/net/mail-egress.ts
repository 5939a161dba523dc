import type { FlowEdge } from '../../network';
import { isInternal } from '../../network';
import type { ThresholdDetector } from '../types';
import { connectionAttempts } from './lib/attempts';
import { edgeEntities, edgeRoles, endText } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';
import { isPublicServer } from './lib/public-server';

/**
 * Who sends: the workload (all its pods together, as a spam bot scales with its Deployment) or
 * node when attribution named one, else the address.
 */
function senderOf(edge: FlowEdge): string {
  const entity = edge.clientEntity;
  const named = entity?.kind === 'workload' || entity?.kind === 'pod' || entity?.kind === 'node';
  return named ? entity.id : edge.client;
}

/** Eight SMTP connections to one mail server, default format. */
const smtp = (server: string, extra: Partial<FlowEdge> = {}) =>
  exampleEdge({
    client: '10.0.3.7',
    server,
    serverPort: 25,
    flows: 16,
    accepted: 16,
    packets: 16 * 14,
    opened: undefined,
    clientEntity: exampleWorkload('shop', 'newsletter'),
    ...extra,
  });
const servers = (n: number) => Array.from({ length: n }, (_, i) => `203.0.113.${10 + i}`);

export const mailEgress: ThresholdDetector<FlowEdge> = {
  id: 'net.mail-egress',
  kind: 'threshold',
  source: 'vpc-flow',
  title: 'Mail sent straight to the internet in bulk',
  description:
    'A workload opened many SMTP connections to mail servers on the internet within the window. Applications ' +
    "send mail through a relay (Amazon SES, a provider on port 587), not straight to recipients' servers on " +
    "port 25: a workload that does, in volume, is a spam bot, and gets the account's addresses blocklisted.",
  severity: 'medium',
  mitre: ['T1496'],
  dedupeMinutes: 6 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Backdoor:EC2/Spambot',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Find the workload and check whether it is meant to send mail. If not, isolate it with a NetworkPolicy that ' +
    "denies egress on port 25, find out how it was created or changed (audit log), and check the account's " +
    'sending reputation. If it is, route it through a relay, or raise network.mailEgress.connections.',

  limits(context) {
    const { connections, windowMinutes } = context.config.network.mailEgress;
    return { threshold: connections, windowMinutes };
  },

  // Needs no TCP flags: attempts are estimated from record counts (see `connectionAttempts`).
  count(edge, context) {
    if (edge.serverPort === undefined || !context.config.network.mailEgress.ports.includes(edge.serverPort)) {
      return undefined;
    }
    if (edge.protocol !== undefined && edge.protocol !== 6) return undefined;
    if (!isInternal(edge.clientClass) || !isPublicServer(edge) || edge.flows === 0) return undefined;
    return [`${senderOf(edge)}|${edge.serverPort}`];
  },

  weight(edge) {
    return connectionAttempts(edge);
  },

  describe(key, total, edge, context) {
    const port = key.slice(key.lastIndexOf('|') + 1);
    const { windowMinutes } = context.config.network.mailEgress;
    return {
      summary:
        `${endText(edge.client, edge.clientEntity)} opened about ${total} SMTP connections on port ${port} to ` +
        `mail servers on the internet within ${windowMinutes} minutes (${edge.server} among them).`,
      entities: { ...edgeEntities(edge), connections: total },
      roles: edgeRoles(edge),
      evidence: `port ${port}: about ${total} connections in the window; first seen ${edge.client} -> ${edge.server}`,
      dedupeKey: `${edge.scope}|${key}`,
    };
  },

  examples: {
    fires: [
      // Eight connections to each of four recipients' servers: 32.
      servers(4).map((server) => smtp(server)),
      // A node's process, on a port added to the list.
      servers(4).map((server) => smtp(server, { serverPort: 465, clientEntity: undefined })),
    ],
    quiet: [
      // A little mail; a relay on 587 (not on the list); mail to an internal relay; IMAP.
      servers(2).map((server) => smtp(server)),
      servers(8).map((server) => smtp(server, { serverPort: 587 })),
      servers(8).map(() => smtp('10.0.9.25')),
      servers(8).map((server) => smtp(server, { serverPort: 993 })),
    ],
    config: { network: { mailEgress: { ports: [25, 465] } } },
  },
};
