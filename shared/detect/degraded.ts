import type { StackFlowField } from '../ingest';

/** A detector that ran on flow records lacking fields it needs, and which ones. */
export interface DegradedDetector {
  detector: string;
  missing: StackFlowField[];
}

/**
 * The detectors among `detectors` that need a field in `missing` (the fields some flow object
 * lacked, see `ReadStats.flowFieldsMissing`), with the fields each lacked, in catalog order.
 */
export function degradedDetectors(
  detectors: readonly { id: string; needs?: readonly StackFlowField[] }[],
  missing: Iterable<string>,
): DegradedDetector[] {
  const lacking = new Set(missing);
  const degraded: DegradedDetector[] = [];
  for (const { id, needs } of detectors) {
    const fields = (needs ?? []).filter((field) => lacking.has(field));
    if (fields.length > 0) degraded.push({ detector: id, missing: fields });
  }
  return degraded;
}

/** Two lists of degraded detectors as one: each detector once, its missing fields joined. */
export function mergeDegraded(into: DegradedDetector[], from: readonly DegradedDetector[]): DegradedDetector[] {
  for (const { detector, missing } of from) {
    const known = into.find((d) => d.detector === detector);
    if (!known) into.push({ detector, missing: [...missing] });
    else for (const field of missing) if (!known.missing.includes(field)) known.missing.push(field);
  }
  return into;
}

/** The one line a run logs about degraded detectors: which, and the fields each lacked. */
function degradedMessage(degraded: readonly DegradedDetector[]): string {
  const list = degraded.map((d) => `${d.detector} (no ${d.missing.join(', ')})`).join('; ');
  return (
    `flow logs without fields some detectors need, so they run degraded: ${list}. ` +
    'Add the fields to the flow log\'s format (README, "Flow-log fields").'
  );
}

/**
 * Which degraded detectors a process has not told of yet: the log line is written once per
 * detector and field, not once per object (a Lambda container or a CLI run reads thousands).
 */
export class DegradedNotice {
  private readonly told = new Set<string>();

  /** The message for what `degraded` adds to what was told, or undefined when nothing is new. */
  message(degraded: readonly DegradedDetector[] | undefined): string | undefined {
    const fresh: DegradedDetector[] = [];
    for (const { detector, missing } of degraded ?? []) {
      const untold = missing.filter((field) => !this.told.has(`${detector}|${field}`));
      for (const field of untold) this.told.add(`${detector}|${field}`);
      if (untold.length > 0) fresh.push({ detector, missing: untold });
    }
    return fresh.length > 0 ? degradedMessage(fresh) : undefined;
  }
}
