import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entities, Finding } from '../../shared/alert';
import { DynamoTable } from '../../shared/aws';
import type { SuppressionRule } from '../../shared/config';
import { SuppressionError, SuppressionMatcher, SuppressionStore } from '../../shared/incident';
import { MemoryTable, type Table } from '../../shared/store';
import { DAY_MS, iso } from '../../shared/util';
import { startDynalite } from '../support/dynalite';

const T0 = Date.parse('2026-11-10T00:00:00Z');
const EXPIRES = iso(T0 + 30 * DAY_MS);

function finding(ruleId: string, entities: Entities): Finding {
  return {
    id: `f-${ruleId}`,
    ruleId,
    kind: 'rule',
    severity: 'high',
    source: 'eks-audit',
    time: iso(T0),
    title: 't',
    summary: 's',
    description: 'd',
    entities,
    evidence: '',
    origin: { uri: 's3://b/k' },
    mitre: [],
    count: 1,
    runbook: 'r',
  };
}

function rule(overrides: Partial<SuppressionRule> = {}): SuppressionRule {
  return { id: 's1', entities: {}, reason: 'known scanner', owner: 'platform', expires: EXPIRES, ...overrides };
}

/** Whether a suppression of these entity patterns mutes a finding with `found` entities. */
function mutes(entities: Record<string, string>, found: Entities, ruleId = 'audit.exec-into-pod'): boolean {
  return new SuppressionMatcher([rule({ entities })]).match(finding(ruleId, found), T0) === 's1';
}

