import type { FlowEdge } from '../../network';
import { isInternal } from '../../network';
import type { SpikeDetector } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';
import { spikeLimit } from './lib/spike-limit';

/** An internal edge that never sees a REJECT, then now and then one, for four days. */
const CLEAN = Array.from({ length: 96 }, (_, i) => (i % 40 === 0 ? 1 : 0));

export const rejectSpike: SpikeDetector<FlowEdge> = {
  id: 'net.reject-spike',
  kind: 'spike',
  source: 'vpc-flow',
  metric: 'rejected',
  title: 'REJECTed internal traffic far above the baseline',
  description:
    'Flow records REJECTed by security groups or network ACLs between two internal endpoints climbed far above ' +
    'what the edge sees in a normal hour. A service suddenly refused by another is an outage in the making (a ' +
    'security group or NetworkPolicy change) or something probing where it should not.',
  severity: 'medium',
  mitre: ['T1046'],
  dedupeMinutes: 6 * 60,
  equivalents: { falco: 'none', guardduty: 'none', elastic: 'none', sigma: 'none' },
  runbook:
    'Look for a recent change to the security groups, network ACLs or NetworkPolicies between the two ends, and ' +
    'at the client: a new release pointing at the wrong port, or a compromised workload probing. Revert or fix.',

  applies(edge) {
    return isInternal(edge.clientClass) && isInternal(edge.serverClass);
  },

  limit(stats, context) {
    const { minRejects, ratio, deviations } = context.config.network.rejectSpike;
    return spikeLimit(stats, context, { floor: minRejects, ratio, deviations });
  },

  describe(observed, limit, stats, edge) {
    return {
      summary:
        `${observed} flow records from ${endText(edge.client, edge.clientEntity)} to ` +
        `${endText(edge.server, edge.serverEntity)}${edge.serverPort !== undefined ? ` port ${edge.serverPort}` : ''} ` +
        `were REJECTed in one hour; the edge's median hour has ${stats.median} (spike above ${Math.round(limit)}).`,
      entities: { ...edgeEntities(edge), rejected: observed, expectedRejected: stats.median },
      roles: edgeRoles(edge),
      evidence: `${edgeEvidence(edge)}; hour total ${observed} rejected; baseline median ${stats.median}, MAD ${stats.mad}, max ${stats.max} over ${stats.hours} hours`,
      dedupeKey: `${edge.scope}|${edge.clientEntity?.id ?? edge.client}|${edge.serverEntity?.id ?? edge.server}|${edge.serverPort ?? ''}`,
    };
  },

  examples: {
    baseline: CLEAN,
    fires: [
      {
        event: exampleEdge({
          client: '10.0.1.80',
          server: '10.0.2.20',
          serverPort: 8443,
          clientEntity: exampleWorkload('shop', 'cart'),
          serverEntity: exampleWorkload('payments', 'api'),
          accepted: 0,
          rejected: 240,
        }),
        observed: 240,
      },
    ],
    quiet: [
      // A few rejects; rejects from the internet (the load balancer's scanners).
      { event: exampleEdge({ client: '10.0.1.80', server: '10.0.2.20', serverPort: 8443, rejected: 6 }), observed: 6 },
      {
        event: exampleEdge({ client: '198.51.100.9', server: '10.0.0.37', serverPort: 22, rejected: 400 }),
        observed: 400,
      },
    ],
  },
};
