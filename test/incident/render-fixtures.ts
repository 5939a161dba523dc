import type { Finding } from '../../shared/alert';
import type { Digest, Incident, IncidentMessage } from '../../shared/incident';

/*
 * Hand-made messages for the renderers and the SNS publisher: an incident of three findings from
 * two rules (one muted by a suppression), and a daily digest. docs/examples/ is rendered from these.
 */

const EXEC_RUNBOOK =
  'Confirm with the person named whether the session was planned. If not, revoke their credentials, ' +
  'inspect the pod for changes, and replace it from a known-good image.';
const SECRET_RUNBOOK =
  'Ask the identity why it read these secrets. If it should not have, rotate them and narrow its RBAC role.';

export function finding(overrides: Partial<Finding> & Pick<Finding, 'id' | 'time'>): Finding {
  return {
    ruleId: 'audit.exec-into-pod',
    kind: 'rule',
    severity: 'high',
    source: 'eks-audit',
    title: 'kubectl exec into a pod',
    summary: 'bob ran exec "sh" in pod shop/web-7d9f from 203.0.113.7.',
    description: 'Someone opened a shell in a running container.',
    entities: { cluster: 'shop-prod', user: 'bob', namespace: 'shop', name: 'web-7d9f', sourceIps: ['203.0.113.7'] },
    evidence: 'verb=create resource=pods/exec name=web-7d9f command=sh',
    origin: { uri: 's3://logs/audit/2026/11/10/10/obj-1.gz', line: 12 },
    mitre: ['T1609'],
    count: 1,
    runbook: EXEC_RUNBOOK,
    ...overrides,
  };
}

export const FINDINGS: Finding[] = [
  finding({ id: 'f-exec-1', time: '2026-11-10T10:00:00.000Z' }),
  finding({
    id: 'f-secret-1',
    time: '2026-11-10T10:07:30.000Z',
    ruleId: 'audit.unusual-secret-access',
    title: 'Unusual read of secrets',
    summary: 'bob listed secrets in namespace shop (14 secrets), never seen from this identity.',
    description: 'An identity read secrets it has not read before.',
    evidence: 'verb=list resource=secrets namespace=shop',
    origin: { uri: 's3://logs/audit/2026/11/10/10/obj-2.gz', line: 3 },
    mitre: ['T1552.007', 'T1613'],
    runbook: SECRET_RUNBOOK,
    baseline: { expected: 'bob reads configmaps in shop, never secrets', since: '2026-10-01T00:00:00.000Z' },
  }),
  finding({
    id: 'f-exec-2',
    time: '2026-11-10T10:20:00.000Z',
    severity: 'medium',
    summary: 'bob ran exec "env" in pod shop/web-7d9f from 203.0.113.7.',
    evidence: 'verb=create resource=pods/exec name=web-7d9f command=env',
    origin: { uri: 's3://logs/audit/2026/11/10/10/obj-3.gz', line: 40 },
  }),
];

