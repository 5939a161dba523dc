import { createReadStream, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAuditObject } from '../../shared/ingest/audit-reader';
import { newReadStats } from '../../shared/ingest/stats';
import type { AuditEvent } from '../../shared/ingest/types';

/** Real events from Falco's k8s audit trace files (see events/fixtures/README.md). */
const CORPUS = 'events/fixtures/k8s-audit-falco';
/** Events per file, counted by hand: one per file except these. */
const EXCEPTIONS: Record<string, number> = { 'create_configmap_sensitive_values.json': 6, 'fal_01_003.json': 0 };

describe('Falco k8s audit corpus', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json'));

  it('has the 47 files the fixtures README describes', () => {
    expect(files).toHaveLength(47);
  });

  it.each(files)('reads %s with the expected number of events and no rejects', async (file) => {
    const stats = newReadStats();
    const events: AuditEvent[] = [];
    await readAuditObject(createReadStream(`${CORPUS}/${file}`), { uri: file, stats, cluster: 'minikube' }, (e) =>
      events.push(e),
    );
    expect(events).toHaveLength(EXCEPTIONS[file] ?? 1);
    expect(stats.rejected).toEqual({});
    for (const event of events) {
      expect(event.auditId).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.user.username).toBeTruthy();
      expect(Number.isFinite(event.time)).toBe(true);
    }
    if (file === 'fal_01_003.json') expect(stats.skipped).toEqual({ 'not-an-audit-event': 1 });
  });
});
