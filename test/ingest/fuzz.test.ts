import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAuditObject } from '../../shared/ingest/audit-reader';
import { readFlowParquet } from '../../shared/ingest/flow-parquet-reader';
import { readFlowObject, STACK_FLOW_FORMAT, STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import { newReadStats, type ReadStats, totalRejected } from '../../shared/ingest/stats';
import type { AuditEvent, FlowRecord } from '../../shared/ingest/types';
import { flowParquet, memoryRandomAccess } from '../support/flow-parquet';
import { cwlData, gzip, rawAuditEvent, streamOf } from '../support/formats';

// CI runs 150 cases per property; a deeper soak: FUZZ_RUNS=3000 npx vitest run test/ingest/fuzz --testTimeout=600000
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

async function readAudit(data: Buffer, chunk = 4096): Promise<{ events: AuditEvent[]; stats: ReadStats }> {
  const stats = newReadStats();
  const events: AuditEvent[] = [];
  await readAuditObject(streamOf(data, chunk), { uri: 'fuzz', stats, cluster: 'c' }, (e) => events.push(e));
  return { events, stats };
}

async function readFlow(data: Buffer, chunk = 4096): Promise<{ records: FlowRecord[]; stats: ReadStats }> {
  const stats = newReadStats();
  const records: FlowRecord[] = [];
  await readFlowObject(streamOf(data, chunk), { uri: 'fuzz', stats }, (r) => records.push(r));
  return { records, stats };
}

const goodEvent = (i: number) => JSON.stringify(rawAuditEvent({ auditID: `good-${i}` }));
const flowLine = (i: number) =>
  `5 123456789012 eni-0a 10.0.1.${i % 250} 10.0.2.9 ${40000 + i} 443 6 3 180 1793527200 1793527260 ACCEPT OK vpc-0a subnet-0a i-0a 2 IPv4 10.0.64.${i % 250} 10.0.2.9 eu-west-1 euw1-az1 - - egress 1`;

/** Bad lines a hostile or broken writer could produce. */
const badAuditLine = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constant('{"kind":"Event","verb":'),
  fc.constant('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"kind":"Event"}'),
  fc.constant(
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","user":{"username":"\\u001b[31mevil"},"requestReceivedTimestamp":"nope"}',
  ),
  fc.constant(`{"kind":"Event","x":"${'A'.repeat(1_100_000)}"}`),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
);

/** Byte sequences that are not UTF-8: a stray continuation, a bad lead, an overlong form, a surrogate. */
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xff]),
  Buffer.from([0x80]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
);

/** A line with invalid UTF-8 spliced in at some position. */
function spliced(line: string, bytes: Buffer, at: number): Buffer {
  const text = Buffer.from(line);
  const cut = Math.min(at, text.length);
  return Buffer.concat([text.subarray(0, cut), bytes, text.subarray(cut)]);
}

const badFlowLine = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constant('2 123 eni-x 10.0.0.1'),
  fc.constant('totally unknown header words'),
  fc.constant('constructor __proto__ prototype'),
  fc.constant('constructor prototype hasownproperty'),
  fc.constant(`5 ${'9'.repeat(1_100_000)}`),
  fc.constant(
    '5 123456789012 eni-0a 10.0.1.1 10.0.2.9 -1 443 6 3 180 1793527200 1793527260 ACCEPT OK vpc-0a subnet-0a i-0a 2 IPv4 - - eu-west-1 euw1-az1 - - egress 1',
  ),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
);

