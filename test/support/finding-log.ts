import type { Finding } from '../../shared/alert/finding';
import type { Engine } from '../../shared/engine/engine';
import type { Settled } from '../../shared/engine/pending-edges';
import type { EngineRebaselineReport, ObjectOutcome } from '../../shared/engine/types';
import type { IncidentMessage } from '../../shared/incident/types';
import type { ObjectSource } from '../../shared/ingest/object-source';

/**
 * Drives an engine and keeps, in the order it recorded them, the findings each call returned.
 * The sink receives messages about incidents, not findings, so a test of what the detectors found
 * reads the outcomes: each object's findings (those of waiting edges it decided included), then
 * those of decided waiting edges and of rebaselines, as they come.
 */
export class FindingLog {
  readonly findings: Finding[] = [];

  constructor(readonly engine: Engine) {}

  async process(source: ObjectSource): Promise<ObjectOutcome> {
    const outcome = await this.engine.process(source);
    this.findings.push(...outcome.findings);
    return outcome;
  }

  async decideWaiting(now: number): Promise<Settled> {
    const settled = await this.engine.decideWaiting(now);
    this.findings.push(...settled.sent);
    return settled;
  }

  async rebaseline(now: number, run?: string): Promise<EngineRebaselineReport> {
    const report = await this.engine.rebaseline(now, run);
    this.findings.push(...(report.findings ?? []));
    return report;
  }
}

/** How many `incident` messages (an incident opening) each incident was told in, by incident id. */
export function openings(messages: readonly IncidentMessage[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const message of messages) {
    const id = message.incident?.id;
    if (message.kind === 'incident' && id) counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}
