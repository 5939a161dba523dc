import type { FlowEdge } from '../../../network';
import { HOSTING_SERVICES } from '../../../network';

/**
 * Whether an edge's server is on the internet: a public address, or one AWS names only as "hosted
 * on AWS" (EC2, AMAZON), where anyone can run a mining pool, a resolver or a mail server.
 */
export function isPublicServer(edge: FlowEdge): boolean {
  if (edge.serverClass === 'public') return true;
  return (
    edge.serverClass === 'aws-service' && edge.serverService !== undefined && HOSTING_SERVICES.has(edge.serverService)
  );
}