describe('audit reader under hostile input', () => {
  it('never throws on random bytes, gzipped or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (bytes, zipped) => {
        const data = zipped ? gzip(Buffer.from(bytes)) : Buffer.from(bytes);
        await readAudit(data);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on truncated gzip, and keeps every event before the cut', async () => {
    const body = Array.from({ length: 40 }, (_, i) => goodEvent(i)).join('\n');
    const whole = gzip(body);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: whole.length }), async (cut) => {
        const { events, stats } = await readAudit(whole.subarray(0, cut));
        expect(events.length).toBeLessThanOrEqual(40);
        if (cut < whole.length && cut > 10) expect(stats.rejected['truncated-object']).toBeGreaterThanOrEqual(1);
        expect(events.map((e) => e.auditId)).toEqual(events.map((_, i) => `good-${i}`));
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps the good events around bad lines, and counts each bad line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(badAuditLine, { nil: undefined }), { minLength: 1, maxLength: 12 }),
        async (slots) => {
          const lines = slots.map((bad, i) => (bad === undefined ? goodEvent(i) : bad.replace(/\n/g, ' ')));
          const { events, stats } = await readAudit(Buffer.from(`${goodEvent(-1)}\n${lines.join('\n')}`), 997);
          const goodIds = ['good--1', ...slots.flatMap((bad, i) => (bad === undefined ? [`good-${i}`] : []))];
          expect(events.map((e) => e.auditId).filter((id) => id.startsWith('good-'))).toEqual(goodIds);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          const nonBlankBad = slots.filter((bad) => bad !== undefined && bad.trim() !== '').length;
          const accounted =
            events.length -
            goodIds.length +
            totalRejected(stats) +
            Object.values(stats.skipped).reduce((a, b) => a + b, 0);
          expect(accounted).toBe(nonBlankBad);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('reads Firehose data whole whatever the chunking, with bad messages inside', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5000 }),
        fc.array(badAuditLine, { maxLength: 3 }),
        async (chunk, bad) => {
          const messages = [goodEvent(0), ...bad, goodEvent(1)];
          const { events } = await readAudit(gzip(cwlData(messages) + cwlData([goodEvent(2)])), chunk);
          expect(events.map((e) => e.auditId).filter((id) => id.startsWith('good-'))).toEqual([
            'good-0',
            'good-1',
            'good-2',
          ]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('counts invalid UTF-8 without losing the lines around it', async () => {
    const data = Buffer.concat([
      Buffer.from(`${goodEvent(0)}\n`),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a]),
      Buffer.from(`${goodEvent(1)}\n`),
    ]);
    const { events, stats } = await readAudit(data, 3);
    expect(events.map((e) => e.auditId)).toEqual(['good-0', 'good-1']);
    expect(totalRejected(stats)).toBe(1);
  });
});

