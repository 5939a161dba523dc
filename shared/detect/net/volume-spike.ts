import type { FlowEdge } from '../../network';
import { isInternal } from '../../network';
import type { SpikeDetector } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';
import { bytesText, spikeLimit } from './lib/spike-limit';

/** A steady edge: about 4 MB an hour, give or take, for four days. */
const STEADY = Array.from({ length: 96 }, (_, i) => 4_000_000 + ((i * 7919) % 11) * 100_000);

export const volumeSpike: SpikeDetector<FlowEdge> = {
  id: 'net.volume-spike',
  kind: 'spike',
  source: 'vpc-flow',
  metric: 'bytesOut',
  title: 'Hourly bytes sent far above the baseline',
  description:
    'A workload sent far more bytes to an outside destination in one hour than it ever does: many times its ' +
    'median hour and many robust deviations above it, and above an absolute floor. That is what exfiltration and ' +
    'a runaway client of an external API look like.',
  severity: 'medium',
  mitre: ['T1048', 'T1567'],
  dedupeMinutes: 6 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Behavior:EC2/TrafficVolumeUnusual',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Find the workload and the destination (the finding names both) and what changed: a release, a batch job, a ' +
    'retry storm. If nothing explains it, treat it as exfiltration: block the destination, keep the flow logs, and ' +
    'look at the workload’s recent exec sessions and credentials.',

  applies(edge) {
    return isInternal(edge.clientClass) && !isInternal(edge.serverClass);
  },

  limit(stats, context) {
    const { minBytes, ratio, deviations } = context.config.network.volumeSpike;
    return spikeLimit(stats, context, { floor: minBytes, ratio, deviations });
  },

  describe(observed, limit, stats, edge) {
    return {
      summary:
        `${endText(edge.client, edge.clientEntity)} sent ${bytesText(observed)} to ${endText(edge.server, edge.serverEntity)}` +
        `${edge.serverPort !== undefined ? ` port ${edge.serverPort}` : ''} in one hour; its median hour is ` +
        `${bytesText(stats.median)} (spike above ${bytesText(limit)}).`,
      entities: { ...edgeEntities(edge), bytesOut: observed, expectedBytes: stats.median },
      roles: edgeRoles(edge),
      evidence: `${edgeEvidence(edge)}; hour total ${observed} bytes sent; baseline median ${stats.median}, MAD ${stats.mad}, max ${stats.max} over ${stats.hours} hours`,
      dedupeKey: `${edge.scope}|${edge.clientEntity?.id ?? edge.client}|${edge.serverEntity?.id ?? edge.server}|${edge.serverPort ?? ''}`,
    };
  },

  examples: {
    baseline: STEADY,
    fires: [
      {
        event: exampleEdge({
          client: '10.0.2.20',
          server: '140.82.112.3',
          clientEntity: exampleWorkload('payments', 'worker'),
        }),
        observed: 900_000_000,
      },
      {
        event: exampleEdge({ client: '10.0.2.20', server: '52.218.16.7', serverService: 'S3' }),
        observed: 120_000_000,
      },
    ],
    quiet: [
      // A busy hour, but under ten times the median; a spike inside the VPC; a public client's upload.
      { event: exampleEdge({ client: '10.0.2.20', server: '140.82.112.3' }), observed: 30_000_000 },
      { event: exampleEdge({ client: '10.0.2.20', server: '10.0.200.10', serverPort: 5432 }), observed: 900_000_000 },
      { event: exampleEdge({ client: '198.51.100.9', server: '10.0.0.37' }), observed: 900_000_000 },
    ],
  },
};
