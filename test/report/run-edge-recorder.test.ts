import { describe, expect, it } from 'vitest';
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
