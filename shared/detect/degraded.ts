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
export function degradedMessage(degraded: readonly DegradedDetector[]): string {
  const list = degraded.map((d) => `${d.detector} (no ${d.missing.join(', ')})`).join('; ');
  return (
    `flow logs without fields some detectors need, so they run degraded: ${list}. ` +
    'Add the fields to the flow log\'s format (README, "Flow-log fields").'
  );
}
