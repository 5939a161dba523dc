import { STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import type { FlowRecord } from '../../shared/ingest/types';
import { rawAuditEvent } from '../support/formats';

/** A normalized flow record: 10.0.1.5:45000 -> 10.0.2.9:443 TCP, accepted, unless overridden. */
export function flowRecord(input: Partial<FlowRecord> = {}): FlowRecord {
  return {
    version: 5,
    accountId: '123456789012',
    interfaceId: 'eni-0a',
    srcAddr: '10.0.1.5',
    dstAddr: '10.0.2.9',
    srcPort: 45000,
    dstPort: 443,
    protocol: 6,
    packets: 10,
    bytes: 1000,
    start: 1_793_527_200,
    end: 1_793_527_260,
    action: 'ACCEPT',
    logStatus: 'OK',
    vpcId: 'vpc-0a',
    origin: { uri: 'test', line: 2 },
    ...input,
  };
}

export interface LineInput {
  src: string;
  dst: string;
  srcPort?: number;
  dstPort: number;
  /** Epoch seconds. */
  start: number;
  bytes?: number;
  packets?: number;
  action?: 'ACCEPT' | 'REJECT';
  flags?: number;
  eni?: string;
  direction?: 'ingress' | 'egress';
  protocol?: number;
  dstService?: string;
}

/** One line of a version 5 flow log in the header order of {@link STACK_FLOW_HEADER}. */
export function flowLine(l: LineInput): string {
  return [
    5,
    '123456789012',
    l.eni ?? 'eni-0a',
    l.src,
    l.dst,
    l.srcPort ?? 45000,
    l.dstPort,
    l.protocol ?? 6,
    l.packets ?? 5,
    l.bytes ?? 500,
    l.start,
    l.start + 60,
    l.action ?? 'ACCEPT',
    'OK',
    'vpc-0a',
    'subnet-0a',
    'i-0a',
    l.flags ?? 2,
    'IPv4',
    l.src,
    l.dst,
    'eu-west-1',
    'euw1-az1',
    '-',
    l.dstService ?? '-',
    l.direction ?? 'egress',
    '1',
  ].join(' ');
}

/** A flow-log object body: the header and the lines. */
export function flowObject(lines: readonly LineInput[]): string {
  return [STACK_FLOW_HEADER, ...lines.map(flowLine)].join('\n');
}

/** A VPC Flow Logs object key, so the engine can tell which flow log it belongs to. */
export function flowKey(time: number, suffix = 'a'): string {
  const d = new Date(time).toISOString();
  const stamp = `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}T${d.slice(11, 13)}${d.slice(14, 16)}Z`;
  return `AWSLogs/123456789012/vpcflowlogs/eu-west-1/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/123456789012_vpcflowlogs_eu-west-1_fl-0abc_${stamp}_${suffix}.log`;
}

/** A kubelet's `pods/status` patch reporting a pod running with an IP. */
export function podStatus(input: {
  namespace: string;
  pod: string;
  ip: string;
  node?: string;
  hostIp?: string;
  time: number;
  startTime?: number;
  phase?: string;
  uid?: string;
}): Record<string, unknown> {
  const node = input.node ?? 'ip-10-0-1-23.eu-west-1.compute.internal';
  return rawAuditEvent({
    verb: 'patch',
    user: { username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] },
    sourceIPs: [input.hostIp ?? '10.0.1.23'],
    userAgent: 'kubelet/v1.31.2 (linux/amd64) kubernetes/1f8fd63',
    requestURI: `/api/v1/namespaces/${input.namespace}/pods/${input.pod}/status`,
    objectRef: {
      resource: 'pods',
      namespace: input.namespace,
      name: input.pod,
      apiVersion: 'v1',
      subresource: 'status',
    },
    level: 'Request',
    requestObject: {
      metadata: { uid: input.uid ?? `uid-${input.pod}` },
      status: {
        hostIP: input.hostIp ?? '10.0.1.23',
        phase: input.phase ?? 'Running',
        podIP: input.ip,
        podIPs: [{ ip: input.ip }],
        startTime: new Date(input.startTime ?? input.time).toISOString(),
      },
    },
    requestReceivedTimestamp: new Date(input.time).toISOString(),
    stageTimestamp: new Date(input.time + 5).toISOString(),
  });
}