export function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-7f3a9c2e41d0',
    cluster: 'shop-prod',
    title: 'bob: shell and secret reads in shop/web',
    severity: 'critical',
    findingSeverity: 'high',
    status: 'open',
    firstSeen: '2026-11-10T10:00:00.000Z',
    lastSeen: '2026-11-10T10:20:00.000Z',
    findings: ['f-exec-1', 'f-secret-1', 'f-exec-2'],
    rules: ['audit.exec-into-pod', 'audit.unusual-secret-access'],
    keys: ['identity:bob', 'workload:shop/web'],
    joins: [
      { key: 'identity:bob', findings: 3, because: 'the same identity (bob)' },
      { key: 'workload:shop/web', findings: 2, because: 'the same workload (shop/web)' },
    ],
    tactics: ['Execution', 'Credential Access', 'Discovery'],
    entities: {
      identities: ['bob'],
      workloads: ['shop/web'],
      sources: ['203.0.113.7'],
      destinations: [],
      images: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web'],
      namespaces: ['shop'],
    },
    timeline: [
      {
        findingId: 'f-exec-1',
        ruleId: 'audit.exec-into-pod',
        severity: 'high',
        time: '2026-11-10T10:00:00.000Z',
        title: 'kubectl exec into a pod',
        summary: 'bob ran exec "sh" in pod shop/web-7d9f from 203.0.113.7.',
        tactic: 'Execution',
        keys: ['identity:bob', 'workload:shop/web'],
      },
      {
        findingId: 'f-secret-1',
        ruleId: 'audit.unusual-secret-access',
        severity: 'high',
        time: '2026-11-10T10:07:30.000Z',
        title: 'Unusual read of secrets',
        summary: 'bob listed secrets in namespace shop (14 secrets), never seen from this identity.',
        tactic: 'Credential Access',
        keys: ['identity:bob'],
      },
      {
        findingId: 'f-exec-2',
        ruleId: 'audit.exec-into-pod',
        severity: 'medium',
        time: '2026-11-10T10:20:00.000Z',
        title: 'kubectl exec into a pod',
        summary: 'bob ran exec "env" in pod shop/web-7d9f from 203.0.113.7.',
        tactic: 'Execution',
        keys: ['identity:bob', 'workload:shop/web'],
        mutedBy: 'sre-oncall-exec',
      },
    ],
    conditions: [],
    messages: 1,
    quiet: 0,
    merged: [],
    history: [{ at: '2026-11-10T10:00:05.000Z', action: 'opened', by: 'driftwatch' }],
    ...overrides,
  };
}

export function incidentMessage(overrides: Partial<IncidentMessage> = {}): IncidentMessage {
  return {
    id: 'inc-7f3a9c2e41d0#1',
    kind: 'incident',
    severity: 'critical',
    cluster: 'shop-prod',
    ruleIds: ['audit.exec-into-pod', 'audit.unusual-secret-access'],
    reason: 'opened',
    incident: incident(),
    findings: FINDINGS,
    ...overrides,
  };
}

export function digest(overrides: Partial<Digest> = {}): Digest {
  return {
    day: '2026-11-10',
    cluster: 'shop-prod',
    opened: [
      {
        id: 'inc-7f3a9c2e41d0',
        title: 'bob: shell and secret reads in shop/web',
        severity: 'critical',
        status: 'open',
        firstSeen: '2026-11-10T10:00:00.000Z',
        lastSeen: '2026-11-10T10:20:00.000Z',
        findings: 3,
      },
    ],
    updated: [
      {
        id: 'inc-11aa22bb33cc',
        title: 'New egress from shop/worker to 198.51.100.20',
        severity: 'high',
        status: 'acknowledged',
        firstSeen: '2026-11-08T22:14:00.000Z',
        lastSeen: '2026-11-10T03:02:00.000Z',
        findings: 5,
      },
    ],
    stillOpen: [
      {
        id: 'inc-44dd55ee66ff',
        title: 'Exposure path: internet to shop/admin to rds-orders',
        severity: 'medium',
        status: 'open',
        firstSeen: '2026-11-02T09:00:00.000Z',
        lastSeen: '2026-11-10T06:00:00.000Z',
        findings: 2,
      },
    ],
    belowThreshold: { 'audit.new-source-ip': 4, 'net.new-port': 9 },
    muted: { 'sre-oncall-exec': 1 },
    learning: [
      { scope: 'shop-prod', learned: true },
      { scope: 'vpc-0abc123', learned: false, learningUntil: '2026-11-14T00:00:00.000Z' },
    ],
    health: { objects: 1440, rejected: 3, deadLetters: { 'parse-error': 1 } },
    ...overrides,
  };
}

export function digestMessage(overrides: Partial<IncidentMessage> = {}): IncidentMessage {
  return {
    id: 'digest#2026-11-10',
    kind: 'digest',
    severity: 'info',
    cluster: 'shop-prod',
    ruleIds: [],
    reason: 'daily digest',
    findings: [],
    digest: digest(),
    ...overrides,
  };
}
