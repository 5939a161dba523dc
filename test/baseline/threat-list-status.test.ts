import { describe, expect, it } from 'vitest';
import { ThreatListStatusStore } from '../../shared/baseline/threat-list-status';
import { MemoryTable } from '../../shared/store/memory-table';

const T0 = Date.parse('2026-11-10T00:00:00Z');
const HOUR = 3_600_000;

describe('ThreatListStatusStore', () => {
  it('notes a refresh that stored a new copy: when, which version, how many entries', async () => {
    // Prepare
    const store = new ThreatListStatusStore(new MemoryTable());
    // Act
    await store.record([{ name: 'tor-exit', status: 'updated', entries: 4, previous: undefined, version: 'v1' }], T0);
    // Assess
    expect(await store.all()).toEqual([
      { name: 'tor-exit', firstAttempt: T0, lastAttempt: T0, lastSuccess: T0, version: 'v1', entries: 4, failures: 0 },
    ]);
  });

  it('keeps the last success and version through failures, counts them and says why the latest failed', async () => {
    // Prepare
    const store = new ThreatListStatusStore(new MemoryTable());
    await store.record([{ name: 'tor-exit', status: 'updated', entries: 4, previous: undefined, version: 'v1' }], T0);
    // Act
    await store.record([{ name: 'tor-exit', status: 'stale', reason: 'the body is empty', kept: 4 }], T0 + 6 * HOUR);
    await store.record(
      [{ name: 'tor-exit', status: 'stale', reason: 'https://x.example/l answered HTTP 503', kept: 4 }],
      T0 + 12 * HOUR,
    );
    // Assess
    expect(await store.all()).toEqual([
      {
        name: 'tor-exit',
        firstAttempt: T0,
        lastAttempt: T0 + 12 * HOUR,
        lastSuccess: T0,
        version: 'v1',
        entries: 4,
        failures: 2,
        error: 'https://x.example/l answered HTTP 503',
      },
    ]);
  });

  it('clears the failures and the error when a refresh succeeds again, keeping the version of an unchanged list', async () => {
    // Prepare
    const store = new ThreatListStatusStore(new MemoryTable());
    await store.record([{ name: 'drop', status: 'updated', entries: 2, previous: undefined, version: 'v1' }], T0);
    await store.record([{ name: 'drop', status: 'stale', reason: 'timeout', kept: 2 }], T0 + HOUR);
    // Act
    await store.record([{ name: 'drop', status: 'unchanged', entries: 2 }], T0 + 2 * HOUR);
    // Assess
    const [status] = await store.all();
    expect(status).toEqual({
      name: 'drop',
      firstAttempt: T0,
      lastAttempt: T0 + 2 * HOUR,
      lastSuccess: T0 + 2 * HOUR,
      version: 'v1',
      entries: 2,
      failures: 0,
    });
  });

  it('has no success and no entries for a list never fetched', async () => {
    // Prepare
    const store = new ThreatListStatusStore(new MemoryTable());
    // Act
    await store.record([{ name: 'drop', status: 'stale', reason: 'HTTP 403', kept: undefined }], T0);
    // Assess
    expect(await store.all()).toEqual([
      { name: 'drop', firstAttempt: T0, lastAttempt: T0, failures: 1, error: 'HTTP 403' },
    ]);
  });

  it('stores no credential of a URL, no control character, and a bounded reason', async () => {
    // Prepare
    const store = new ThreatListStatusStore(new MemoryTable());
    const reason =
      'https://user:hunter2@lists.example.com/l?token=s3cr3tvalue could not be fetched: \u001b[31mboom\n' +
      'x'.repeat(500);
    // Act
    await store.record([{ name: 'mine', status: 'stale', reason, kept: undefined }], T0);
    // Assess
    const [status] = await store.all();
    expect(status?.error).not.toContain('hunter2');
    expect(status?.error).not.toContain('s3cr3tvalue');
    expect(status?.error).not.toContain('\u001b');
    expect(status?.error?.length).toBeLessThanOrEqual(200);
    expect(status?.error).toContain('lists.example.com/l');
  });

  it('lets no run older than the status overwrite it (a retry overtaken by the next run)', async () => {
    // Prepare
    const store = new ThreatListStatusStore(new MemoryTable());
    await store.record(
      [{ name: 'tor-exit', status: 'updated', entries: 4, previous: undefined, version: 'v2' }],
      T0 + HOUR,
    );
    // Act
    await store.record([{ name: 'tor-exit', status: 'stale', reason: 'late', kept: 4 }], T0);
    // Assess
    const [status] = await store.all();
    expect(status).toMatchObject({ lastAttempt: T0 + HOUR, lastSuccess: T0 + HOUR, failures: 0 });
    expect(status?.error).toBeUndefined();
  });
});
