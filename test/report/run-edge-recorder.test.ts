import { describe, expect, it } from 'vitest';
import { cidrEntity, unknownEntity, workloadEntity } from '../../shared/network/entity';
import { PodIpMap } from '../../shared/network/pod-ip-map';
import { RunEdgeRecorder } from '../../shared/report/run-edge-recorder';
import { MemoryTable } from '../../shared/store/memory-table';
import { exampleEdge, record, workload } from './fixtures';

describe('RunEdgeRecorder', () => {
  it('sums edges across objects by client, server, port and protocol', async () => {
    // Prepare
    const recorder = new RunEdgeRecorder();
    const a = exampleEdge({ client: '10.0.1.5', server: '10.0.200.10', serverPort: 5432 });
    // Act
    await record(recorder, 'o1', [a, exampleEdge({ client: '10.0.1.5', server: '10.0.200.10', serverPort: 6379 })]);
    await record(recorder, 'o2', [{ ...a, time: a.time - 3_600_000, bytesToServer: 100, rejected: 1 }]);
    // Assess
    const edges = recorder.edges();
    expect(edges).toHaveLength(2);
    const db = edges.find((e) => e.serverPort === 5432);
    expect(db).toMatchObject({
      client: { address: '10.0.1.5', addressClass: 'vpc' },
      server: { address: '10.0.200.10' },
      bytesToServer: 1300,
      flows: 4,
      accepted: 4,
      rejected: 1,
      objects: 2,
      firstTime: a.time - 3_600_000,
      folded: false,
    });
    expect(recorder.flowsByDay()).toEqual({ '2026-11-09': 6 });
  });

  it('keys by entity when edges carry one: two pod IPs of one workload are one edge', async () => {
    const recorder = new RunEdgeRecorder();
    const web = workload('shop', 'web');
    await record(recorder, 'o1', [
      exampleEdge({ client: '10.0.1.5', server: '10.0.2.9', serverPort: 8080, clientEntity: web }),
      exampleEdge({ client: '10.0.1.6', server: '10.0.2.9', serverPort: 8080, clientEntity: web }),
    ]);
    expect(recorder.edges()).toHaveLength(1);
    expect(recorder.edges()[0]?.client.entity).toEqual(web);
  });

  it('draws a pod the audit log named late as its workload for the whole run, and merges its edges', async () => {
    // Prepare: the pod ran unnamed (an address) until a kubelet report named it; then as its workload
    const HOUR = 3_600_000;
    const recorder = new RunEdgeRecorder();
    const rds = cidrEntity('rds-subnets', '10.0.200.0/24');
    const before = exampleEdge({ client: '10.0.1.57', server: '10.0.200.10', serverPort: 5432, serverEntity: rds });
    const start = before.time;
    before.clientEntity = unknownEntity('10.0.1.57', '10.0.1.0/24');
    const after = {
      ...exampleEdge({ client: '10.0.1.57', server: '10.0.200.10', serverPort: 5432, serverEntity: rds }),
      time: start + 30 * HOUR,
      lastTime: start + 30 * HOUR,
      clientEntity: workloadEntity('shop', 'web', { owner: 'Deployment/web', pod: 'web-7d9c8b6f5d-x2k4q' }),
    };
    // Another address no pod ever held stays an address
    const stranger = exampleEdge({ client: '10.0.1.99', server: '10.0.200.10', serverPort: 5432, serverEntity: rds });
    stranger.clientEntity = unknownEntity('10.0.1.99', '10.0.1.0/24');
    await record(recorder, 'o1', [before, stranger]);
    await record(recorder, 'o2', [after]);
    const podIps = new PodIpMap(new MemoryTable());
    await podIps.record(
      new Map([
        [
          '10.0.1.57',
          [
            {
              kind: 'pod' as const,
              namespace: 'shop',
              pod: 'web-7d9c8b6f5d-x2k4q',
              workload: 'web',
              ownerKind: 'Deployment',
              from: start - 40 * 24 * HOUR,
              seen: start + 29 * HOUR,
              reported: start + 29 * HOUR,
            },
          ],
        ],
      ]),
    );
    expect(recorder.edges()).toHaveLength(3);
    // Act
    const renamed = await recorder.nameLate(podIps, (holder) =>
      workloadEntity(holder.namespace ?? '', holder.workload ?? '', { owner: `Deployment/${holder.workload}` }),
    );
    // Assess
    expect(renamed).toBe(1);
    const edges = recorder.edges();
    expect(edges.map((e) => e.client.entity?.id).sort()).toEqual(['ip:10.0.1.99', 'workload:shop/web']);
    const web = edges.find((e) => e.client.entity?.id === 'workload:shop/web');
    expect(web).toMatchObject({ objects: 2, firstTime: start, lastTime: start + 30 * HOUR, flows: 4 });
  });

  it('counts an object once it is flushed, and once only', async () => {
    const recorder = new RunEdgeRecorder();
    const session = recorder.begin({ id: 'o1', uri: 'u' });
    session.see(exampleEdge({ client: '10.0.1.5', server: '203.0.113.9' }));
    expect(recorder.edges()).toHaveLength(0);
    await session.flush(new MemoryTable());
    await session.flush(new MemoryTable());
    await record(recorder, 'o1', [exampleEdge({ client: '10.0.1.5', server: '203.0.113.9' })]);
    expect(recorder.edges()[0]?.flows).toBe(2);
  });

  it('keeps memory bounded: past the cap edges fold by block, past the tail cap they are only counted', async () => {
    // Prepare: two kept edges, then three more that fold into two blocks, with room for one.
    const recorder = new RunEdgeRecorder({ maxEdges: 2, maxFoldedEdges: 1 });
    const edges = [
      exampleEdge({ client: '10.0.1.5', server: '203.0.113.9' }),
      exampleEdge({ client: '10.0.1.6', server: '203.0.113.9' }),
      exampleEdge({ client: '10.0.1.7', server: '203.0.113.9' }),
      exampleEdge({ client: '10.0.1.8', server: '203.0.113.10' }),
      exampleEdge({ client: '10.0.3.8', server: '198.51.100.1' }),
    ];
    // Act
    await record(recorder, 'o1', edges);
    // Assess
    const kept = recorder.edges();
    expect(kept.filter((e) => !e.folded)).toHaveLength(2);
    const tail = kept.filter((e) => e.folded);
    expect(tail).toHaveLength(1);
    expect(tail[0]).toMatchObject({
      client: { address: '10.0.1.0/24', block: true },
      server: { address: '203.0.113.0/24', block: true },
      flows: 4,
      objects: 2,
    });
    expect(recorder.dropped).toEqual({ objectEdges: 1, flows: 2, bytes: 6600 });
    const total = kept.reduce((sum, e) => sum + e.flows, 0) + recorder.dropped.flows;
    expect(total).toBe(edges.reduce((sum, e) => sum + e.flows, 0));
  });
});
