import type { ThreatListStatus, ThreatListStatusStore } from '../../baseline';
import { fetchedLists } from '../../config';
import type { DetectContext, ListHealthDetector, Located, ThreatListCheck } from '../../detect';
import { dayOf } from '../../util';
import type { Draft } from '../draft';

/**
 * The fetched threat lists' health, at rebaseline time: each list the config still fetches, as its
 * last refresh left it (the fetcher writes the status). Nothing is read when the stack fetches no
 * list, as in the CLI, which fetches none.
 */
export class ListHealthEvaluator {
  constructor(
    readonly detectors: readonly ListHealthDetector[],
    readonly context: DetectContext,
    readonly statuses: ThreatListStatusStore,
  ) {}

  /** The lists that have not refreshed for too long, as seen at `now`: one draft per list and detector. */
  async stale(now: number, cluster: string): Promise<Draft[]> {
    const { fetch } = this.context.config.threatIntel;
    if (!fetch.enabled || this.detectors.length === 0) return [];
    // A list taken out of the config keeps its status until it ages out: it is not reported.
    const fetched = new Set(fetchedLists(fetch.lists).map((list) => list.name));
    const drafts: Draft[] = [];
    for (const status of await this.statuses.all()) {
      if (!fetched.has(status.name)) continue;
      const check = checkOf(status, now);
      const sample: Located = { time: now, origin: check.origin };
      for (const detector of this.detectors) {
        const detection = detector.stale(check, this.context);
        if (!detection) continue;
        drafts.push({
          detector,
          detection,
          sample,
          count: Math.max(1, status.failures),
          // One finding per list and day: a retry of the same run finds the same one, the next day's is new.
          identity: `${status.name}|stale|${check.since}|${dayOf(now)}`,
          scope: 'threat-lists',
          cluster,
        });
      }
    }
    return drafts;
  }
}

function checkOf(status: ThreatListStatus, now: number): ThreatListCheck {
  return {
    kind: 'list',
    list: status.name,
    since: status.lastSuccess ?? status.firstAttempt,
    hasCopy: status.lastSuccess !== undefined || status.entries !== undefined,
    lastAttempt: status.lastAttempt,
    failures: status.failures,
    ...(status.error ? { error: status.error } : {}),
    ...(status.version ? { version: status.version } : {}),
    now,
    origin: { uri: `threat-list:${status.name}` },
  };
}
