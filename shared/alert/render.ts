import { printable } from '../util';
import type { Finding } from './finding';

const SUBJECT_LIMIT = 100;

/** An SNS email subject: one line, printable ASCII-safe, at most 100 characters. */
export function renderSubject(finding: Finding): string {
  const cluster = typeof finding.entities.cluster === 'string' ? ` [${finding.entities.cluster}]` : '';
  const subject = `[${finding.severity.toUpperCase()}] ${finding.title}${cluster}`
    .replace(/[\r\n\t]+/g, ' ')
    // SNS subjects must be ASCII and must not start with a space.
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return subject.length > SUBJECT_LIMIT ? `${subject.slice(0, SUBJECT_LIMIT - 3)}...` : subject;
}

function who(finding: Finding): string {
  const e = finding.entities;
  const parts: string[] = [];
  if (e.user) parts.push(String(e.user));
  if (Array.isArray(e.groups) && e.groups.length) parts.push(`groups ${e.groups.join(', ')}`);
  if (Array.isArray(e.sourceIps) && e.sourceIps.length) parts.push(`from ${e.sourceIps.join(', ')}`);
  if (e.userAgent) parts.push(`using ${e.userAgent}`);
  if (!e.user && e.srcAddr) parts.push(`${e.srcAddr}${e.interfaceId ? ` (interface ${e.interfaceId})` : ''}`);
  return parts.length ? parts.join('; ') : 'unknown';
}

function where(finding: Finding): string {
  const e = finding.entities;
  const parts: string[] = [];
  if (e.cluster) parts.push(`cluster ${e.cluster}`);
  if (e.vpcId) parts.push(`VPC ${e.vpcId}`);
  if (e.namespace) parts.push(`namespace ${e.namespace}`);
  if (e.resource) parts.push(`${e.resource}${e.name ? `/${e.name}` : ''}`);
  if (e.dstAddr) parts.push(`destination ${e.dstAddr}${e.dstPort !== undefined ? `:${e.dstPort}` : ''}`);
  return parts.length ? parts.join(', ') : 'unknown';
}

/** The plain-text email body: what, who, where, when, why it matters, and what the baseline expected. */
export function renderEmail(finding: Finding): string {
  const line = (label: string, value: string) => `${label.padEnd(16)}${printable(value, 2000)}`;
  const lines = [
    printable(`${finding.severity.toUpperCase()}: ${finding.title}`, 300),
    '',
    line('What happened:', finding.summary),
    line('Who:', who(finding)),
    line('Where:', where(finding)),
    line('When:', `${finding.time} (event time)${finding.count > 1 ? `, ${finding.count} events` : ''}`),
    line('Why it matters:', finding.description),
  ];
  if (finding.baseline) {
    lines.push(
      line(
        'Baseline:',
        `${finding.baseline.expected}${finding.baseline.since ? ` (learning since ${finding.baseline.since})` : ''}`,
      ),
    );
  }
  lines.push(
    line('Evidence:', finding.evidence),
    line(
      'Source record:',
      `${finding.origin.uri}${finding.origin.line !== undefined ? ` line ${finding.origin.line}` : ''}${finding.origin.record !== undefined ? ` record ${finding.origin.record}` : ''}`,
    ),
    line('What to do:', finding.runbook),
    '',
    line(
      'Rule:',
      `${finding.ruleId} (${finding.kind})${finding.mitre.length ? `, MITRE ATT&CK ${finding.mitre.join(', ')}` : ''}`,
    ),
    line('Finding id:', finding.id),
    '',
    'Entities (verbatim from the log):',
    ...Object.entries(finding.entities)
      .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => `  ${k}: ${printable(Array.isArray(v) ? v.join(', ') : String(v), 500)}`),
    '',
    '-- Driftwatch. Tune this alert in your config (detectors, identities, registries).',
  );
  return lines.join('\n');
}