describe('flow reader under hostile input', () => {
  it('never throws on random bytes, gzipped or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (bytes, zipped) => {
        await readFlow(zipped ? gzip(Buffer.from(bytes)) : Buffer.from(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps the good records around bad lines, and counts each bad line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(badFlowLine, { nil: undefined }), { minLength: 1, maxLength: 12 }),
        async (slots) => {
          const lines = slots.map((bad, i) => (bad === undefined ? flowLine(i) : bad.replace(/\n/g, ' ')));
          const { records, stats } = await readFlow(
            Buffer.from(`${STACK_FLOW_HEADER}\n${lines.join('\n')}\n${STACK_FLOW_HEADER}\n${flowLine(99)}\n`),
            500,
          );
          const expected = [...slots.flatMap((bad, i) => (bad === undefined ? [40000 + i] : [])), 40099];
          expect(records.map((r) => r.srcPort).filter((p) => p !== undefined && p >= 40000)).toEqual(expected);
          const nonBlankBad = slots.filter((bad) => bad !== undefined && bad.trim() !== '').length;
          expect(
            records.length - expected.length + totalRejected(stats) + stats.logHealth.nodata + stats.logHealth.skipdata,
          ).toBeLessThanOrEqual(nonBlankBad);
          // Each reject names the object and the line of a bad slot (the header is line 1).
          const badLines = new Set(slots.flatMap((bad, i) => (bad === undefined ? [] : [i + 2])));
          for (const sample of stats.samples) {
            expect(sample.uri).toBe('fuzz');
            expect(badLines.has(sample.line as number)).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
    // Each run reads a whole object: on a loaded machine 150 runs take past the default minute.
  }, 180_000);

  it('never throws on truncated gzip', async () => {
    const whole = gzip([STACK_FLOW_HEADER, ...Array.from({ length: 200 }, (_, i) => flowLine(i))].join('\n'));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: whole.length }), async (cut) => {
        const { records } = await readFlow(whole.subarray(0, cut));
        expect(records.map((r) => r.srcPort)).toEqual(records.map((_, i) => 40000 + i));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('both readers and invalid UTF-8', () => {
  it('flow: counts each line with invalid bytes as invalid-utf8, with its line, and keeps the others', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.tuple(invalidUtf8, fc.nat(200)), { nil: undefined }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 300 }),
        async (slots, chunk) => {
          const lines = slots.map((bad, i) => (bad ? spliced(flowLine(i), bad[0], bad[1]) : Buffer.from(flowLine(i))));
          const data = Buffer.concat([
            Buffer.from(`${STACK_FLOW_HEADER}\n`),
            ...lines.flatMap((l) => [l, Buffer.from('\n')]),
          ]);
          const { records, stats } = await readFlow(data, chunk);
          expect(records.map((r) => r.srcPort)).toEqual(slots.flatMap((bad, i) => (bad ? [] : [40000 + i])));
          const badLines = slots.flatMap((bad, i) => (bad ? [i + 2] : []));
          expect(stats.rejected).toEqual(badLines.length ? { 'invalid-utf8': badLines.length } : {});
          expect(stats.samples.map((s) => s.line)).toEqual(badLines.slice(0, 5));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('audit: counts each JSON line with invalid bytes inside a string, and keeps the others', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(invalidUtf8, { nil: undefined }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 500 }),
        async (slots, chunk) => {
          const lines = slots.map((bad, i) => {
            const line = JSON.stringify(rawAuditEvent({ auditID: `good-${i}`, userAgent: 'agent-XX' }));
            return bad ? spliced(line, bad, line.indexOf('XX')) : Buffer.from(line);
          });
          const { events, stats } = await readAudit(Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])), chunk);
          expect(events.map((e) => e.auditId)).toEqual(slots.flatMap((bad, i) => (bad ? [] : [`good-${i}`])));
          const badLines = slots.flatMap((bad, i) => (bad ? [i + 1] : []));
          expect(stats.rejected).toEqual(badLines.length ? { 'invalid-utf8': badLines.length } : {});
          expect(stats.samples.map((s) => s.line)).toEqual(badLines.slice(0, 5));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('oversized records', () => {
  it('audit: skips a line over its 16 MiB bound and keeps the lines around it', async () => {
    const huge = `{"kind":"Event","x":"${'A'.repeat(17 * 1024 * 1024)}"}`;
    const { events, stats } = await readAudit(Buffer.from(`${goodEvent(0)}\n${huge}\n${goodEvent(1)}\n`), 1 << 20);
    expect(events.map((e) => e.auditId)).toEqual(['good-0', 'good-1']);
    expect(stats.rejected).toEqual({ 'oversized-record': 1 });
    expect(stats.samples[0]).toMatchObject({ line: 2 });
  });

  it('audit: holds the 16 MiB bound inside a string of a pretty-printed document, and reads on', async () => {
    // One document whose string alone is 40 MiB: no line break for the line splitter to see, no
    // structure for the scanner to count; the bound must still hold, and reading go on after it.
    const pretty = (e: unknown) => JSON.stringify(e, null, 2);
    const huge = `{\n  "kind": "Event",\n  "requestObject": "${'A'.repeat(40 * 1024 * 1024)}"\n}`;
    const data = Buffer.from(
      `${pretty(rawAuditEvent({ auditID: 'before' }))}\n${huge}\n${pretty(rawAuditEvent({ auditID: 'after' }))}\n`,
    );
    const hugeLine = pretty(rawAuditEvent({ auditID: 'before' })).split('\n').length + 1;
    const { events, stats } = await readAudit(data, 64 * 1024);
    expect(events.map((e) => [e.auditId, e.origin.line])).toEqual([
      ['before', 1],
      ['after', hugeLine + 4],
    ]);
    expect(stats.rejected).toEqual({ 'oversized-record': 1 });
    expect(stats.samples[0]).toMatchObject({ uri: 'fuzz', line: hugeLine });
    expect(stats.samples[0]?.detail).toContain(`over ${16 * 1024 * 1024} characters`);
  });

  it('audit: reads pretty-printed documents whole whatever the chunking, escaped quotes and backslashes included', async () => {
    // A chunk may end inside a run of backslashes; whether the next quote closes the string
    // depends on the whole run.
    const tricky = fc.array(fc.constantFrom('\\', '"', 'a', '}', '{', '\n', '\\"'), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          tricky.map((parts) => parts.join('')),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 1, max: 40 }),
        async (texts, chunk) => {
          const docs = texts.map((text, i) =>
            JSON.stringify(rawAuditEvent({ auditID: `d${i}`, userAgent: `ua ${text}` }), null, 2),
          );
          const { events, stats } = await readAudit(Buffer.from(docs.join('\n')), chunk);
          expect(stats.rejected).toEqual({});
          expect(events.map((e) => [e.auditId, e.userAgent])).toEqual(texts.map((text, i) => [`d${i}`, `ua ${text}`]));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('flow: skips a line over 1 MiB and keeps the lines around it', async () => {
    const data = `${STACK_FLOW_HEADER}\n${flowLine(0)}\n5 ${'9'.repeat(1_100_000)}\n${flowLine(1)}\n`;
    const { records, stats } = await readFlow(Buffer.from(data), 64 * 1024);
    expect(records.map((r) => r.srcPort)).toEqual([40000, 40001]);
    expect(stats.rejected).toEqual({ 'oversized-record': 1 });
    expect(stats.samples[0]).toMatchObject({ line: 3 });
  });
});

describe('flow reader and hostile field names', () => {
  it('keeps constructor and prototype as plain extras, never on a prototype', async () => {
    const { records } = await readFlow(
      Buffer.from('srcaddr dstaddr log-status constructor prototype\n1.1.1.1 2.2.2.2 OK a b\n'),
    );
    expect(records[0]?.extras).toEqual({ constructor: 'a', prototype: 'b' });
    expect(Object.getPrototypeOf(records[0]?.extras)).toBe(Object.prototype);
  });
});

describe('Parquet reader under hostile input', () => {
  const fields = [...STACK_FLOW_FORMAT];
  const rows = Array.from({ length: 120 }, (_, i) =>
    Object.fromEntries(
      flowLine(i)
        .split(' ')
        .map((v, k) => [fields[k] as string, v === '-' ? null : v]),
    ),
  );
  const whole = flowParquet(fields, rows, { rowGroupSize: 40, pageSize: 2048 });
  const goodPorts = new Set(rows.map((_, i) => 40000 + i));

  async function readParquet(bytes: Buffer): Promise<{ records: FlowRecord[]; stats: ReadStats }> {
    const stats = newReadStats();
    const records: FlowRecord[] = [];
    await readFlowParquet(memoryRandomAccess('fuzz.parquet', bytes), { stats, rowsPerSlice: 17 }, (r) =>
      records.push(r),
    );
    return { records, stats };
  }

  it('never throws on random bytes, with or without Parquet magic around them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, framed) => {
        const data = framed
          ? Buffer.concat([
              Buffer.from('PAR1'),
              bytes,
              Buffer.from([bytes.length & 0xff, 0, 0, 0]),
              Buffer.from('PAR1'),
            ])
          : Buffer.from(bytes);
        const { stats } = await readParquet(data);
        expect(totalRejected(stats)).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on a truncated object', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: whole.length - 1 }), async (cut) => {
        const { records, stats } = await readParquet(whole.subarray(0, cut));
        expect(records).toEqual([]);
        expect(stats.rejected['truncated-object']).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on damaged bytes, and every record it delivers is one that was written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(whole.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (edits) => {
          const damaged = Buffer.from(whole);
          for (const [at, value] of edits) damaged[at] = value;
          const { records } = await readParquet(damaged);
          for (const record of records) {
            // A flipped byte inside a value can change it; the record still has the shape of a real one.
            expect(typeof record.srcAddr).toBe('string');
            expect(record.origin.record).toBeLessThan(rows.length);
          }
          if (records.length === rows.length && edits.every(([at]) => whole[at] === damaged[at])) {
            expect(records.every((r) => goodPorts.has(r.srcPort as number))).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
