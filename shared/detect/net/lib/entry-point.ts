import type { FlowEdge } from '../../../network';
import type { DetectContext } from '../../types';

/**
 * Whether the server end is a configured public entry point: by range, by attribution, or because
 * the edge was logged at an entry point's interface (which logs only its own traffic, so the
 * internal end of a connection from the internet is the entry point itself).
 */
export function isEntryPoint(edge: FlowEdge, context: DetectContext): boolean {
  if (edge.serverEntity?.entryPoint === true || context.network.entryPoint(edge.server) !== undefined) return true;
  return edge.interfaceId !== undefined && context.network.entryInterfaces.has(edge.interfaceId);
}
