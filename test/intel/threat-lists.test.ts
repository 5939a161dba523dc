import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ListMissingError } from '../../shared/intel/errors';
import { type ListFetcher, ThreatIntelProvider } from '../../shared/intel/provider';
import { ThreatIntel } from '../../shared/intel/threat-intel';

const FIREHOL = `#
# firehol_level1
#
# Entries             : 4 subnets, 3 unique IPs
#
0.0.0.0/8
10.0.0.0/8
198.51.100.0/24
203.0.113.66
`;

const SPAMHAUS_DROP = `; Spamhaus DROP List 2026/11/01 - (c) 2026 The Spamhaus Project SLU
; Last-Modified: Sun, 01 Nov 2026 00:00:00 GMT
198.18.23.0/24 ; SBL000101
198.19.200.0/22 ; SBL000102
`;

const SPAMHAUS_JSON = `{"cidr":"2001:db8:bad::/48","sblid":"SBL000104","rir":"ripencc"}
{"cidr":"198.18.99.0/24","sblid":"SBL000103","rir":"arin"}
{"type":"metadata","timestamp":1793491200,"size":2,"records":2,"copyright":"(c) 2026 The Spamhaus Project SLU"}
`;

describe('ThreatIntel', () => {
  it('reads plain lists, FireHOL netsets, Spamhaus DROP and its JSON lines', () => {
    // Prepare
    const intel = new ThreatIntel();
    // Act
    const results = [
      intel.addList('plain', '192.0.2.1\n192.0.2.128/25   # trailing comment\n\n'),
      intel.addList('firehol', FIREHOL),
      intel.addList('drop', SPAMHAUS_DROP),
      intel.addList('drop-json', SPAMHAUS_JSON),
    ];
    // Assess
    expect(results.map((r) => [r.entries, r.invalid.length])).toEqual([
      [2, 0],
      [4, 0],
      [2, 0],
      [2, 0],
    ]);
    expect(intel.match('192.0.2.200')).toEqual({ list: 'plain', entry: '192.0.2.128/25', note: 'trailing comment' });
    expect(intel.match('198.19.203.9')).toEqual({ list: 'drop', entry: '198.19.200.0/22', note: 'SBL000102' });
    expect(intel.match('2001:db8:bad:7::1')).toEqual({
      list: 'drop-json',
      entry: '2001:db8:bad::/48',
      note: 'SBL000104',
    });
    expect(intel.match('203.0.113.66')?.list).toBe('firehol');
    expect(intel.match('203.0.113.67')).toBeUndefined();
  });

  it('counts lines that are not addresses, without losing the rest', () => {
    const intel = new ThreatIntel();
    const result = intel.addList(
      'broken',
      '198.51.100.7\nnot-an-ip\n{"cidr":5}\n{broken json\n198.51.100.8/33\n198.51.100.9\n',
    );
    expect(result.entries).toBe(2);
    expect(result.invalid.map((i) => i.line)).toEqual([2, 3, 4, 5]);
  });
});

describe('ThreatIntelProvider', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('loads file lists once, rechecks after the refresh interval, and reloads only when a file changed', async () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'dw-intel-'));
    const path = join(dir, 'level1.netset');
    writeFileSync(path, FIREHOL);
    const provider = new ThreatIntelProvider({
      sources: [{ path: 'level1.netset', name: 'level1' }],
      baseDir: dir,
      refreshSeconds: 60,
    });
    // Act + Assess
    const first = await provider.get(1_000);
    expect(first.match('198.51.100.9')?.list).toBe('level1');
    expect(await provider.get(30_000)).toBe(first);
    expect(await provider.get(90_000)).toBe(first);
    writeFileSync(path, `${FIREHOL}192.0.2.0/24\n`);
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    const reloaded = await provider.get(200_000);
    expect(reloaded).not.toBe(first);
    expect(reloaded.match('192.0.2.9')?.list).toBe('level1');
  });

  it('checks S3 lists by ETag, and keeps the lists it has when a reload fails', async () => {
    // Prepare: a fake S3 whose object changes, then becomes unreadable.
    let etag = '"v1"';
    let body = SPAMHAUS_DROP;
    let failing = false;
    const calls: string[] = [];
    const s3: ListFetcher = {
      async fetch(location) {
        calls.push(`get ${location}`);
        if (failing) throw new Error('SlowDown');
        return { text: body, version: etag };
      },
      async version(location) {
        calls.push(`head ${location}`);
        if (failing) throw new Error('SlowDown');
        return etag;
      },
    };
    const warnings: string[] = [];
    const provider = new ThreatIntelProvider({
      sources: [{ s3Uri: 's3://intel/drop.txt', name: 'drop' }],
      s3,
      refreshSeconds: 1,
      warn: (m) => warnings.push(m),
    });
    // Act
    const first = await provider.get(0);
    const unchanged = await provider.get(5_000);
    etag = '"v2"';
    body = `${SPAMHAUS_DROP}192.0.2.0/24 ; SBL000200\n`;
    const changed = await provider.get(10_000);
    failing = true;
    const kept = await provider.get(15_000);
    // Assess
    expect(unchanged).toBe(first);
    expect(changed.match('192.0.2.1')?.note).toBe('SBL000200');
    expect(kept).toBe(changed);
    expect(warnings).toEqual([expect.stringContaining('keeping the previous ones: SlowDown')]);
    expect(calls).toEqual([
      'get s3://intel/drop.txt',
      'head s3://intel/drop.txt',
      'head s3://intel/drop.txt',
      'get s3://intel/drop.txt',
      'head s3://intel/drop.txt',
    ]);
  });

  it('fails loudly when a list cannot be read the first time', async () => {
    const provider = new ThreatIntelProvider({ sources: [{ path: '/nonexistent/list.txt' }] });
    await expect(provider.get()).rejects.toThrow(/ENOENT/);
  });

  it('reads an optional list as empty until it appears, then loads it; other failures still count', async () => {
    // Prepare: an S3 list the fetcher has not written yet.
    let object: { text: string; version: string } | Error = new ListMissingError(
      's3://lists/threat-lists/tor-exit.txt',
    );
    const s3: ListFetcher = {
      fetch: async () => {
        if (object instanceof Error) throw object;
        return object;
      },
      version: async () => {
        if (object instanceof Error) throw object;
        return object.version;
      },
    };
    const warnings: string[] = [];
    const provider = new ThreatIntelProvider({
      sources: [{ s3Uri: 's3://lists/threat-lists/tor-exit.txt', name: 'tor-exit', optional: true }],
      s3,
      refreshSeconds: 1,
      warn: (message) => warnings.push(message),
    });
    // Act / Assess
    const before = await provider.get(0);
    expect(before.size).toBe(0);
    object = { text: '185.220.101.1\n', version: '"etag-1"' };
    const after = await provider.get(2_000);
    expect(after.match('185.220.101.1')?.list).toBe('tor-exit');
    object = new Error('SlowDown');
    expect(await provider.get(4_000)).toBe(after);
    expect(warnings).toEqual(['threat lists not reloaded, keeping the previous ones: SlowDown']);
    const strict = new ThreatIntelProvider({ sources: [{ s3Uri: 's3://lists/threat-lists/tor-exit.txt' }], s3 });
    object = new ListMissingError('s3://lists/threat-lists/tor-exit.txt');
    await expect(strict.get()).rejects.toThrow(/does not exist/);
  });
});
