import type { FlowLogHealth, FlowLogSilence, HealthDetector } from '../types';

const HOUR_MS = 3_600_000;

function objectHealth(input: Partial<FlowLogHealth>): FlowLogHealth {
  return {
    kind: 'object',
    logId: 'fl-0example',
    scope: 'vpc-0example',
    time: Date.parse('2026-11-09T10:00:00Z'),
    records: 1200,
    nodata: 0,
    skipdata: 0,
    origin: { uri: 'example', line: 1 },
    ...input,
  };
}

function silence(hours: number): FlowLogSilence {
  const now = Date.parse('2026-11-10T00:00:00Z');
  return {
    kind: 'silence',
    logId: 'fl-0example',
    scope: 'vpc-0example',
    lastSeen: now - hours * HOUR_MS,
    now,
    origin: { uri: 'example', line: 1 },
  };
}

export const logHealth: HealthDetector = {
  id: 'net.log-health',
  kind: 'health',
  source: 'vpc-flow',
  title: 'Flow log skipped records or stopped arriving',
  description:
    'The flow log is the only view Driftwatch has of the network. SKIPDATA records mean VPC Flow Logs dropped ' +
    'records of a capture window (a capacity limit or an internal error); a flow log with no delivery for hours ' +
    'means its subscription, bucket policy or delivery role broke, or someone disabled it. Either leaves a blind spot.',
  severity: 'low',
  mitre: ['T1562.008'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Stealth:IAMUser/LoggingConfigurationModified',
    elastic: 'AWS EC2 VPC Flow Log Deletion',
    sigma: 'AWS VPC Flow Logs Deleted',
  },
  runbook:
    'For SKIPDATA: check the flow log’s delivery errors in CloudWatch and the bucket’s request rate; many flows ' +
    'on one interface can exceed the capacity. For a silent log: check in the VPC console that the flow log still ' +
    'exists and is active, and CloudTrail for DeleteFlowLogs or changes to the bucket policy.',

  inspect(health) {
    if (health.skipdata === 0) return undefined;
    return {
      summary:
        `Flow log ${health.logId} (${health.scope}) delivered ${health.skipdata} SKIPDATA records: ` +
        'VPC Flow Logs skipped records of those capture windows, so their traffic was not analysed.',
      entities: { flowLogId: health.logId, vpcId: health.scope, skipdata: health.skipdata },
      evidence: `${health.records} records, ${health.nodata} NODATA and ${health.skipdata} SKIPDATA records in ${health.origin.uri}`,
      dedupeKey: `skipdata|${health.logId}`,
    };
  },

  silence(input, context) {
    const hours = (input.now - input.lastSeen) / HOUR_MS;
    if (hours < context.config.network.logHealth.silentHours) return undefined;
    return {
      severity: 'medium',
      title: 'Flow log stopped arriving',
      summary:
        `Flow log ${input.logId} (${input.scope}) has delivered nothing for ${Math.floor(hours)} hours; its last ` +
        `record is from ${new Date(input.lastSeen).toISOString()}.`,
      entities: { flowLogId: input.logId, vpcId: input.scope, lastSeen: new Date(input.lastSeen).toISOString() },
      evidence: `last delivery ${input.origin.uri}`,
      dedupeKey: `silent|${input.logId}`,
    };
  },

  examples: {
    fires: [objectHealth({ skipdata: 3 }), silence(30)],
    quiet: [objectHealth({ nodata: 12 }), objectHealth({}), silence(1)],
  },
};
