import { ALL_DETECTORS } from './registry';
import type { DetectorMeta, Equivalents } from './types';

/** The peers each detector names its closest rule in. */
const PEERS: readonly { key: keyof Equivalents; name: string; catalog: string }[] = [
  { key: 'falco', name: 'Falco', catalog: 'Falco k8saudit plugin rules (`k8s_audit_rules.yaml`)' },
  { key: 'guardduty', name: 'GuardDuty', catalog: 'Amazon GuardDuty EKS Protection finding types' },
  { key: 'elastic', name: 'Elastic', catalog: 'Elastic prebuilt detection rules for Kubernetes and EKS' },
  { key: 'sigma', name: 'Sigma', catalog: 'SigmaHQ rules for Kubernetes audit logs' },
];

type Kinded = DetectorMeta & { kind?: string };

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mitreLinks(ids: readonly string[]): string {
  return ids.map((id) => `[${id}](https://attack.mitre.org/techniques/${id.replace('.', '/')}/)`).join(', ');
}

function peerCell(value: string): string {
  return value === 'none' ? '—' : cell(value);
}

/** How many detectors of a source have an equivalent in a peer's catalog. */
export function peerCounts(detectors: readonly DetectorMeta[]): Record<keyof Equivalents, number> {
  const counts = { falco: 0, guardduty: 0, elastic: 0, sigma: 0 };
  for (const d of detectors) for (const peer of PEERS) if (d.equivalents[peer.key] !== 'none') counts[peer.key]++;
  return counts;
}

/**
 * `docs/DETECTIONS.md`, rendered from the detectors' own metadata: what each detects, its
 * default severity, ATT&CK techniques, kind, and the closest rule in each peer's catalog. A
 * test compares the committed file with this output, so the document cannot drift from the code.
 */
export function renderDetectionCatalog(detectors: readonly DetectorMeta[] = ALL_DETECTORS): string {
  const all = detectors as readonly Kinded[];
  const audit = all.filter((d) => d.source === 'eks-audit');
  const flow = all.filter((d) => d.source === 'vpc-flow');
  const out: string[] = [];
  out.push('# Detections');
  out.push('');
  out.push(
    "<!-- Generated from the detectors' metadata by `npm run docs:detections`; do not edit by hand. " +
      'test/detect/catalog-doc.test.ts fails when this file and the code disagree. -->',
  );
  out.push('');
  out.push(
    `Driftwatch ships ${all.length} detectors: ${audit.length} over EKS audit logs and ${flow.length} over VPC flow ` +
      'logs. Each is one file under `shared/detect/` with its metadata, pure functions, and examples that must and ' +
      'must not fire; `test/detect/catalog.test.ts` runs every example.',
  );
  out.push('');
  out.push('Kinds:');
  out.push('');
  out.push('- **rule**: fires on a single event from the first event seen.');
  out.push(
    '- **anomaly**: fires on a value its baseline (in DynamoDB) has not seen; silent for the learning period ' +
      '(`learning.days`, 7 by default, in event time).',
  );
  out.push(
    '- **threshold**: fires when events counted under one key (an identity, an address) reach a threshold within ' +
      'a window; counts are kept in DynamoDB, so a burst spread over log objects adds up.',
  );
  const others = [...new Set(all.map((d) => d.kind ?? 'rule'))].filter(
    (k) => !['rule', 'anomaly', 'threshold'].includes(k),
  );
  if (others.length > 0) out.push(`- **${others.join('**, **')}**: network detectors; see their descriptions below.`);
  out.push('');
  out.push(
    'Severities are defaults: many detectors raise or lower the severity of a single finding (their description ' +
      'says when), and `detectors.<id>` in the config overrides severity, dedupe window, or turns a detector off.',
  );
  out.push('');
  out.push('## Coverage against peer rule sets');
  out.push('');
  out.push(
    'Each detector names the closest published rule in four peer catalogs, or none. "Equivalent" means the peer ' +
      "detects the same behaviour, not that it detects it the same way (GuardDuty's are mostly machine-learning " +
      "anomalies; Falco's, Elastic's and Sigma's are rules). The other direction, every peer rule with the " +
      'detectors that answer it (Panther and GuardDuty VPC-flow findings included), is [COVERAGE.md](COVERAGE.md).',
  );
  out.push('');
  out.push('| Peer | Catalog | Audit detectors with an equivalent | Audit detectors with none |');
  out.push('| --- | --- | --- | --- |');
  const counts = peerCounts(audit);
  for (const peer of PEERS) {
    out.push(
      `| ${peer.name} | ${peer.catalog} | ${counts[peer.key]} of ${audit.length} | ${audit.length - counts[peer.key]} |`,
    );
  }
  const unique = audit.filter((d) => PEERS.every((p) => d.equivalents[p.key] === 'none'));
  out.push('');
  out.push(
    `${unique.length} audit detector${unique.length === 1 ? ' has' : 's have'} no equivalent in any of the four` +
      `${unique.length ? `: ${unique.map((d) => `\`${d.id}\``).join(', ')}` : ''}.`,
  );
  for (const [heading, group] of [
    ['Audit-log detectors', audit],
    ['Flow-log detectors', flow],
  ] as const) {
    if (group.length === 0) continue;
    out.push('');
    out.push(`## ${heading}`);
    out.push('');
    out.push('| Id | Kind | Severity | ATT&CK | Falco | GuardDuty | Elastic | Sigma |');
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const d of group) {
      out.push(
        `| [\`${d.id}\`](#${anchor(d.id)}) | ${d.kind ?? 'rule'} | ${d.severity} | ${mitreLinks(d.mitre)} | ` +
          `${peerCell(d.equivalents.falco)} | ${peerCell(d.equivalents.guardduty)} | ${peerCell(d.equivalents.elastic)} | ` +
          `${peerCell(d.equivalents.sigma)} |`,
      );
    }
  }
  if (flow.length > 0) out.push('', ...flowFieldsSection(flow));
  out.push('');
  out.push('## Details');
  for (const d of all) {
    out.push('');
    out.push(`### ${d.id}`);
    out.push('');
    out.push(`**${d.title}.** ${d.description}`);
    out.push('');
    out.push(
      `- Kind: ${d.kind ?? 'rule'}; default severity: ${d.severity}; alerts with the same key are sent once per ` +
        `${duration(d.dedupeMinutes)}.`,
    );
    out.push(`- ATT&CK: ${mitreLinks(d.mitre)}.`);
    out.push(`- Runbook: ${d.runbook}`);
  }
  out.push('');
  out.push('## Configuration the audit detectors read');
  out.push('');
  out.push('| Key | Default | Read by |');
  out.push('| --- | --- | --- |');
  for (const [key, def, by] of CONFIG_KEYS) out.push(`| \`${key}\` | ${def} | ${by} |`);
  out.push('');
  out.push(
    'Built in, so the defaults are quiet on EKS: the control plane, `eks:*` agents, nodes (`system:node:*`) and ' +
      "kube-system service accounts are system identities; EKS's add-ons are expected in kube-system and allowed " +
      "the host access they need; EKS's add-on registries are trusted (`shared/detect/audit/eks-defaults.ts`).",
  );
  out.push('');
  out.push('## The RBAC trail');
  out.push('');
  out.push(
    'Every successful create, update, patch or delete of a Role, ClusterRole, RoleBinding, ClusterRoleBinding or ' +
      'the kube-system/aws-auth ConfigMap is stored in the state table with who made it, from where, and the lines ' +
      'added and removed against the previous version of the object. `npx driftwatch rbac-history [NAME] --state DIR` ' +
      'prints it (or `--table NAME` for the deployed table, or `--analyze PATH...` to analyze logs first); re-applies ' +
      'that change nothing are hidden unless `--all` is given.',
  );
  out.push('');
  return out.join('\n');
}

