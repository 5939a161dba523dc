import { beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { MemoryTable } from '../../shared/store/memory-table';
import { FindingLog, openings } from '../support/finding-log';
import { rawAuditEvent } from '../support/formats';
import { memorySource } from '../support/sources';

const START = Date.parse('2026-11-09T10:00:00Z');

/** `count` denied requests by one user, one a second from `second`. */
function denials(user: string, second: number, count: number, ip = '198.18.7.7'): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify(
      rawAuditEvent({
        auditID: `${user}-${second + i}`,
        verb: 'list',
        user:
          user === 'system:anonymous'
            ? { username: user, groups: ['system:unauthenticated'] }
            : { username: user, groups: [] },
        sourceIPs: [ip],
        objectRef: { resource: ['secrets', 'pods', 'nodes'][i % 3], apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: user === 'system:anonymous' ? 401 : 403 },
        annotations: { 'authorization.k8s.io/decision': 'forbid' },
        requestReceivedTimestamp: new Date(START + (second + i) * 1000).toISOString(),
      }),
    ),
  ).join('\n');
}

describe('ForbiddenBurst through the engine', () => {
  let table: MemoryTable;
  let sink: CollectingSink;
  let engine: FindingLog;

  beforeEach(() => {
    table = new MemoryTable();
    sink = new CollectingSink();
    const config = defaultConfig({ audit: { forbiddenBurst: { threshold: 10, windowMinutes: 10 } } });
    engine = new FindingLog(new Engine({ config, table, context: buildDetectContext(config), sink }));
  });

  it('adds up a burst that arrives in several objects, and alerts once', async () => {
    // Prepare: 4 + 4 denials stay below 10; the third object crosses it.
    await engine.process(memorySource('o1', denials('eve', 0, 4)));
    await engine.process(memorySource('o2', denials('eve', 60, 4)));
    expect(engine.findings).toEqual([]);
    // Act
    await engine.process(memorySource('o3', denials('eve', 120, 4)));
    await engine.process(memorySource('o4', denials('eve', 180, 4)));
    // Assess
    expect(engine.findings.map((f) => [f.ruleId, f.entities.user, f.count])).toEqual([
      ['audit.forbidden-burst', 'eve', 12],
    ]);
    expect(engine.findings[0]?.kind).toBe('rule');
    // One incident, opened once.
    expect(openings(sink.messages)).toEqual({ [engine.findings[0]?.incidentId ?? '']: 1 });
  });

  it('counts a redelivered object once', async () => {
    const object = memorySource('o1', denials('eve', 0, 6));
    await engine.process(object);
    for (const item of table.items()) if (item.pk.startsWith('OBJECT#')) await table.delete(item);
    await engine.process(object);
    expect(engine.findings).toEqual([]);
  });

  it('counts unauthenticated callers by address, and forgets bursts older than two windows', async () => {
    await engine.process(memorySource('o1', denials('system:anonymous', 0, 6, '198.18.1.1')));
    await engine.process(memorySource('o2', denials('system:anonymous', 1800, 6, '198.18.1.1')));
    expect(engine.findings).toEqual([]);
    await engine.process(memorySource('o3', denials('system:anonymous', 1810, 6, '198.18.1.1')));
    expect(engine.findings.map((f) => [f.summary.slice(0, 40), f.count])).toEqual([
      ['Unauthenticated callers at 198.18.1.1 ha', 12],
    ]);
  });
});
