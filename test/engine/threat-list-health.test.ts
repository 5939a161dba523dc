import { describe, expect, it } from 'vitest';
import { ThreatListStatusStore } from '../../shared/baseline/threat-list-status';
import { defaultConfig } from '../../shared/config/load';
import type { ConfigInput } from '../../shared/config/schema';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import { MemoryTable } from '../../shared/store/memory-table';
import { FindingLog, openings } from '../support/finding-log';

const T0 = Date.parse('2026-11-10T00:00:00Z');
const HOUR = 3_600_000;
const MINING_URL = 'https://lists.example.com/mining-pools.txt';

const FETCHING: ConfigInput = {
  threatIntel: {
    fetch: { enabled: true, lists: ['tor-exit', { name: 'mining-pools', url: MINING_URL }], schedule: 'rate(6 hours)' },
  },
};

/** An engine over a table where the fetcher has noted `tor-exit` refreshed at T0 and `mining-pools` failing since. */
async function setUp(input: ConfigInput = FETCHING) {
  const table = new MemoryTable();
  const statuses = new ThreatListStatusStore(table);
  await statuses.record(
    [
      { name: 'tor-exit', status: 'updated', entries: 4, previous: undefined, version: 'v1' },
      { name: 'mining-pools', status: 'updated', entries: 2, previous: undefined, version: 'm1' },
    ],
    T0,
  );
  const config = defaultConfig(input);
  const sink = new CollectingSink();
  const engine = new Engine({ config, table, context: buildDetectContext(config, new ThreatIntel()), sink });
  /** One fetcher run at `at`: tor-exit refreshes, mining-pools answers 503. */
  const run = (at: number) =>
    statuses.record(
      [
        { name: 'tor-exit', status: 'unchanged', entries: 4 },
        { name: 'mining-pools', status: 'stale', reason: `${MINING_URL} answered HTTP 503`, kept: 2 },
      ],
      at,
    );
  return { log: new FindingLog(engine), run, statuses, sink };
}

describe('Engine.rebaseline: threat lists not refreshed', () => {
  it('reports a list past two refresh intervals without a refresh, once a day, with its error', async () => {
    // Prepare
    const { log, run, sink } = await setUp();
    for (const hours of [6, 12, 18]) await run(T0 + hours * HOUR);
    // Act: before the limit (12 hours), past it, an hour later, a retry of that run, and a day later.
    const early = await log.rebaseline(T0 + 11 * HOUR);
    const stale = await log.rebaseline(T0 + 19 * HOUR);
    const later = await log.rebaseline(T0 + 20 * HOUR);
    const retry = await log.rebaseline(T0 + 19 * HOUR);
    await run(T0 + 42 * HOUR);
    const nextDay = await log.rebaseline(T0 + 44 * HOUR);
    // Assess
    expect(early.findings).toBeUndefined();
    expect(stale.findings).toEqual([
      expect.objectContaining({
        ruleId: 'net.threat-list-stale',
        severity: 'low',
        entities: expect.objectContaining({
          threatList: 'mining-pools',
          lastRefreshed: '2026-11-10T00:00:00.000Z',
          listVersion: 'm1',
        }),
      }),
    ]);
    expect(stale.staleThreatLists).toBe(1);
    expect(stale.findings?.[0]?.summary).toContain(`${MINING_URL} answered HTTP 503`);
    expect(stale.findings?.[0]?.summary).toContain('3 refreshes failed');
    expect(later.findings).toBeUndefined();
    // A retry of the run hands back the finding it recorded, and tells nobody again.
    expect(retry.findings?.map((f) => f.id)).toEqual(stale.findings?.map((f) => f.id));
    expect(nextDay.findings?.map((f) => f.entities.threatList)).toEqual(['mining-pools']);
    const ids = new Set(log.findings.filter((f) => f.ruleId === 'net.threat-list-stale').map((f) => f.id));
    expect(ids.size).toBe(2);
    expect(openings(sink.messages)[String(stale.findings?.[0]?.incidentId)]).toBe(1);
  });

  it('says a list never fetched matches nothing, at medium severity', async () => {
    // Prepare
    const { log, statuses } = await setUp({
      threatIntel: { fetch: { enabled: true, lists: ['spamhaus-drop'], staleAfterHours: 24 } },
    });
    await statuses.record([{ name: 'spamhaus-drop', status: 'stale', reason: 'HTTP 403', kept: undefined }], T0);
    // Act
    const early = await log.rebaseline(T0 + 23 * HOUR);
    const stale = await log.rebaseline(T0 + 25 * HOUR);
    // Assess
    expect(early.findings).toBeUndefined();
    expect(stale.findings).toEqual([
      expect.objectContaining({
        ruleId: 'net.threat-list-stale',
        severity: 'medium',
        title: 'Threat list never fetched',
        entities: { cluster: 'eks', threatList: 'spamhaus-drop' },
      }),
    ]);
  });

  it('reports nothing for lists the config no longer fetches, or when the stack fetches none', async () => {
    for (const input of [
      { threatIntel: { fetch: { enabled: true, lists: ['tor-exit' as const] } } },
      { threatIntel: { fetch: { enabled: false } } },
    ]) {
      // Prepare
      const { log, run } = await setUp(input);
      await run(T0 + 24 * HOUR);
      // Act
      const report = await log.rebaseline(T0 + 25 * HOUR);
      // Assess
      expect(report.findings).toBeUndefined();
      expect(report.staleThreatLists).toBeUndefined();
    }
  });

  it('reports nothing when the detector is turned off', async () => {
    // Prepare
    const { log, run } = await setUp({ ...FETCHING, detectors: { 'net.threat-list-stale': { enabled: false } } });
    await run(T0 + 24 * HOUR);
    // Act
    const report = await log.rebaseline(T0 + 25 * HOUR);
    // Assess
    expect(report.findings).toBeUndefined();
  });
});
