import type { Finding } from '../../shared/alert';
import type { Severity } from '../../shared/config';
import type { IncidentMessage } from '../../shared/incident';

/** A finding with what correlation reads; the rest filled in. */
export function finding(
  id: string,
  time: string,
  over: Partial<Finding> & { entities?: Finding['entities'] } = {},
): Finding {
  return {
    id,
    ruleId: over.ruleId ?? 'audit.exec-into-pod',
    kind: 'rule',
    severity: over.severity ?? ('high' as Severity),
    source: over.source ?? 'eks-audit',
    time,
    title: over.title ?? `title of ${id}`,
    summary: `summary of ${id}`,
    description: 'why it matters',
    entities: { cluster: 'prod', ...(over.entities ?? {}) },
    ...(over.roles ? { roles: over.roles } : {}),
    evidence: '',
    origin: { uri: `s3://logs/${id}` },
    mitre: over.mitre ?? ['T1609'],
    count: 1,
    runbook: 'look',
  };
}

/** A flow finding from a workload to an external address. */
export function egress(
  id: string,
  time: string,
  workload: string,
  address: string,
  over: Partial<Finding> = {},
): Finding {
  return finding(id, time, {
    ruleId: 'net.threat-intel-match',
    source: 'vpc-flow',
    severity: 'critical',
    mitre: ['T1071'],
    entities: { srcWorkload: workload, dstAddr: address },
    roles: {
      client: { address: '10.0.3.9', entity: `workload:${workload}` },
      server: { address, entity: `external:${address.split('.').slice(0, 3).join('.')}.0/24` },
    },
    ...over,
  });
}

/** Records messages as a sink or an outbox callback would. */
export function messageLog() {
  const messages: IncidentMessage[] = [];
  return {
    messages,
    write: async (batch: IncidentMessage[]) => {
      messages.push(...batch);
    },
  };
}