const CONFIG_KEYS: readonly [string, string, string][] = [
  [
    'identities.cicd[]',
    '`[]`',
    'out-of-band-workload, exposed-service, coredns-modified, new-source-ip, pipeline-drift (never checked for drift)',
  ],
  ['identities.execAllowlist[]', '`[]`', 'exec-into-pod'],
  ['identities.controllers[]', '`[]`', 'out-of-band-workload, new-workload-creator (operators that deploy)'],
  ['identities.impersonators[]', '`[]`', 'impersonation (auth proxies)'],
  [
    'identities.notPipelines[]',
    '`[]`',
    'out-of-band-workload, exposed-service, coredns-modified, new-image-repository, pipeline-drift (never learned as pipelines)',
  ],
  ['identities.learnPipelines.minDays', '`3`', 'the same (days of workload changes before a pipeline is learned)'],
  ['registries.trusted[]', '`[]`', 'untrusted-registry (on when not empty), new-image-registry, new-image-repository'],
  ['audit.systemWorkloads[]', '`[]`', 'pod-in-system-namespace (`namespace/name` globs)'],
  [
    'audit.privilegedWorkloads[]',
    '`[]`',
    'privileged-workload (`{ "workload": "ns/name", "allow": ["hostNetwork"] }`)',
  ],
  [
    'audit.learnPrivilegedWorkloads',
    '`true`',
    'privileged-workload (a setting written by one kind of identity on 2 days is allowed for it)',
  ],
  ['audit.knownNetworks[]', '`[]`', 'new-source-ip (CIDRs never reported as new)'],
  ['audit.forbiddenBurst', '`{ "threshold": 20, "windowMinutes": 10, "ignore": [] }`', 'forbidden-burst'],
];

function anchor(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9 -]/g, '');
}

function duration(minutes: number): string {
  if (minutes % (24 * 60) === 0) return `${minutes / (24 * 60)} day${minutes === 24 * 60 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minutes`;
}

/**
 * Which flow-log fields each network detector needs beyond AWS's default (version 2) format, and
 * which make it sharper: from the detectors' `needs` and `uses`, which the catalog test checks.
 */
function flowFieldsSection(flow: readonly Kinded[]): string[] {
  const fields = (list: readonly string[] | undefined) =>
    list && list.length > 0 ? list.map((f) => `\`${f}\``).join(', ') : '—';
  return [
    '## Flow-log fields',
    '',
    "Every network detector runs on the fields of AWS's default (version 2) flow-log format. Some need more " +
      '(without them they run degraded, and the run summary, the report and a log line say which and why); some ' +
      "are sharper with more. The stack's own flow logs use a custom format with all of them " +
      '(`infra/vpc-flow-logs.ts`); `pkt-srcaddr` and `pkt-dstaddr` also let every detector name the pod behind a ' +
      "NAT gateway or a node address. Every detector's examples run in both formats (`test/detect/catalog.test.ts`).",
    '',
    '| Id | Needs beyond version 2 (degraded without) | Sharper with |',
    '| --- | --- | --- |',
    // The health of the logs and of the threat lists reads no record.
    ...flow
      .filter((d) => d.kind !== 'health' && d.kind !== 'list-health')
      .map((d) => `| \`${d.id}\` | ${fields(d.needs)} | ${fields(d.uses)} |`),
  ];
}
