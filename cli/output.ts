import type { Finding } from '../shared/alert';
import { printable } from '../shared/util';

const SEVERITY_COLOR: Record<string, string> = {
  critical: '\u001b[1;41;97m',
  high: '\u001b[1;31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};
const RESET = '\u001b[0m';

/** One finding as a table row; log-derived text is made printable first. */
export function tableRow(finding: Finding, color: boolean): string {
  const severity = finding.severity.toUpperCase().padEnd(8);
  const painted = color ? `${SEVERITY_COLOR[finding.severity] ?? ''}${severity}${RESET}` : severity;
  return `${finding.time.slice(0, 19).replace('T', ' ')}  ${painted}  ${finding.ruleId.padEnd(31)}  ${printable(finding.summary, 240)}`;
}

export function tableHeader(): string {
  return `${'TIME (UTC)'.padEnd(19)}  ${'SEVERITY'.padEnd(8)}  ${'RULE'.padEnd(31)}  SUMMARY`;
}

export function jsonLine(finding: Finding): string {
  return JSON.stringify(finding);
}
