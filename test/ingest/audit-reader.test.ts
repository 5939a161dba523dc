import { describe, expect, it } from 'vitest';
import { readAuditObject } from '../../shared/ingest/audit-reader';
import { newReadStats, type ReadStats } from '../../shared/ingest/stats';
import { type AuditEvent, CWL_CONTROL, collect, cwlData, gzip, rawAuditEvent, streamOf } from '../support/formats';

async function read(data: string | Buffer, chunkSize?: number): Promise<{ events: AuditEvent[]; stats: ReadStats }> {
  const stats = newReadStats();
  const events = await collect<AuditEvent>(
    (source, onEvent) => readAuditObject(source, { uri: 's3://b/k', stats, cluster: 'configured' }, onEvent),
    data,
    chunkSize,
  );
  return { events, stats };
}

const events = (n: number, prefix = 'e') =>
  Array.from({ length: n }, (_, i) => rawAuditEvent({ auditID: `${prefix}${i}` }));

describe('readAuditObject', () => {
  it('reads Firehose CloudWatch Logs data: gzip, concatenated with no delimiter, control messages skipped', async () => {
    const a = events(3, 'a').map((e) => JSON.stringify(e));
    const b = events(2, 'b').map((e) => JSON.stringify(e));
    const body = cwlData(a, 'shop-prod') + CWL_CONTROL + cwlData(b, 'shop-prod');
    for (const chunkSize of [7, 1024, 1 << 20]) {
      const { events: out, stats } = await read(gzip(body), chunkSize);
      expect(out.map((e) => e.auditId)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
      expect(out[0]?.cluster).toBe('shop-prod');
      expect(out[3]?.origin).toEqual({ uri: 's3://b/k', line: 1, document: 2, record: 0 });
      expect(stats.skipped['control-message']).toBe(1);
      expect(stats.rejected).toEqual({});
    }
  });

  it('reads the same data newline-delimited (Firehose decompression) and gzipped twice', async () => {
    const body = `${cwlData(events(2, 'x').map((e) => JSON.stringify(e)))}\n${cwlData(events(1, 'y').map((e) => JSON.stringify(e)))}\n`;
    expect((await read(body)).events.map((e) => e.auditId)).toEqual(['x0', 'x1', 'y0']);
    const twice = await read(gzip(gzip(body)));
    expect(twice.events.map((e) => e.auditId)).toEqual(['x0', 'x1', 'y0']);
    expect(twice.events[2]?.origin.line).toBe(2);
  });

  it('reads JSON Lines, blank lines included, with line numbers', async () => {
    const body = `${JSON.stringify(rawAuditEvent({ auditID: 'l1' }))}\n\n${JSON.stringify(rawAuditEvent({ auditID: 'l3' }))}\r\n`;
    const { events: out } = await read(body);
    expect(out.map((e) => [e.auditId, e.origin.line])).toEqual([
      ['l1', 1],
      ['l3', 3],
    ]);
    expect(out[0]?.cluster).toBe('configured');
  });

  it('reads a single pretty-printed event', async () => {
    const { events: out, stats } = await read(JSON.stringify(rawAuditEvent({ auditID: 'p' }), null, 2));
    expect(out.map((e) => e.auditId)).toEqual(['p']);
    expect(stats.rejected).toEqual({});
  });

  it('reads CloudWatch export-task lines', async () => {
    const body = events(2, 't')
      .map((e) => `2026-11-01T10:00:00.000Z ${JSON.stringify(e)}`)
      .join('\n');
    expect((await read(gzip(body))).events.map((e) => e.auditId)).toEqual(['t0', 't1']);
  });

  it('reads v1beta1 events and normalizes the fields detectors use', async () => {
    const raw = rawAuditEvent({
      apiVersion: 'audit.k8s.io/v1beta1',
      auditID: 'n',
      verb: 'create',
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'ns', name: 'p' },
      responseStatus: { code: 101 },
      impersonatedUser: { username: 'bob', groups: ['g'] },
    });
    const [event] = (await read(JSON.stringify(raw))).events;
    expect(event).toMatchObject({
      auditId: 'n',
      verb: 'create',
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'ns', name: 'p' },
      responseCode: 101,
      decision: 'allow',
      impersonatedUser: { username: 'bob', groups: ['g'] },
      time: Date.parse('2026-11-01T10:00:00.000Z'),
    });
  });

  it('counts truncated CloudWatch messages and keeps the rest', async () => {
    const good = JSON.stringify(rawAuditEvent({ auditID: 'ok' }));
    const truncated = `${good.slice(0, 50)}[Truncated...]`;
    const { events: out, stats } = await read(gzip(cwlData([truncated, good])));
    expect(out.map((e) => e.auditId)).toEqual(['ok']);
    expect(stats.rejected['truncated-message']).toBe(1);
    expect(stats.samples[0]).toMatchObject({ reason: 'truncated-message', uri: 's3://b/k', line: 1, record: 0 });
  });

  it('keeps good lines around a malformed one and reports its line', async () => {
    const body = [
      JSON.stringify(rawAuditEvent({ auditID: 'g1' })),
      '{"kind":"Event", broken',
      JSON.stringify(rawAuditEvent({ auditID: 'g3' })),
    ].join('\n');
    const { events: out, stats } = await read(body);
    expect(out.map((e) => e.auditId)).toEqual(['g1', 'g3']);
    expect(stats.rejected['malformed-json']).toBe(1);
    expect(stats.samples[0]?.line).toBe(2);
  });

  it('counts a truncated gzip object and keeps what came before the damage', async () => {
    const body = Array.from({ length: 8 }, (_, i) => cwlData(events(500, `o${i}-`).map((e) => JSON.stringify(e)))).join(
      '',
    );
    const whole = gzip(body);
    const { events: out, stats } = await read(whole.subarray(0, Math.floor(whole.length * 0.75)));
    expect(out.length).toBeGreaterThan(2000);
    expect(out.length).toBeLessThan(4000);
    expect(out.map((e) => e.auditId).slice(0, 2)).toEqual(['o0-0', 'o0-1']);
    expect(stats.rejected['truncated-object']).toBeGreaterThanOrEqual(1);
  });

  it('skips well-formed JSON that is not an audit event, and reports unknown content', async () => {
    const { events: out, stats } = await read('{"kind": 0}');
    expect(out).toEqual([]);
    expect(stats.skipped['not-an-audit-event']).toBe(1);
    const junk = await read('this is not json at all');
    expect(junk.stats.rejected['unrecognized-content']).toBe(1);
  });

  it('rejects events without the fields every detector needs', async () => {
    const body = [JSON.stringify(rawAuditEvent({ verb: undefined })), JSON.stringify(rawAuditEvent({ user: {} }))].join(
      '\n',
    );
    const { events: out, stats } = await read(body);
    expect(out).toEqual([]);
    expect(stats.rejected['invalid-event']).toBe(2);
  });

  it('skips a document over the bound and resynchronizes at the next envelope', async () => {
    const big = cwlData(events(40, 'big').map((e) => JSON.stringify(e)));
    const small = cwlData([JSON.stringify(rawAuditEvent({ auditID: 'after' }))]);
    const stats = newReadStats();
    const out: AuditEvent[] = [];
    await readAuditObject(
      streamOf(gzip(small + big + small)),
      { uri: 'u', stats, cluster: 'c', maxRecordChars: big.length - 10 },
      (e) => out.push(e),
    );
    expect(out.map((e) => e.auditId)).toEqual(['after', 'after']);
    expect(stats.rejected).toEqual({ 'oversized-record': 1 });
    expect(stats.samples[0]).toMatchObject({ uri: 'u', line: 1 });
  });

  it('does not let __proto__ keys change objects it builds', async () => {
    const body =
      '{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","requestReceivedTimestamp":"2026-11-01T00:00:00Z","user":{"username":"u","extra":{"__proto__":["x"],"arn":["a"]}},"annotations":{"__proto__":"x"}}';
    const [event] = (await read(body)).events;
    expect(event?.user.extra).toEqual({ arn: ['a'] });
    expect(Object.getPrototypeOf(event?.user.extra)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('reads a single event on one line, with no newline at the end', async () => {
    const { events: out, stats } = await read(JSON.stringify(rawAuditEvent({ auditID: 'one' })));
    expect(out.map((e) => e.auditId)).toEqual(['one']);
    expect(stats.rejected).toEqual({});
  });

  it('reads audit.k8s.io/v1 and v1beta1 events in one object, and refuses other apiVersions', async () => {
    const body = [
      rawAuditEvent({ auditID: 'v1', apiVersion: 'audit.k8s.io/v1' }),
      rawAuditEvent({ auditID: 'beta', apiVersion: 'audit.k8s.io/v1beta1' }),
      rawAuditEvent({ auditID: 'other', apiVersion: 'events.k8s.io/v1' }),
    ]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const { events: out, stats } = await read(gzip(body));
    expect(out.map((e) => e.auditId)).toEqual(['v1', 'beta']);
    expect(stats.rejected).toEqual({ 'invalid-event': 1 });
  });

  it('counts a CloudWatch message with bytes that are not UTF-8 and keeps the rest of its envelope', async () => {
    const good = JSON.stringify(rawAuditEvent({ auditID: 'ok' }));
    const marked = JSON.stringify(rawAuditEvent({ auditID: 'bad', userAgent: 'XX' }));
    const text = cwlData([good, marked, good]);
    const at = Buffer.from(text).indexOf('XX');
    const bytes = Buffer.from(text);
    bytes[at] = 0xff;
    const { events: out, stats } = await read(gzip(bytes), 1000);
    expect(out.map((e) => e.auditId)).toEqual(['ok', 'ok']);
    expect(stats.rejected).toEqual({ 'invalid-utf8': 1 });
    expect(stats.samples[0]).toMatchObject({ reason: 'invalid-utf8', document: 0, record: 1 });
  });
});