describe('SuppressionMatcher', () => {
  it('matches a detector id glob, and the first rule that applies wins', () => {
    // Prepare
    const matcher = new SuppressionMatcher([
      rule({ id: 'new-ports', ruleId: 'net.new-*' }),
      rule({ id: 'all-net', ruleId: 'net.*' }),
    ]);
    // Act, Assess
    expect(matcher.match(finding('net.new-port', {}), T0)).toBe('new-ports');
    expect(matcher.match(finding('net.internet-scan', {}), T0)).toBe('all-net');
    expect(matcher.match(finding('audit.exec-into-pod', {}), T0)).toBeUndefined();
    // Globs are anchored: a prefix alone does not match.
    expect(
      new SuppressionMatcher([rule({ ruleId: 'net.new' })]).match(finding('net.new-port', {}), T0),
    ).toBeUndefined();
  });

  it.each([
    ['user', 'system:serviceaccount:ci:*', { user: 'system:serviceaccount:ci:runner' }, { user: 'alice' }],
    ['namespace', 'payments', { namespace: 'payments' }, { namespace: 'payments-v2' }],
    ['image', 'quay.io/prometheus/*', { image: 'quay.io/prometheus/node-exporter:v1' }, { image: 'docker.io/evil' }],
    ['name', 'debug-?', { name: 'debug-1' }, { name: 'debug-10' }],
    ['resource', 'secrets', { resource: 'secrets' }, { resource: 'configmaps' }],
    [
      'registry',
      '*.dkr.ecr.*.amazonaws.com',
      { registry: '1.dkr.ecr.eu-west-1.amazonaws.com' },
      { registry: 'ghcr.io' },
    ],
    ['workload', 'shop/web', { workload: 'Deployment shop/web' }, { workload: 'Deployment shop/cart' }],
    ['workload', 'shop/*', { srcWorkload: 'shop/web' }, { srcWorkload: 'other/web' }],
    ['workload', 'shop/*', { dstWorkload: 'shop/db' }, { dstNamespace: 'shop' }],
    ['dstPort', '443', { dstPort: 443 }, { dstPort: 4430 }],
    ['srcNamespace', 'monitoring', { srcNamespace: 'monitoring' }, {}],
  ] as [string, string, Entities, Entities][])('matches %s=%s', (key, pattern, matching, other) => {
    expect(mutes({ [key]: pattern }, matching)).toBe(true);
    expect(mutes({ [key]: pattern }, other)).toBe(false);
  });

  it('reads the audit workload before either end of the traffic', () => {
    expect(mutes({ workload: 'shop/*' }, { workload: 'Deployment kube-system/x', srcWorkload: 'shop/web' })).toBe(
      false,
    );
  });

  it('matches an array when any element does, but sourceIps and images only when every element does', () => {
    // Any: a user is in many groups.
    expect(mutes({ groups: 'ci-*' }, { groups: ['system:authenticated', 'ci-runners'] })).toBe(true);
    expect(mutes({ groups: 'ci-*' }, { groups: ['system:authenticated'] })).toBe(false);
    expect(mutes({ groups: 'ci-*' }, { groups: [] })).toBe(false);
    // Every: a spoofed X-Forwarded-For address does not mute a request from elsewhere.
    expect(mutes({ sourceIps: '10.1.0.0/16' }, { sourceIps: ['10.1.2.3', '10.1.9.9'] })).toBe(true);
    expect(mutes({ sourceIps: '10.1.0.0/16' }, { sourceIps: ['10.1.2.3', '198.51.100.7'] })).toBe(false);
    expect(mutes({ sourceIps: '10.1.0.0/16' }, { sourceIps: [] })).toBe(false);
    // Every: a trusted image does not hide an untrusted sidecar.
    expect(mutes({ image: 'quay.io/*' }, { images: ['quay.io/a', 'quay.io/b'] })).toBe(true);
    expect(mutes({ image: 'quay.io/*' }, { images: ['quay.io/a', 'docker.io/miner'] })).toBe(false);
  });

  it('takes a CIDR, a bare address or a glob for addresses, in IPv4 and IPv6', () => {
    expect(mutes({ dstAddr: '10.0.0.0/16' }, { dstAddr: '10.0.255.1' })).toBe(true);
    expect(mutes({ dstAddr: '10.0.0.0/16' }, { dstAddr: '10.1.0.1' })).toBe(false);
    expect(mutes({ srcAddr: '203.0.113.9' }, { srcAddr: '203.0.113.9' })).toBe(true);
    expect(mutes({ srcAddr: '203.0.113.9' }, { srcAddr: '203.0.113.90' })).toBe(false);
    expect(mutes({ srcAddr: '2001:db8::/32' }, { srcAddr: '2001:db8:1::5' })).toBe(true);
    expect(mutes({ srcAddr: '2001:db8::/32' }, { srcAddr: '2001:db9::5' })).toBe(false);
    expect(mutes({ dstAddr: '10.0.*' }, { dstAddr: '10.0.3.4' })).toBe(true);
    expect(mutes({ dstAddr: '10.0.*' }, { dstAddr: '10.00.3.4' })).toBe(false);
    // A text that is not an address never falls in a range.
    expect(mutes({ dstAddr: '10.0.0.0/8' }, { dstAddr: 'not-an-address' })).toBe(false);
  });

  it('needs every field it names to match', () => {
    const entities = { namespace: 'ci', dstAddr: '10.0.0.0/8' };
    expect(mutes(entities, { namespace: 'ci', dstAddr: '10.2.3.4' }, 'net.new-port')).toBe(true);
    expect(mutes(entities, { namespace: 'ci', dstAddr: '192.168.0.1' })).toBe(false);
    expect(mutes(entities, { dstAddr: '10.2.3.4' })).toBe(false);
    const both = new SuppressionMatcher([rule({ ruleId: 'net.*', entities: { namespace: 'ci' } })]);
    expect(both.match(finding('net.new-port', { namespace: 'ci' }), T0)).toBe('s1');
    expect(both.match(finding('audit.exec-into-pod', { namespace: 'ci' }), T0)).toBeUndefined();
    expect(both.match(finding('net.new-port', { namespace: 'shop' }), T0)).toBeUndefined();
  });

  it('applies until its expiry, to the millisecond, and never after', () => {
    const expires = T0 + DAY_MS;
    const matcher = new SuppressionMatcher([rule({ ruleId: 'net.*', expires: iso(expires) })]);
    const f = finding('net.new-port', {});
    expect(matcher.match(f, expires - 1)).toBe('s1');
    expect(matcher.match(f, expires)).toBeUndefined();
    expect(matcher.match(f, expires + DAY_MS)).toBeUndefined();
  });

  it('skips a rule with an unusable address pattern, so a typo mutes nothing', () => {
    const matcher = new SuppressionMatcher([
      rule({ id: 'typo', entities: { dstAddr: '10.0.0.0/33' } }),
      rule({ id: 'ok', entities: { dstAddr: '10.0.0.0/8' } }),
    ]);
    expect(matcher.size).toBe(1);
    expect(matcher.match(finding('net.new-port', { dstAddr: '10.0.0.1' }), T0)).toBe('ok');
  });
});

const backends: [string, () => Promise<{ table: Table; close(): Promise<void> }>][] = [
  ['MemoryTable', async () => ({ table: new MemoryTable(), close: async () => {} })],
  [
    'dynalite',
    async () => {
      const dynamo = await startDynalite();
      return { table: new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client }), close: dynamo.close };
    },
  ],
];

