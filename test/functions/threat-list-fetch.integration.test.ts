import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createThreatListFetch, threatListFetchHandler } from '../../functions/threat-list-fetch-handler';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { s3ListFetcher } from '../../shared/aws/s3-source';
import { type ThreatListStatus, ThreatListStatusStore } from '../../shared/baseline/threat-list-status';
import { CONFIG_ENV, defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import type { HttpGet, RefreshOutcome } from '../../shared/intel/list-refresh';
import { ThreatIntelProvider } from '../../shared/intel/provider';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { lambdaContext } from '../support/lambda';
import { type LocalS3, startS3rver } from '../support/s3rver';

const TOR_URL = 'https://check.torproject.org/torbulkexitlist';
const FIREHOL_URL = 'https://raw.githubusercontent.com/firehol/blocklist-ipsets/master/firehol_level1.netset';
const DROP_URL = 'https://www.spamhaus.org/drop/drop_v4.json';
const MINING_URL = 'https://lists.example.com/mining-pools.txt';

/** Each public list as its site serves it, shortened. */
const TOR = '185.220.101.1\n185.220.101.2\n185.220.101.3\n185.220.101.4\n';
const FIREHOL = `#
# firehol_level1
#
# Entries             : 3 subnets, 1 unique IPs
#
0.0.0.0/8
198.51.100.0/24
203.0.113.0/25
192.0.2.66
`;
const DROP = `{"cidr":"198.18.23.0/24","sblid":"SBL000101","rir":"arin"}
{"cidr":"198.19.200.0/22","sblid":"SBL000102","rir":"ripencc"}
{"type":"metadata","timestamp":1793491200,"size":2,"records":2,"copyright":"(c) 2026 The Spamhaus Project SLU"}
`;
const MINING = '# mining pools\n192.0.2.200 ; pool.example\n192.0.2.201 ; pool.example\n';

type Served = { status: number; body: string } | Error;

/** An HTTP GET over a table of URLs: no network. */
function server(pages: Record<string, Served>): HttpGet & { calls: string[] } {
  const calls: string[] = [];
  const get: HttpGet = async (url) => {
    calls.push(url);
    const page = pages[url] ?? { status: 404, body: 'not found' };
    if (page instanceof Error) throw page;
    return { status: page.status, text: async () => page.body };
  };
  return Object.assign(get, { calls });
}

const GOOD: Record<string, Served> = {
  [TOR_URL]: { status: 200, body: TOR },
  [FIREHOL_URL]: { status: 200, body: FIREHOL },
  [DROP_URL]: { status: 200, body: DROP },
  [MINING_URL]: { status: 200, body: MINING },
};

let s3: LocalS3;
let dynamo: LocalDynamo;
let bucket: string;
let run = 0;
/**
 * The fetcher's clock: an hour later at each run, across tests too, as the table (and its
 * statuses, keyed by list name) is shared.
 */
let clock = Date.parse('2026-11-10T00:00:00Z');

beforeAll(async () => {
  [s3, dynamo] = await Promise.all([startS3rver('driftwatch-threat-lists'), startDynalite()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([s3?.close(), dynamo?.close()]);
});
beforeEach(() => {
  // Each test its own prefix: a bucket with no lists yet.
  run++;
});

function prefix(): string {
  return `run-${run}/threat-lists/`;
}

/** The fetcher of the stack, over s3rver, with the pages served by `pages`. */
function fetcher(pages: Record<string, Served>) {
  bucket = s3.bucket;
  const fetch = createThreatListFetch({
    s3: s3.client,
    dynamo: dynamo.client,
    get: server(pages),
    clock: () => clock,
    env: {
      THREAT_LIST_BUCKET: bucket,
      THREAT_LIST_PREFIX: prefix(),
      TABLE_NAME: dynamo.tableName,
      [CONFIG_ENV]: JSON.stringify({
        threatIntel: {
          fetch: {
            enabled: true,
            lists: ['tor-exit', 'firehol-level1', 'spamhaus-drop', { name: 'mining-pools', url: MINING_URL }],
          },
        },
      }),
    },
  });
  const metric = vi.spyOn(fetch.metrics, 'addMetric');
  const warn = vi.spyOn(fetch.logger, 'warn');
  const handler = threatListFetchHandler(fetch);
  return {
    invoke: () => {
      clock += 3_600_000;
      return handler({}, lambdaContext('threat-list-fetch')) as Promise<RefreshOutcome[]>;
    },
    staleCount: () => metric.mock.calls.filter(([name]) => name === 'ThreatListsStale').map(([, , value]) => value),
    warnings: () => warn.mock.calls.map(([message, extra]) => ({ message, ...(extra as object) })),
  };
}

async function stored(name: string): Promise<{ text: string; etag: string; source: string | undefined }> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix()}${name}.txt` }));
  return { text: (await out.Body?.transformToString()) ?? '', etag: out.ETag ?? '', source: out.Metadata?.source };
}

/** A list's refresh status as the rebaseline reads it from the table. */
async function statusOf(name: string): Promise<ThreatListStatus | undefined> {
  const table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
  return (await new ThreatListStatusStore(table).all()).find((status) => status.name === name);
}

/** The lists as a processor reads them: optional S3 sources, as the stack configures them. */
function processorIntel() {
  return new ThreatIntelProvider({
    sources: ['tor-exit', 'firehol-level1', 'spamhaus-drop', 'mining-pools'].map((name) => ({
      s3Uri: `s3://${s3.bucket}/${prefix()}${name}.txt`,
      name,
      optional: true,
    })),
    s3: s3ListFetcher(s3.client),
    refreshSeconds: 0,
  });
}

