import { describe, expect, it } from 'vitest';
import { normalizeAuditEvent } from '../../shared/ingest/normalize-audit';
import type { AuditEvent } from '../../shared/ingest/types';
import { PodIpMap } from '../../shared/network/pod-ip-map';
import { ownerOfPod, podIpRecorder } from '../../shared/record/pod-ip-recorder';
import { MemoryTable } from '../../shared/store/memory-table';
import { podStatus } from '../network/support';
import { rawAuditEvent } from '../support/formats';

const T0 = Date.parse('2026-11-01T10:00:00Z');

function event(raw: Record<string, unknown>): AuditEvent {
  const normalized = normalizeAuditEvent(raw, 'prod', { uri: 'test', line: 1 });
  if (typeof normalized === 'string') throw new Error(normalized);
  return normalized;
}

async function recordAll(events: Record<string, unknown>[]): Promise<MemoryTable> {
  const table = new MemoryTable();
  const session = podIpRecorder.begin({ id: 'object-1', uri: 'test' });
  for (const raw of events) session.see(event(raw));
  await session.flush(table);
  return table;
}

describe('ownerOfPod', () => {
  it('reads the owner reference, and a Deployment behind a ReplicaSet', () => {
    expect(
      ownerOfPod('web-7d9c8b6f5d-x2k4q', [{ kind: 'ReplicaSet', name: 'web-7d9c8b6f5d', controller: true }]),
    ).toEqual({
      workload: 'web',
      ownerKind: 'Deployment',
    });
    expect(ownerOfPod('fluent-bit-x2k4q', [{ kind: 'DaemonSet', name: 'fluent-bit', controller: true }])).toEqual({
      workload: 'fluent-bit',
      ownerKind: 'DaemonSet',
    });
    expect(ownerOfPod('backup-29000000-x2k4q', [{ kind: 'Job', name: 'backup-29000000' }])).toEqual({
      workload: 'backup',
      ownerKind: 'CronJob',
    });
  });

  it('infers the workload from generated names when the log has no owner', () => {
    expect(ownerOfPod('api-5f7b9c6d48-qzv2m')).toEqual({ workload: 'api', ownerKind: 'Deployment' });
    expect(ownerOfPod('node-exporter-8hx2w')).toEqual({ workload: 'node-exporter' });
    expect(ownerOfPod('postgres-0')).toEqual({ workload: 'postgres', ownerKind: 'StatefulSet' });
    expect(ownerOfPod('debug')).toEqual({ workload: 'debug', ownerKind: 'Pod' });
  });
});

describe('podIpRecorder', () => {
  it('maps pod IPs from kubelet status patches, from the pod start time on', async () => {
    // Act
    const table = await recordAll([
      podStatus({
        namespace: 'shop',
        pod: 'web-7d9c8b6f5d-x2k4q',
        ip: '10.0.1.57',
        time: T0,
        startTime: T0 - 3_600_000,
      }),
    ]);
    // Assess
    const [entries] = (await new PodIpMap(table).lookup(['10.0.1.57'])).values();
    expect(entries).toEqual([
      expect.objectContaining({
        kind: 'pod',
        cluster: 'prod',
        namespace: 'shop',
        pod: 'web-7d9c8b6f5d-x2k4q',
        workload: 'web',
        ownerKind: 'Deployment',
        node: 'ip-10-0-1-23.eu-west-1.compute.internal',
        from: T0 - 3_600_000,
      }),
    ]);
  });

  it('keeps a host-network pod’s address as its node’s, and records stops', async () => {
    const table = await recordAll([
      podStatus({
        namespace: 'monitoring',
        pod: 'node-exporter-8hx2w',
        ip: '10.0.1.23',
        hostIp: '10.0.1.23',
        time: T0,
      }),
      podStatus({ namespace: 'batch', pod: 'report-1', ip: '10.0.1.80', time: T0 + 60_000, phase: 'Succeeded' }),
    ]);
    const found = await new PodIpMap(table).lookup(['10.0.1.23', '10.0.1.80']);
    expect(found.get('10.0.1.23')).toEqual([
      expect.objectContaining({ kind: 'node', node: 'ip-10-0-1-23.eu-west-1.compute.internal' }),
    ]);
    expect(found.get('10.0.1.80')?.[0]).toMatchObject({ pod: 'report-1', to: T0 + 60_000 });
  });

  it('takes the owner from a pod creation in the same object, and ignores other events', async () => {
    const table = await recordAll([
      rawAuditEvent({
        verb: 'create',
        objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
        responseObject: {
          metadata: {
            name: 'cart-x2k4q',
            namespace: 'shop',
            ownerReferences: [{ kind: 'StatefulSet', name: 'cart', controller: true }],
          },
        },
      }),
      rawAuditEvent({ verb: 'get', objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-x2k4q' } }),
      podStatus({ namespace: 'shop', pod: 'cart-x2k4q', ip: '10.0.1.60', time: T0 }),
      { ...podStatus({ namespace: 'shop', pod: 'denied', ip: '10.0.1.61', time: T0 }), responseStatus: { code: 403 } },
    ]);
    const found = await new PodIpMap(table).lookup(['10.0.1.60', '10.0.1.61']);
    expect(found.get('10.0.1.60')?.[0]).toMatchObject({ workload: 'cart', ownerKind: 'StatefulSet' });
    expect(found.has('10.0.1.61')).toBe(false);
  });
});