describe.each(backends)('SuppressionStore on %s', (_name, open) => {
  let table: Table;
  let close: () => Promise<void>;
  let now: number;
  const clock = () => now;
  const config = [rule({ id: 'cfg', ruleId: 'audit.anonymous-access' })];
  const store = (options = {}) => new SuppressionStore(table, clock, { config, ...options });

  beforeEach(async () => {
    ({ table, close } = await open());
    now = T0;
  });
  afterEach(async () => close());

  it('adds a suppression that then mutes, lists it with who added it, and logs the change', async () => {
    // Prepare
    const s = store();
    const added = rule({ id: 'ci', ruleId: 'net.*', entities: { srcAddr: '10.1.0.0/16' } });
    expect((await s.active(config, T0)).size).toBe(1);
    // Act
    await s.add(added, 'bob');
    // Assess: its own additions apply at once, refresh time or not.
    const matcher = await s.active(config, T0);
    expect(matcher.match(finding('net.new-port', { srcAddr: '10.1.2.3' }), T0)).toBe('ci');
    expect(matcher.match(finding('net.new-port', { srcAddr: '10.2.2.3' }), T0)).toBeUndefined();
    expect(matcher.match(finding('audit.anonymous-access', {}), T0)).toBe('cfg');
    expect(await s.list()).toEqual([
      { rule: config[0], source: 'config', createdBy: 'config', expired: false, muted: 0 },
      { rule: added, source: 'table', createdAt: iso(T0), createdBy: 'bob', expired: false, muted: 0 },
    ]);
    expect(await s.history()).toEqual([
      { at: iso(T0), action: 'add', id: 'ci', by: 'bob', reason: 'known scanner', rule: added },
    ]);
  });

  it('refuses a bad rule, an expiry in the past or beyond maxDays, a bad address and a config id', async () => {
    const s = store({ maxDays: 10 });
    const refused = (r: SuppressionRule) => expect(s.add(r, 'bob')).rejects.toThrow(SuppressionError);
    await refused(rule({ ruleId: 'net.*', expires: iso(T0) }));
    await refused(rule({ ruleId: 'net.*', expires: iso(T0 + 10 * DAY_MS + 1) }));
    await refused(rule({ ruleId: 'net.*', expires: '2026-11-20T00:00' }));
    await refused(rule({ entities: { dstAddr: '10.0.0.0/33' } }));
    await refused(rule({ entities: { srcAddr: 'ten.0.0.1' } }));
    await refused(rule({ ruleId: 'net.*', reason: '' }));
    await refused(rule({ id: 'has space', ruleId: 'net.*' }));
    await refused(rule({}));
    await refused(rule({ id: 'cfg', ruleId: 'net.*' }));
    await expect(s.add(rule({ ruleId: 'net.*', expires: '2027-01-31' }), 'bob')).rejects.toThrow(
      'expires 2027-01-31 is more than 10 days away (maxSuppressionDays); choose an earlier date',
    );
    expect(await s.list({ includeExpired: true, includeRemoved: true })).toHaveLength(1);
    // The limit itself is allowed.
    await s.add(rule({ ruleId: 'net.*', expires: iso(T0 + 10 * DAY_MS) }), 'bob');
    expect(await s.list()).toHaveLength(2);
  });

  it('adds an id once while it is active, even when two adds race, and again once it expired', async () => {
    // Act: two stores add the same id at once.
    const results = await Promise.allSettled([
      store().add(rule({ ruleId: 'net.*' }), 'bob'),
      store().add(rule({ ruleId: 'audit.*' }), 'eve'),
    ]);
    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toBeInstanceOf(SuppressionError);
    await expect(store().add(rule({ ruleId: 'net.*' }), 'bob')).rejects.toThrow('s1 is already active');
    // Once expired, the id is free again, and the new one replaces the old in the list.
    now = Date.parse(EXPIRES);
    await store().add(rule({ ruleId: 'k8s.*', expires: iso(now + DAY_MS) }), 'carol');
    const views = await store().list({ includeExpired: true });
    expect(views.filter((v) => v.source === 'table').map((v) => [v.rule.ruleId, v.createdBy])).toEqual([
      ['k8s.*', 'carol'],
    ]);
    expect((await store().history()).filter((c) => c.action === 'add')).toHaveLength(2);
  });

  it('removes a suppression: it stops applying and is kept with who removed it and why', async () => {
    // Prepare
    const s = store();
    await s.add(rule({ ruleId: 'net.*' }), 'bob');
    const before = await s.active([], T0);
    now = T0 + 1000;
    // Act
    await s.remove('s1', 'alice', 'scanner retired');
    // Assess: its own removals apply at once, refresh time or not.
    const f = finding('net.new-port', {});
    expect(before.match(f, now)).toBe('s1');
    expect((await s.active([], now)).match(f, now)).toBeUndefined();
    expect((await store().active([], now)).match(f, now)).toBeUndefined();
    expect((await s.list()).map((v) => v.rule.id)).toEqual(['cfg']);
    expect((await s.list({ includeRemoved: true }))[1]).toMatchObject({
      rule: { id: 's1' },
      removedAt: iso(now),
      removedBy: 'alice',
      removedReason: 'scanner retired',
    });
    expect((await s.history()).map((c) => [c.action, c.by, c.reason])).toEqual([
      ['add', 'bob', 'known scanner'],
      ['remove', 'alice', 'scanner retired'],
    ]);
    // Nothing left to remove: removed, unknown, from the config, expired.
    await expect(s.remove('s1', 'alice', 'again please')).rejects.toThrow('s1 was removed already');
    await expect(s.remove('nope', 'alice', 'not there')).rejects.toThrow('no suppression nope');
    await expect(s.remove('cfg', 'alice', 'from config')).rejects.toThrow('comes from the config file');
    await s.add(rule({ id: 'short', ruleId: 'net.*', expires: iso(now + 1000) }), 'bob');
    now += 1000;
    await expect(s.remove('short', 'alice', 'too late')).rejects.toThrow('short expired at');
  });

  it('lists expired ones only when asked, config ones included', async () => {
    const expiring = [rule({ id: 'cfg-old', ruleId: 'net.*', expires: iso(T0 + DAY_MS) })];
    const s = new SuppressionStore(table, clock, { config: expiring });
    await s.add(rule({ id: 'tbl-old', ruleId: 'net.*', expires: iso(T0 + DAY_MS) }), 'bob');
    now += 1;
    await s.add(rule({ id: 'tbl-new', ruleId: 'net.*', expires: iso(T0 + 2 * DAY_MS) }), 'bob');
    now = T0 + DAY_MS;
    // Table ones in the order they were added.
    expect((await s.list()).map((v) => v.rule.id)).toEqual(['tbl-new']);
    const all = await s.list({ includeExpired: true });
    expect(all.map((v) => [v.rule.id, v.source, v.expired])).toEqual([
      ['cfg-old', 'config', true],
      ['tbl-old', 'table', true],
      ['tbl-new', 'table', false],
    ]);
    expect((await s.active(expiring, now)).size).toBe(1);
  });

  it('counts what each suppression muted, config ones too, with atomic adds', async () => {
    // Prepare
    const s = store();
    await s.add(rule({ ruleId: 'net.*' }), 'bob');
    // Act: two engines count at once.
    await Promise.all([
      s.countMuted(new Map([['s1', 3]])),
      store().countMuted(
        new Map([
          ['s1', 2],
          ['cfg', 4],
          ['none', 0],
        ]),
      ),
    ]);
    // Assess
    expect((await s.list()).map((v) => [v.rule.id, v.muted])).toEqual([
      ['cfg', 4],
      ['s1', 5],
    ]);
    // A count for a suppression does not make one.
    expect((await s.active([], now)).size).toBe(1);
  });

  it('reads the table once per refresh, so an engine asks once for all its objects', async () => {
    // Prepare
    const s = store({ refreshMs: 60_000 });
    await store().add(rule({ ruleId: 'net.*' }), 'bob');
    const f = finding('net.new-port', {});
    const readsOf = async (work: () => Promise<unknown>) => {
      const before = table.counters.readRequests;
      await work();
      return table.counters.readRequests - before;
    };
    // Act, Assess
    expect(
      await readsOf(async () => {
        for (let i = 0; i < 5; i++) await s.active(config, now);
      }),
    ).toBe(1);
    // Another store's removal is seen once the refresh time has passed.
    now += 1000;
    await store().remove('s1', 'alice', 'scanner retired');
    expect(await readsOf(async () => expect((await s.active(config, now)).match(f, now)).toBe('s1'))).toBe(0);
    now += 60_000;
    expect(await readsOf(async () => expect((await s.active(config, now)).match(f, now)).toBeUndefined())).toBe(1);
  });
});
