import type { AuditEvent } from '../../ingest';
import { actor, actorName, isWrite, objectName, pastTense, succeeded } from '../../kube';
import type { RuleDetector } from '../types';
import { baseEntities } from './lib/actor';
import { exampleEvent } from './lib/example-events';

export const threatIntelCaller: RuleDetector<AuditEvent> = {
  id: 'audit.threat-intel-caller',
  kind: 'rule',
  source: 'eks-audit',
  title: 'API call from an address on a threat list',
  description:
    'A request reached the API server from an address on a configured threat list (known scanners, C2, Tor exits, ' +
    'mining pools). Denied attempts are medium; a request the API server carried out is high, and a change critical: ' +
    'someone on a blocklist holds a working credential.',
  severity: 'high',
  mitre: ['T1078', 'T1133'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Discovery:Kubernetes/MaliciousIPCaller.Custom',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Revoke the credential used (user, token, certificate) at once, restrict the API endpoint to known networks ' +
    '(EKS public access CIDRs), and review everything done from the address.',

  detect(event, context) {
    for (const address of event.sourceIps) {
      const entry = context.intel.match(address);
      if (!entry) continue;
      const ok = succeeded(event);
      const write = ok && isWrite(event.verb);
      const user = actor(event);
      return {
        severity: write ? 'critical' : ok ? 'high' : 'medium',
        summary:
          `${actorName(event)} ${ok ? '' : 'tried to '}${ok ? pastTense(event.verb) : event.verb} ` +
          `${event.objectRef?.resource ? `${event.objectRef.resource} ${objectName(event)}` : event.requestUri.slice(0, 100)} ` +
          `from ${address}, listed on ${entry.list} (${entry.entry}${entry.note ? `, ${entry.note}` : ''}).`,
        entities: { ...baseEntities(event), threatList: entry.list, listEntry: entry.entry },
        evidence: `${event.verb} ${event.requestUri.slice(0, 200)} -> ${event.responseCode ?? '?'} from ${address} (${entry.list}: ${entry.entry})`,
        dedupeKey: `${address}|${user.username}|${ok ? 'allowed' : 'denied'}`,
      };
    }
    return undefined;
  },

  examples: {
    fires: [
      exampleEvent({ verb: 'list', resource: 'secrets', sourceIps: ['198.51.100.23'] }),
      exampleEvent({
        verb: 'get',
        resource: 'pods',
        sourceIps: ['198.51.100.9'],
        responseCode: 403,
        decision: 'forbid',
      }),
    ],
    quiet: [
      exampleEvent({ verb: 'list', resource: 'secrets', sourceIps: ['203.0.113.200'] }),
      exampleEvent({ verb: 'list', resource: 'secrets', sourceIps: [] }),
    ],
  },
};
