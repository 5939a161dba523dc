import type { Finding } from '../../shared/alert/finding';
import { exampleEdge } from '../../shared/detect/net/lib/example-edges';
import type { NetworkEntity } from '../../shared/network/entity';
import type { FlowEdge } from '../../shared/network/flow-edge';
import type { RunEdgeRecorder } from '../../shared/report/run-edge-recorder';
import { MemoryTable } from '../../shared/store/memory-table';

export { exampleEdge };

/** Shows edges to a recorder as the engine does, one session per object, flushed at the end. */
export async function record(recorder: RunEdgeRecorder, objectId: string, edges: FlowEdge[]): Promise<void> {
  const session = recorder.begin({ id: objectId, uri: `s3://bucket/${objectId}` });
  for (const edge of edges) session.see(edge);
  await session.flush(new MemoryTable());
}

export function workload(namespace: string, name: string): NetworkEntity {
  return {
    id: `workload:${namespace}/${name}`,
    label: `${namespace}/${name}`,
    group: namespace,
    kind: 'workload',
    namespace,
  };
}

/** A finding with the contract's fields; entities and the rest as given. */
export function finding(input: Partial<Finding> & { ruleId: string }): Finding {
  return {
    id: `id-${input.ruleId}-${input.time ?? ''}`,
    kind: 'rule',
    severity: 'high',
    source: 'vpc-flow',
    time: '2026-11-10T10:00:00.000Z',
    title: input.ruleId,
    summary: `${input.ruleId} fired`,
    description: 'Why it matters.',
    entities: {},
    evidence: 'evidence',
    origin: { uri: 's3://bucket/flow/object.log.gz', line: 7 },
    mitre: [],
    count: 1,
    runbook: 'Look into it.',
    ...input,
  };
}
