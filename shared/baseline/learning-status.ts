import type { LearningLine } from '../incident';
import { DAY_MS, iso } from '../util';
import type { BaselineStore } from './baseline-store';

/**
 * Where each scope (cluster or VPC) is in its learning period at `now`: learning until its first
 * event plus `learningDays`, as the engine counts it (anomaly detectors judge values seen from
 * then on), or learned. A scope known without a first event is still learning, with no end yet.
 */
export async function learningStatus(store: BaselineStore, learningDays: number, now: number): Promise<LearningLine[]> {
  const lines: LearningLine[] = [];
  for (const scope of await store.scopes()) {
    const { firstEventTime } = await store.meta(scope);
    if (firstEventTime === undefined) {
      lines.push({ scope, learned: false });
      continue;
    }
    const end = firstEventTime + learningDays * DAY_MS;
    lines.push({ scope, learningUntil: iso(end), learned: now >= end });
  }
  return lines.sort((a, b) => a.scope.localeCompare(b.scope));
}
