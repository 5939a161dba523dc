import type { AuditEvent } from '../../ingest';
import { actor, actorName, identityKey, succeeded } from '../../kube';
import { printable } from '../../util';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';
import { userAgentProduct } from './lib/user-agent';

/**
 * Attack and audit tools that name themselves in the user agent (their Go or Python client's
 * default, or their own string). Matched on the product name only, lower case, so a version or a
 * platform suffix changes nothing; `cdk` is the container pentest kit, and only the exact product
 * name matches (not `aws-cdk`).
 */
const OFFENSIVE_TOOLS = new Set([
  'access_matrix',
  'kubectl-access_matrix',
  'trufflehog',
  'kube-hunter',
  'peirates',
  'kubiscan',
  'kubeletctl',
  'botb',
  'cdk',
  'kdigger',
  'kubesploit',
  'kubestroyer',
  'kubestriker',
  'red-kube',
  'kubehound',
]);

function toolOf(event: AuditEvent): string | undefined {
  const product = userAgentProduct(event.userAgent);
  return product && OFFENSIVE_TOOLS.has(product) ? product : undefined;
}

export const offensiveTool: RuleDetector<AuditEvent> = {
  id: 'audit.offensive-tool',
  kind: 'rule',
  source: 'eks-audit',
  title: 'Offensive tool calling the API',
  description:
    'A request came with the user agent of a known attack or secret-hunting tool (kube-hunter, peirates, kubiscan, ' +
    'kubeletctl, trufflehog, access_matrix, botb, cdk, ...). No workload of yours speaks as one of these: either a ' +
    'penetration test is under way, or someone holds a credential and is mapping what it can reach. Denied requests ' +
    'count too, since probing is what these tools do first.',
  severity: 'high',
  mitre: ['T1613', 'T1069.003', 'T1552.007'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'none',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Ask whether a penetration test is scheduled for this cluster and identity. If not, revoke the credential (its ' +
    'token, access entry or IAM key), block the source address, and read what the identity listed or read in the ' +
    'last hours: the tool maps permissions first, then collects secrets.',

  dedupeKey(event) {
    const tool = toolOf(event);
    return tool ? `${identityKey(actor(event))}|${tool}` : undefined;
  },

  detect(event) {
    const tool = toolOf(event);
    if (!tool) return undefined;
    const agent = printable(event.userAgent ?? '').slice(0, 120);
    return {
      summary:
        `${actorName(event)} called the API with the user agent of ${tool} ("${agent}") from ` +
        `${event.sourceIps[0] ?? 'an unknown address'}: ${event.verb} ${event.requestUri.slice(0, 120)}.`,
      entities: { ...baseEntities(event), userAgent: agent, tool },
      evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'} (${succeeded(event) ? 'allowed' : 'denied'}) UA="${agent}"`,
      dedupeKey: `${identityKey(actor(event))}|${tool}`,
    };
  },

  examples: {
    fires: [
      exampleEvent({ verb: 'list', resource: 'secrets', userAgent: 'kube-hunter/0.6.8' }),
      exampleEvent({ verb: 'list', resource: 'pods', userAgent: 'Peirates' }),
      exampleEvent({
        verb: 'create',
        resource: 'selfsubjectaccessreviews',
        userAgent: 'kubectl-access_matrix/v0.0.0 (linux/amd64) kubernetes/$Format',
        responseCode: 201,
      }),
      exampleEvent({
        verb: 'get',
        resource: 'secrets',
        userAgent: 'trufflehog',
        responseCode: 403,
        decision: 'forbid',
      }),
    ],
    quiet: [
      exampleEvent({ verb: 'list', resource: 'pods' }),
      exampleEvent({ verb: 'get', resource: 'configmaps', userAgent: 'aws-cdk/2.150.0' }),
      exampleEvent({ verb: 'list', resource: 'pods', userAgent: 'Go-http-client/2.0' }),
    ],
  },
};