describe('threat-list fetcher', () => {
  it('stores every list on its first run, in each format, and the processors read them', async () => {
    // Prepare
    const { invoke, staleCount } = fetcher(GOOD);
    const intel = processorIntel();
    const before = await intel.get(1);
    // Act
    const outcomes = await invoke();
    // Assess
    expect(before.size).toBe(0);
    expect(outcomes).toEqual([
      { name: 'tor-exit', status: 'updated', entries: 4, previous: undefined, version: expect.any(String) },
      { name: 'firehol-level1', status: 'updated', entries: 4, previous: undefined, version: expect.any(String) },
      { name: 'spamhaus-drop', status: 'updated', entries: 2, previous: undefined, version: expect.any(String) },
      { name: 'mining-pools', status: 'updated', entries: 2, previous: undefined, version: expect.any(String) },
    ]);
    expect(staleCount()).toEqual([0]);
    expect(await stored('firehol-level1')).toEqual({ text: FIREHOL, etag: expect.any(String), source: FIREHOL_URL });
    const after = await intel.get(2);
    expect(after.match('185.220.101.3')?.list).toBe('tor-exit');
    expect(after.match('203.0.113.9')?.list).toBe('firehol-level1');
    expect(after.match('198.19.201.1')).toEqual({ list: 'spamhaus-drop', entry: '198.19.200.0/22', note: 'SBL000102' });
    expect(after.match('192.0.2.201')).toEqual({ list: 'mining-pools', entry: '192.0.2.201', note: 'pool.example' });
  });

  it('writes a new version when a list changed, and leaves an unchanged list alone', async () => {
    // Prepare
    await fetcher(GOOD).invoke();
    const [torBefore, dropBefore] = [await stored('tor-exit'), await stored('spamhaus-drop')];
    const tor = `${TOR}185.220.101.5\n`;
    // Act
    const outcomes = await fetcher({ ...GOOD, [TOR_URL]: { status: 200, body: tor } }).invoke();
    // Assess
    expect(outcomes[0]).toEqual({
      name: 'tor-exit',
      status: 'updated',
      entries: 5,
      previous: 4,
      version: expect.any(String),
    });
    expect(outcomes[2]).toEqual({ name: 'spamhaus-drop', status: 'unchanged', entries: 2 });
    const torAfter = await stored('tor-exit');
    expect(torAfter.text).toBe(tor);
    expect(torAfter.etag).not.toBe(torBefore.etag);
    expect((await stored('spamhaus-drop')).etag).toBe(dropBefore.etag);
  });

  it.each<[string, Served, string]>([
    ['an HTTP error', { status: 503, body: 'busy' }, `${TOR_URL} answered HTTP 503`],
    ['a network error', new TypeError('fetch failed'), `${TOR_URL} could not be fetched: fetch failed`],
    ['an empty body', { status: 200, body: '\n' }, 'the body is empty'],
    [
      'an HTML page served with 200',
      { status: 200, body: '<html>\n<body>\nMaintenance\n</body>\n</html>\n' },
      'no line of the body is an address',
    ],
    [
      'a body mostly not addresses',
      { status: 200, body: '185.220.101.1\nerror: upstream\nretry later\n' },
      '2 lines are not addresses, more than the 1 that are',
    ],
    [
      'a suspicious shrink',
      { status: 200, body: '185.220.101.1\n' },
      'it shrank from 4 to 1 entries, more than 50% at once',
    ],
  ])('keeps the last good copy and reports the list on %s', async (_case, served, reason) => {
    // Prepare
    await fetcher(GOOD).invoke();
    const before = await stored('tor-exit');
    const second = fetcher({ ...GOOD, [TOR_URL]: served });
    // Act
    const outcomes = await second.invoke();
    // Assess
    expect(outcomes[0]).toEqual({ name: 'tor-exit', status: 'stale', reason, kept: 4 });
    expect(outcomes.slice(1).map((o) => o.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(await stored('tor-exit')).toEqual(before);
    expect(second.staleCount()).toEqual([1]);
    expect(second.warnings()).toEqual([expect.objectContaining({ list: 'tor-exit', reason, entriesKept: 4 })]);
  });

  it('reports a list that never refreshed, and the processors still run without it', async () => {
    // Prepare
    const { invoke, staleCount } = fetcher({ ...GOOD, [DROP_URL]: { status: 403, body: 'denied' } });
    // Act
    const outcomes = await invoke();
    const intel = await processorIntel().get(1);
    // Assess
    expect(outcomes[2]).toEqual({
      name: 'spamhaus-drop',
      status: 'stale',
      reason: `${DROP_URL} answered HTTP 403`,
      kept: undefined,
    });
    expect(staleCount()).toEqual([1]);
    await expect(
      s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix()}spamhaus-drop.txt` })),
    ).rejects.toThrow();
    expect(intel.match('198.19.201.1')).toBeUndefined();
    expect(intel.match('185.220.101.1')?.list).toBe('tor-exit');
  });

  it('notes each list’s refresh status in the state table: when, which copy, how many entries', async () => {
    // Prepare
    const { invoke } = fetcher(GOOD);
    // Act
    const outcomes = await invoke();
    // Assess
    const version = outcomes[1]?.status === 'updated' ? outcomes[1].version : 'none';
    expect(await statusOf('firehol-level1')).toEqual({
      name: 'firehol-level1',
      firstAttempt: expect.any(Number),
      lastAttempt: clock,
      lastSuccess: clock,
      version,
      entries: 4,
      failures: 0,
    });
  });

  it('keeps the last good copy through two failed refreshes, and the status says why, never with the body', async () => {
    // Prepare
    const { invoke } = fetcher(GOOD);
    const [good] = await invoke();
    const refreshed = clock;
    const before = await stored('tor-exit');
    // Act
    const first = await fetcher({ ...GOOD, [TOR_URL]: { status: 503, body: 'busy: see ops@example.com' } }).invoke();
    const second = await fetcher({
      ...GOOD,
      [TOR_URL]: { status: 200, body: '<html>\n<body>\nMaintenance\n</body>\n</html>\n' },
    }).invoke();
    // Assess
    expect([first[0]?.status, second[0]?.status]).toEqual(['stale', 'stale']);
    expect(await stored('tor-exit')).toEqual(before);
    const status = await statusOf('tor-exit');
    expect(status).toEqual({
      name: 'tor-exit',
      firstAttempt: expect.any(Number),
      lastAttempt: clock,
      lastSuccess: refreshed,
      version: good?.status === 'updated' ? good.version : expect.any(String),
      entries: 4,
      failures: 2,
      error: 'no line of the body is an address',
    });
    expect(JSON.stringify(status)).not.toMatch(/Maintenance|ops@example/);
    // The other lists refreshed on each run.
    expect(await statusOf('spamhaus-drop')).toMatchObject({ lastSuccess: clock, failures: 0 });
  });

  it('has the rebaseline report, from the status in the table, a list that stayed stale past two runs', async () => {
    // Prepare: tor-exit refreshes, then fails twice, six-hourly runs as configured.
    await fetcher(GOOD).invoke();
    const refreshed = clock;
    await fetcher({ ...GOOD, [TOR_URL]: { status: 503, body: 'busy' } }).invoke();
    await fetcher({ ...GOOD, [TOR_URL]: { status: 503, body: 'busy' } }).invoke();
    const config = defaultConfig({
      threatIntel: {
        fetch: { enabled: true, lists: ['tor-exit', 'firehol-level1', 'spamhaus-drop'], schedule: 'rate(6 hours)' },
      },
    });
    const engine = new Engine({
      config,
      table: new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client }),
      context: buildDetectContext(config, new ThreatIntel()),
      sink: new CollectingSink(),
    });
    // Act: eleven hours after the last run (the others refreshed then), thirteen after tor-exit's refresh.
    const report = await engine.rebaseline(refreshed + 13 * 3_600_000);
    // Assess
    expect(report.findings).toEqual([
      expect.objectContaining({
        ruleId: 'net.threat-list-stale',
        entities: expect.objectContaining({ threatList: 'tor-exit', lastRefreshed: new Date(refreshed).toISOString() }),
        summary: expect.stringContaining(`${TOR_URL} answered HTTP 503`),
      }),
    ]);
  });
});
