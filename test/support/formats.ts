import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { AuditEvent, FlowRecord } from '../../shared/ingest/types';

/** A raw audit.k8s.io/v1 event as the API server logs it. */
export function rawAuditEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `a-${Math.random().toString(16).slice(2)}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods',
    verb: 'list',
    user: { username: 'alice', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl/v1.31.0',
    objectRef: { resource: 'pods', namespace: 'default', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2026-11-01T10:00:00.000000Z',
    stageTimestamp: '2026-11-01T10:00:00.010000Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    ...overrides,
  };
}

/** A CloudWatch Logs subscription DATA_MESSAGE holding the given messages. */
export function cwlData(messages: string[], cluster = 'prod'): string {
  return JSON.stringify({
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: `/aws/eks/${cluster}/cluster`,
    logStream: 'kube-apiserver-audit-0123456789abcdef',
    subscriptionFilters: ['driftwatch'],
    logEvents: messages.map((message, i) => ({ id: String(36000000000 + i), timestamp: 1793527200000 + i, message })),
  });
}

export const CWL_CONTROL = JSON.stringify({
  messageType: 'CONTROL_MESSAGE',
  owner: 'CloudwatchLogs',
  logGroup: '',
  logStream: '',
  subscriptionFilters: [],
  logEvents: [
    { id: '', timestamp: 1793527200000, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' },
  ],
});

export function gzip(text: string | Buffer): Buffer {
  return gzipSync(text);
}

/** A byte stream in chunks of `chunkSize`, as S3 or a file would deliver it. */
export function streamOf(data: string | Buffer, chunkSize = 16 * 1024): AsyncIterable<Uint8Array> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

export async function collect<T>(
  read: (source: AsyncIterable<Uint8Array>, onItem: (item: T) => void) => Promise<void>,
  data: string | Buffer,
  chunkSize?: number,
): Promise<T[]> {
  const out: T[] = [];
  await read(streamOf(data, chunkSize), (item) => out.push(item));
  return out;
}

export type { AuditEvent, FlowRecord };
