import { printable } from '../util';
import type { Digest, IncidentLine } from './types';

const SUBJECT_LIMIT = 100;
/** Lines per incident list in the email; the JSON message carries them all. */
const EMAIL_LINES = 50;

/** An SNS email subject: one line of printable ASCII, at most 100 characters. */
export function renderDigestSubject(digest: Digest): string {
  const counts = `${digest.opened.length} opened, ${digest.updated.length} updated, ${digest.stillOpen.length} still open`;
  const subject = `Driftwatch digest ${digest.day} [${digest.cluster}]: ${counts}`
    .replace(/[\r\n\t]+/g, ' ')
    // SNS subjects must be ASCII and must not start with a space.
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return subject.length > SUBJECT_LIMIT ? `${subject.slice(0, SUBJECT_LIMIT - 3)}...` : subject;
}

/**
 * The digest as plain text for email: the incidents first (what needs a person), then what was
 * kept quiet (below the threshold, muted), learning, and whether the pipeline is healthy. Every
 * value from the logs goes through {@link printable}.
 */
export function renderDigestEmail(digest: Digest): string {
  const text = (value: string, max = 300) => printable(value, max);
  const out = [text(`Driftwatch daily digest for cluster ${digest.cluster}, ${digest.day} (UTC)`), ''];
  const section = (title: string, incidents: readonly IncidentLine[]) => {
    out.push(`${title} (${incidents.length}):`);
    if (incidents.length === 0) out.push('  none');
    for (const line of incidents.slice(0, EMAIL_LINES)) {
      out.push(
        `  [${line.severity.toUpperCase()}] ${text(line.title)} (${line.status}, ${line.findings} finding(s), ` +
          `${line.firstSeen} to ${line.lastSeen}) ${text(line.id, 100)}`,
      );
    }
    if (incidents.length > EMAIL_LINES) out.push(`  ... and ${incidents.length - EMAIL_LINES} more`);
    out.push('');
  };
  section('Opened', digest.opened);
  section('Updated', digest.updated);
  section('Still open', digest.stillOpen);
  counted(out, 'Below the notification threshold, by rule', digest.belowThreshold, text);
  counted(out, 'Muted by suppressions, by suppression', digest.muted, text);
  out.push('Learning:');
  if (digest.learning.length === 0) out.push('  no cluster or VPC seen yet');
  for (const scope of digest.learning) {
    const state = scope.learned
      ? 'learned'
      : scope.learningUntil
        ? `learning until ${scope.learningUntil}`
        : 'learning (no event yet)';
    out.push(`  ${text(scope.scope, 200)}: ${state}`);
  }
  out.push('', 'Pipeline health:');
  out.push(`  objects processed: ${digest.health.objects}`, `  objects rejected: ${digest.health.rejected}`);
  const deadLetters = digest.health.deadLetters;
  if (deadLetters) {
    for (const [queue, n] of Object.entries(deadLetters).sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`  messages in the ${text(queue, 100)} dead-letter queue: ${n}`);
    }
  } else {
    out.push('  dead-letter queues: not read');
  }
  out.push('', '-- Driftwatch. Messages in a dead-letter queue are work that failed: find out why, then redrive them.');
  return out.join('\n');
}

function counted(out: string[], title: string, counts: Record<string, number>, text: (v: string) => string): void {
  const entries = Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  out.push(`${title} (${total}):`);
  if (entries.length === 0) out.push('  none');
  for (const [name, n] of entries.slice(0, EMAIL_LINES)) out.push(`  ${text(name)}: ${n}`);
  if (entries.length > EMAIL_LINES) out.push(`  ... and ${entries.length - EMAIL_LINES} more`);
  out.push('');
}
