import { type FlowEdge, isInternal, isProbeLike } from '../../../network';
import type { DetectContext } from '../../types';

/**
 * Whether an edge counts towards a scan or a sweep: an internal source (scans from the internet
 * are background noise at the load balancer) probing rather than talking, and not an allowed
 * scanner.
 */
export function isScanProbe(edge: FlowEdge, context: DetectContext): boolean {
  if (!isInternal(edge.clientClass) || edge.serverPort === undefined || !isProbeLike(edge)) return false;
  const workload = edge.clientEntity?.kind === 'workload' ? edge.clientEntity.label : undefined;
  return !context.network.isScanner(edge.client, workload);
}

/** Sorted numerically when the values are ports (`443/tcp`), for evidence. */
export function sortValues(values: readonly string[]): string[] {
  return [...values].sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b));
}

/** The first few values, and how many more. */
export function listed(values: readonly string[], max = 12): string {
  const shown = values.slice(0, max).join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}
