import type { FlowEdge } from '../../network';
import type { RuleDetector } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText } from './lib/describe';
import { exampleEdge } from './lib/example-edges';

export const threatIntelMatch: RuleDetector<FlowEdge> = {
  id: 'net.threat-intel-match',
  kind: 'rule',
  source: 'vpc-flow',
  title: 'Traffic with an address on a threat list',
  description:
    'A workload exchanged traffic with an address on a configured threat list (C2, mining pool, known scanner). ' +
    'Contact with such addresses usually means a compromised workload or an attack in progress.',
  severity: 'high',
  mitre: ['T1071', 'T1496'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'UnauthorizedAccess:EC2/MaliciousIPCaller.Custom; CryptoCurrency:EC2/BitcoinTool.B',
    elastic: 'Threat Intel IP Address Indicator Match',
    sigma: 'none',
  },
  runbook:
    'Identify the workload behind the internal address (interface, pod IP). If the traffic was accepted and outbound, ' +
    'isolate the workload, capture its state, and look for how it was compromised.',

  detect(edge, context) {
    // Lists such as FireHOL level1 carry the private ranges (bogons); only public addresses count.
    const serverHit = edge.serverClass === 'public' ? context.intel.match(edge.server) : undefined;
    const clientHit = serverHit || edge.clientClass !== 'public' ? undefined : context.intel.match(edge.client);
    const hit = serverHit ?? clientHit;
    if (!hit) return undefined;
    const listed = serverHit ? edge.server : edge.client;
    const other = serverHit ? edge.client : edge.server;
    const outbound = Boolean(serverHit);
    const established = edge.accepted > 0;
    return {
      severity: outbound && established ? 'critical' : 'high',
      summary:
        `${outbound ? `${endText(other, edge.clientEntity)} connected to` : `${listed} connected to`} ` +
        `${outbound ? listed : endText(other, edge.serverEntity)}` +
        `${edge.serverPort !== undefined ? ` port ${edge.serverPort}` : ''}, listed in ${hit.list} (${hit.entry})` +
        `${established ? '' : '; all of it was rejected'}.`,
      entities: { ...edgeEntities(edge), threatList: hit.list, listedAddress: listed, listEntry: hit.entry },
      roles: edgeRoles(edge),
      evidence: `${edgeEvidence(edge)}; ${listed} matches ${hit.entry}${hit.note ? ` (${hit.note})` : ''} in ${hit.list}`,
      dedupeKey: `${edge.scope}|${listed}|${other}`,
    };
  },

  examples: {
    // The example context lists 198.51.100.0/24 (see the catalog test).
    fires: [
      exampleEdge({ client: '10.0.3.7', server: '198.51.100.23', serverPort: 3333 }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.1.20', serverPort: 22, accepted: 0, rejected: 4 }),
      // IPv6, listed as a /48 in the Spamhaus DROP style.
      exampleEdge({ client: 'fd00:10::7', server: '2001:db8:bad:1::25', serverPort: 443 }),
    ],
    quiet: [
      exampleEdge({ client: '10.0.3.7', server: '203.0.113.10', serverPort: 443 }),
      // 10.0.0.0/8 is on the example list as a bogon, as on FireHOL level1: internal traffic is not a match.
      exampleEdge({ client: '10.0.3.7', server: '10.0.2.4', serverPort: 5432 }),
    ],
  },
};

/** Threat list the examples of the network detectors assume. */
export const EXAMPLE_THREAT_LIST =
  '# example list\n198.51.100.0/24 ; SBL000001\n10.0.0.0/8 ; bogon\n2001:db8:bad::/48 ; SBL000104\n';
