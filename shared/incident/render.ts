import type { Finding } from '../alert';
import { type Severity, severityRank } from '../config';
import { printable } from '../util';
import type { Digest, Incident, IncidentLine, IncidentMessage, TimelineEntry } from './types';

/*
 * What subscribers see. One IncidentMessage becomes four texts: the SNS subject, a plain-text
 * email, an Amazon Q Developer (AWS Chatbot) custom notification, and JSON for machines. Every value
 * that came from a log goes through `printable()` here, on one line, with a bound; the JSON body
 * keeps values verbatim (JSON escapes them) but is bounded in bytes.
 */

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

/** A value from a log, safe on one line: newlines and tabs escaped like other controls, then bounded. */
function oneLine(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : String(value);
  return printable(
    text.replace(/[\n\t]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    max,
  );
}

function upper(severity: Severity): string {
  return severity.toUpperCase();
}

/** The incident's timeline, oldest first (the contract says time order; a merge may not keep it). */
function chronological(timeline: readonly TimelineEntry[]): TimelineEntry[] {
  return timeline
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (a.entry.time < b.entry.time ? -1 : a.entry.time > b.entry.time ? 1 : a.index - b.index))
    .map(({ entry }) => entry);
}

/** Whether the incident's severity was raised above its findings' for spanning tactics. */
function raised(incident: Incident): boolean {
  return severityRank(incident.severity) > severityRank(incident.findingSeverity);
}

/** The runbook of each rule, once, in the order the incident's rules first appeared. */
function runbooks(message: IncidentMessage): { ruleId: string; runbook: string }[] {
  const byRule = new Map<string, string>();
  for (const finding of message.findings) {
    if (!byRule.has(finding.ruleId) && finding.runbook.trim()) byRule.set(finding.ruleId, finding.runbook);
  }
  const order = [...(message.incident?.rules ?? []), ...byRule.keys()];
  return [...new Set(order)].flatMap((ruleId) => {
    const runbook = byRule.get(ruleId);
    return runbook ? [{ ruleId, runbook }] : [];
  });
}

/** An id as a shell word: ids are generated, but a command people paste must not surprise them. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9._:@%+=/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The CLI command that acknowledges or resolves an incident; `<...>` are for the reader to fill in. */
function command(verb: 'ack' | 'resolve', id: string | undefined): string {
  return `driftwatch incidents ${verb} ${id === undefined ? '<id>' : shellWord(oneLine(id, 120))} --reason "<why>" --table <TABLE>`;
}

/** The same for chat, where angle brackets would start a link or a mention: plain words instead. */
function chatCommand(verb: 'ack' | 'resolve', id: string | undefined): string {
  return command(verb, id).replace(/<(\w+)>/g, (_, word: string) => word.toUpperCase());
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The incident lines of a digest that are open now (distinct, in the order the digest lists them). */
function openLines(digest: Digest): IncidentLine[] {
  const seen = new Map<string, IncidentLine>();
  for (const line of [...digest.opened, ...digest.updated, ...digest.stillOpen]) {
    if (!seen.has(line.id)) seen.set(line.id, line);
  }
  return [...seen.values()].filter((line) => line.status === 'open');
}

// ---------------------------------------------------------------------------------------------
// Subject
// ---------------------------------------------------------------------------------------------

/** SNS takes subjects of less than 100 characters: ASCII, one line, not starting with a space. */
const SUBJECT_LIMIT = 99;

function ascii(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 3)).trimEnd()}...` : text;
}

/**
 * The email subject and chat summary: `[CRITICAL] New incident: <title> [cluster]`,
 * `[HIGH] Update: <title> (<reason>) [cluster]`, `Driftwatch digest <day> [cluster]: N open`. The
 * title gives way first, so the severity, the reason and the cluster stay readable.
 */
export function renderSubject(message: IncidentMessage): string {
  const cluster = ` [${clip(ascii(message.cluster).trim(), 30)}]`;
  if (message.kind === 'digest' || !message.incident) {
    const day = message.digest?.day ?? '';
    const open = message.digest ? openLines(message.digest).length : 0;
    return finishSubject(`Driftwatch digest ${ascii(day)}${cluster}: ${open} open`);
  }
  const head = `[${upper(message.severity)}] ${message.kind === 'update' ? 'Update' : 'New incident'}: `;
  const reason = message.kind === 'update' ? ` (${clip(ascii(message.reason).trim(), 40)})` : '';
  const room = SUBJECT_LIMIT - head.length - reason.length - cluster.length;
  const title = clip(ascii(message.incident.title).trim(), Math.max(room, 12));
  return finishSubject(`${head}${title}${reason}${cluster}`);
}

function finishSubject(subject: string): string {
  return clip(ascii(subject).trim(), SUBJECT_LIMIT);
}

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

/** The most the email body grows to; past it, a note says the JSON message has the rest. */
const EMAIL_LIMIT = 60_000;
const TIMELINE_LINES = 50;
const LIST_VALUES = 20;
const EVIDENCE_FINDINGS = 3;

const ENTITY_LABELS: [keyof Incident['entities'], string][] = [
  ['identities', 'Identities'],
  ['workloads', 'Workloads'],
  ['sources', 'Sources'],
  ['destinations', 'Destinations'],
  ['images', 'Images'],
  ['namespaces', 'Namespaces'],
];

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(18)}${value}`;
}

/** A list of log values on one line, each bounded, with how many more there were. */
function values(list: readonly unknown[], limit = LIST_VALUES, max = 200): string {
  const shown = list.slice(0, limit).map((v) => oneLine(v, max));
  return `${shown.join(', ')}${list.length > limit ? `, and ${list.length - limit} more` : ''}`;
}

function severityText(incident: Incident): string {
  if (!raised(incident)) return incident.severity;
  return `${incident.severity} (raised from ${incident.findingSeverity}: its findings span ${incident.tactics.length} MITRE ATT&CK tactics)`;
}

function statusText(incident: Incident): string {
  const ack = incident.acknowledged;
  const parts: string[] = [incident.status];
  if (incident.status === 'acknowledged' && ack) {
    parts.push(
      `by ${oneLine(ack.by, 100)} at ${oneLine(ack.at, 40)}${ack.until ? ` until ${oneLine(ack.until, 40)}` : ''}: ${oneLine(ack.reason, 300)}`,
    );
  }
  if (incident.status === 'resolved' && incident.resolvedAt) parts.push(`at ${oneLine(incident.resolvedAt, 40)}`);
  if (incident.mergedInto) parts.push(`into ${oneLine(incident.mergedInto, 100)}`);
  return parts.join(' ');
}

function timelineLine(entry: TimelineEntry): string {
  const muted = entry.mutedBy ? ` (muted by ${oneLine(entry.mutedBy, 100)})` : '';
  const context = entry.context ? ' (context, not notified)' : '';
  return `  ${oneLine(entry.time, 30)}  ${upper(entry.severity).padEnd(8)}  ${oneLine(entry.ruleId, 80)}  ${oneLine(entry.summary, 300)}${muted}${context}`;
}

function origin(finding: Finding): string {
  const o = finding.origin;
  return `${oneLine(o.uri, 500)}${o.line !== undefined ? ` line ${o.line}` : ''}${o.record !== undefined ? ` record ${o.record}` : ''}`;
}

function incidentEmail(message: IncidentMessage, incident: Incident): string[] {
  const lines = [
    printable(
      `${upper(message.severity)} ${message.kind === 'update' ? 'incident update' : 'incident'}: ${oneLine(incident.title, 300)}`,
      400,
    ),
    '',
    field('Why this message', oneLine(message.reason, 300)),
    field('Incident', oneLine(incident.id, 100)),
    field('Cluster', oneLine(incident.cluster, 100)),
    field('Severity', severityText(incident)),
    field('Status', statusText(incident)),
    field('First seen', oneLine(incident.firstSeen, 40)),
    field('Last seen', oneLine(incident.lastSeen, 40)),
    field('Findings', `${incident.findings.length} (rules: ${values(incident.rules, 10, 80)})`),
  ];
  if (incident.linkedTo) lines.push(field('Continues', oneLine(incident.linkedTo, 100)));
  if (incident.merged.length) lines.push(field('Merged into it', values(incident.merged, 10, 100)));
  lines.push('', 'Entities (verbatim from the logs):');
  const entities = ENTITY_LABELS.filter(([key]) => incident.entities[key].length);
  if (!entities.length) lines.push('  none named');
  for (const [key, label] of entities) lines.push(`  ${field(label, values(incident.entities[key]))}`);
  if (incident.tactics.length) lines.push('', field('MITRE ATT&CK', values(incident.tactics, 14, 60)));
  if (incident.joins.length) {
    lines.push('', 'Why these findings are one incident:');
    for (const join of incident.joins.slice(0, LIST_VALUES)) {
      lines.push(`  - ${oneLine(join.because, 300)}: ${join.findings} findings`);
    }
    if (incident.joins.length > LIST_VALUES) lines.push(`  - and ${incident.joins.length - LIST_VALUES} more keys`);
  }
  lines.push('', ...timelineSection(incident));
  if (message.kind === 'update' || incident.quiet > 0) {
    lines.push(
      '',
      field(
        'Quiet findings',
        `${incident.quiet} since the last message (kinds already reported, so they sent no message of their own)`,
      ),
    );
  }
  lines.push(...evidenceSection(message), ...whatToDo(message, incident.id));
  return lines;
}

function timelineSection(incident: Incident): string[] {
  const timeline = chronological(incident.timeline);
  const hidden = Math.max(0, timeline.length - TIMELINE_LINES);
  const lines = ['Timeline (event time, oldest first):'];
  if (hidden) lines.push(`  ... ${hidden} earlier findings not shown (the JSON message has the incident's ids)`);
  for (const entry of timeline.slice(hidden)) lines.push(timelineLine(entry));
  return lines;
}

function evidenceSection(message: IncidentMessage): string[] {
  const newest = [...message.findings].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  if (!newest.length) return [];
  const lines = ['', `Evidence of the newest findings (${Math.min(EVIDENCE_FINDINGS, newest.length)} shown):`];
  for (const finding of newest.slice(0, EVIDENCE_FINDINGS)) {
    lines.push(
      `  ${oneLine(finding.time, 30)}  ${oneLine(finding.ruleId, 80)}  finding ${oneLine(finding.id, 80)}`,
      `    ${field('What happened', oneLine(finding.summary, 500))}`,
      `    ${field('Evidence', oneLine(finding.evidence, 1000))}`,
      `    ${field('Source record', origin(finding))}`,
    );
    if (finding.baseline) lines.push(`    ${field('Baseline', oneLine(finding.baseline.expected, 300))}`);
  }
  return lines;
}

function whatToDo(message: IncidentMessage, id: string): string[] {
  const lines = ['', 'What to do:'];
  const books = runbooks(message);
  if (!books.length) lines.push('  Review the timeline above and the findings in the JSON message.');
  // A runbook is the detector's text, but it reaches us inside a finding: one line, like a log value.
  for (const { ruleId, runbook } of books) lines.push(`  ${oneLine(ruleId, 80)}:`, `    ${oneLine(runbook, 2000)}`);
  lines.push(
    '',
    'Act on it (with AWS credentials for the stack; TABLE is its state table):',
    `  ${command('ack', id)}`,
    `  ${command('resolve', id)}`,
  );
  return lines;
}

function digestLine(line: IncidentLine): string {
  return `  [${upper(line.severity)}] ${oneLine(line.title, 200)}  (${oneLine(line.id, 80)}, ${line.status}, ${line.findings} findings, ${oneLine(line.firstSeen, 30)} to ${oneLine(line.lastSeen, 30)})`;
}

function digestSection(title: string, lines: readonly IncidentLine[]): string[] {
  const out = ['', `${title} (${lines.length}):`];
  if (!lines.length) out.push('  none');
  for (const line of lines.slice(0, TIMELINE_LINES)) out.push(digestLine(line));
  if (lines.length > TIMELINE_LINES) out.push(`  and ${lines.length - TIMELINE_LINES} more`);
  return out;
}

function counts(title: string, record: Record<string, number>, unit: string): string[] {
  const entries = Object.entries(record).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const out = ['', `${title}:`];
  if (!entries.length) out.push('  none');
  for (const [key, count] of entries.slice(0, TIMELINE_LINES))
    out.push(`  ${oneLine(key, 100)}: ${plural(count, unit)}`);
  if (entries.length > TIMELINE_LINES) out.push(`  and ${entries.length - TIMELINE_LINES} more`);
  return out;
}

function digestEmail(digest: Digest): string[] {
  const health = digest.health;
  const deadLetters = health.deadLetters
    ? Object.entries(health.deadLetters)
        .map(([reason, count]) => `${oneLine(reason, 80)} ${count}`)
        .join(', ') || 'none'
    : 'not counted';
  return [
    `Driftwatch daily digest for ${oneLine(digest.cluster, 100)}, ${oneLine(digest.day, 20)}`,
    `${openLines(digest).length} incidents open; ${digest.opened.length} opened and ${digest.updated.length} updated in the day.`,
    ...digestSection('Opened', digest.opened),
    ...digestSection('Updated', digest.updated),
    ...digestSection('Still open', digest.stillOpen),
    ...counts('Findings below the notification threshold, by rule', digest.belowThreshold, 'finding'),
    ...counts('Muted by suppressions', digest.muted, 'finding'),
    '',
    'Learning:',
    ...(digest.learning.length
      ? digest.learning.map(
          (l) =>
            `  ${oneLine(l.scope, 100)}: ${l.learned ? 'learned' : `learning${l.learningUntil ? ` until ${oneLine(l.learningUntil, 40)}` : ''}`}`,
        )
      : ['  no scopes yet']),
    '',
    'Pipeline health:',
    `  ${field('Objects read', String(health.objects))}`,
    `  ${field('Records rejected', String(health.rejected))}`,
    `  ${field('Dead letters', deadLetters)}`,
    '',
    'To act on an incident (with AWS credentials for the stack; TABLE is its state table):',
    `  ${command('ack', undefined)}`,
    `  ${command('resolve', undefined)}`,
  ];
}

/**
 * The plain-text email: for an incident, what it is, why this message, who and what it involves,
 * why its findings were joined, its timeline, what to do and the commands to acknowledge or
 * resolve it; for the digest, the day's incidents, what stayed quiet, learning and pipeline health.
 */
export function renderEmail(message: IncidentMessage): string {
  const body =
    message.kind !== 'digest' && message.incident
      ? incidentEmail(message, message.incident)
      : message.digest
        ? digestEmail(message.digest)
        : [`Driftwatch: ${oneLine(message.reason, 300)}`];
  const footer =
    message.kind === 'digest'
      ? `-- Driftwatch, message ${oneLine(message.id, 120)}. One digest a day.`
      : `-- Driftwatch, message ${oneLine(message.id, 120)}. Updates follow when the incident escalates, gains a new kind of finding, reopens or its acknowledgement expires.`;
  const text = [...body, '', footer].join('\n');
  return text.length > EMAIL_LIMIT
    ? `${text.slice(0, EMAIL_LIMIT)}\n\n[Truncated: the JSON message carries the rest.]`
    : text;
}

// ---------------------------------------------------------------------------------------------
// Chat (Amazon Q Developer in chat applications, formerly AWS Chatbot)
// ---------------------------------------------------------------------------------------------

/**
 * An Amazon Q Developer in chat applications (AWS Chatbot) custom notification. `version` and
 * `source` are required; the service renders `content` in the chat platform's markdown
 * (`client-markdown`, the only text type) and threads messages that share `metadata.threadId`.
 */
export interface ChatNotification {
  version: '1.0';
  source: 'custom';
  id?: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps: string[];
    keywords?: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

/**
 * Bounds for the chat notification. The stored AWS page gave which fields are required and their
 * values, not every length, so these are ours, chosen at or below what the service renders: a chat
 * message is a pointer to the email and the JSON, never the whole incident.
 */
const CHAT_LIMITS = {
  title: 250,
  description: 4000,
  nextSteps: 5,
  nextStep: 300,
  keywords: 10,
  keyword: 75,
  threadId: 128,
  summary: 250,
  eventType: 100,
  relatedResources: 10,
  relatedResource: 256,
  contextEntries: 20,
  contextKey: 100,
  contextValue: 256,
} as const;

/**
 * A log value in chat markdown: in a code span, so `*`, `_`, links and mentions (`<!here>`, `@channel`)
 * stay text. Backticks and angle brackets, which could close the span or form a link, are replaced.
 */
function code(value: unknown, max: number): string {
  return `\`${plain(value, max)}\``;
}

/** Text for chat outside a code span: one line, no angle brackets or backticks. */
function plain(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : String(value);
  return oneLine(text.replace(/`/g, "'").replace(/</g, '‹').replace(/>/g, '›'), max);
}

const EMOJI: Record<Severity, string> = {
  critical: ':rotating_light:',
  high: ':rotating_light:',
  medium: ':warning:',
  low: ':information_source:',
  info: ':information_source:',
};

/** Joins lines until the limit, then says that the rest is in the email. */
function bounded(lines: readonly string[], max: number): string {
  const note = '\n_… more in the email and the JSON message_';
  let out = '';
  for (const line of lines) {
    const next = out ? `${out}\n${line}` : line;
    if (next.length > max - note.length) return `${out.slice(0, max - note.length)}${note}`;
    out = next;
  }
  return out;
}

function incidentChatLines(message: IncidentMessage, incident: Incident): string[] {
  const e = incident.entities;
  const lines = [
    `*Why this message:* ${plain(message.reason, 200)}`,
    `*Severity:* ${incident.severity}${raised(incident) ? ` (raised from ${incident.findingSeverity}: ${incident.tactics.length} ATT&CK tactics)` : ''} · *Status:* ${incident.status} · *Cluster:* ${code(incident.cluster, 80)}`,
    `*Seen:* ${plain(incident.firstSeen, 30)} → ${plain(incident.lastSeen, 30)} · *Findings:* ${incident.findings.length}`,
  ];
  const entity = (label: string, list: readonly string[]) => {
    if (list.length) {
      lines.push(
        `*${label}:* ${list
          .slice(0, 5)
          .map((v) => code(v, 100))
          .join(', ')}${list.length > 5 ? ` and ${list.length - 5} more` : ''}`,
      );
    }
  };
  entity('Identities', e.identities);
  entity('Workloads', e.workloads);
  entity('Sources', e.sources);
  entity('Destinations', e.destinations);
  entity('Images', e.images);
  if (incident.tactics.length) lines.push(`*ATT&CK tactics:* ${incident.tactics.map((t) => plain(t, 40)).join(', ')}`);
  if (incident.joins.length) {
    lines.push(
      `*Joined by:* ${incident.joins
        .slice(0, 3)
        .map((j) => plain(j.because, 120))
        .join('; ')}`,
    );
  }
  const timeline = chronological(incident.timeline);
  const shown = timeline.slice(-8);
  lines.push(`*Timeline* (${shown.length} of ${timeline.length}, oldest first):`);
  for (const entry of shown) {
    lines.push(
      `• ${plain(entry.time, 30)} ${upper(entry.severity)} ${code(entry.ruleId, 60)} ${plain(entry.summary, 160)}${entry.mutedBy ? ` _(muted by ${plain(entry.mutedBy, 60)})_` : ''}${entry.context ? ' _(context)_' : ''}`,
    );
  }
  if (incident.quiet > 0) lines.push(`_${plural(incident.quiet, 'quiet finding')} since the last message._`);
  return lines;
}

function digestChatLines(digest: Digest): string[] {
  const lines = [
    `*Opened:* ${digest.opened.length} · *Updated:* ${digest.updated.length} · *Still open:* ${digest.stillOpen.length}`,
  ];
  for (const line of openLines(digest).slice(0, 10)) {
    lines.push(
      `• ${upper(line.severity)} ${plain(line.title, 120)} (${code(line.id, 60)}, ${plural(line.findings, 'finding')})`,
    );
  }
  const below = Object.values(digest.belowThreshold).reduce((a, b) => a + b, 0);
  const muted = Object.values(digest.muted).reduce((a, b) => a + b, 0);
  lines.push(`*Below threshold:* ${plural(below, 'finding')} · *Muted by suppressions:* ${plural(muted, 'finding')}`);
  const learning = digest.learning.filter((l) => !l.learned);
  if (learning.length) {
    lines.push(
      `*Still learning:* ${learning
        .slice(0, 5)
        .map((l) => `${code(l.scope, 60)}${l.learningUntil ? ` until ${plain(l.learningUntil, 30)}` : ''}`)
        .join(', ')}`,
    );
  }
  const dead = Object.values(digest.health.deadLetters ?? {}).reduce((a, b) => a + b, 0);
  lines.push(
    `*Pipeline:* ${plural(digest.health.objects, 'object')}, ${plural(digest.health.rejected, 'rejected record')}${digest.health.deadLetters ? `, ${plural(dead, 'dead letter')}` : ''}`,
  );
  return lines;
}

/** A thread id of safe characters: the incident's id, or `digest-<cluster>`. */
function threadId(message: IncidentMessage): string {
  const raw = message.incident && message.kind !== 'digest' ? message.incident.id : `digest-${message.cluster}`;
  return raw.replace(/[^A-Za-z0-9._:#-]/g, '-').slice(0, CHAT_LIMITS.threadId);
}

function context(entries: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries).slice(0, CHAT_LIMITS.contextEntries)) {
    if (value !== undefined && value !== '')
      out[key.slice(0, CHAT_LIMITS.contextKey)] = oneLine(value, CHAT_LIMITS.contextValue);
  }
  return out;
}

/**
 * The custom notification for Amazon Q Developer in chat applications (AWS Chatbot), which
 * subscribes to the topic over HTTPS. Updates share the incident's thread; digests share
 * `digest-<cluster>`. `additionalContext` carries the ids a custom action button needs.
 */
export function toChatNotification(message: IncidentMessage): ChatNotification {
  const incident = message.kind !== 'digest' ? message.incident : undefined;
  const subject = renderSubject(message);
  const title = incident
    ? `${EMOJI[message.severity]} [${upper(message.severity)}] ${message.kind === 'update' ? 'Update' : 'New incident'}: ${plain(incident.title, 200)}`
    : `:calendar: ${subject}`;
  const description = incident
    ? incidentChatLines(message, incident)
    : message.digest
      ? digestChatLines(message.digest)
      : [plain(message.reason, 300)];
  const nextSteps = incident
    ? [
        ...runbooks(message)
          .slice(0, CHAT_LIMITS.nextSteps - 2)
          .map(({ ruleId, runbook }) => `${code(ruleId, 60)}: ${plain(runbook, CHAT_LIMITS.nextStep - 70)}`),
        `Acknowledge: ${code(chatCommand('ack', incident.id), CHAT_LIMITS.nextStep - 20)}`,
        `Resolve: ${code(chatCommand('resolve', incident.id), CHAT_LIMITS.nextStep - 20)}`,
      ]
    : [
        'Review the open incidents in the email digest.',
        `Acknowledge one: ${code(chatCommand('ack', undefined), CHAT_LIMITS.nextStep - 30)}`,
      ];
  const keywords = [
    message.severity,
    message.kind,
    plain(message.cluster, 60),
    ...(incident?.tactics ?? []).map((t) => plain(t, 60)),
  ];
  return {
    version: '1.0',
    source: 'custom',
    id: message.id.slice(0, 256),
    content: {
      textType: 'client-markdown',
      title: title.slice(0, CHAT_LIMITS.title),
      description: bounded(description, CHAT_LIMITS.description),
      nextSteps: nextSteps.slice(0, CHAT_LIMITS.nextSteps).map((s) => s.slice(0, CHAT_LIMITS.nextStep)),
      keywords: [...new Set(keywords)].slice(0, CHAT_LIMITS.keywords).map((k) => k.slice(0, CHAT_LIMITS.keyword)),
    },
    metadata: {
      threadId: threadId(message),
      summary: subject.slice(0, CHAT_LIMITS.summary),
      eventType: message.kind,
      relatedResources: incident
        ? [incident.id, ...incident.entities.workloads.map((w) => plain(w, CHAT_LIMITS.relatedResource))].slice(
            0,
            CHAT_LIMITS.relatedResources,
          )
        : [threadId(message)],
      additionalContext: context({
        messageId: message.id,
        incidentId: incident?.id,
        kind: message.kind,
        severity: message.severity,
        findingSeverity: incident?.findingSeverity,
        status: incident?.status,
        cluster: message.cluster,
        reason: message.reason,
        firstSeen: incident?.firstSeen,
        lastSeen: incident?.lastSeen,
        findings: incident ? String(incident.findings.length) : undefined,
        rules: message.ruleIds.join(','),
        day: message.digest?.day,
      }),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// JSON for machine subscribers
// ---------------------------------------------------------------------------------------------

/** The default bound of the JSON body, well under SNS's 256 KB with the email and chat beside it. */
const JSON_LIMIT = 120_000;

/** What the JSON body left out to stay under its bound. */
interface LeftOut {
  evidence: number;
  findings: number;
  /** The incident or digest itself was shortened (timeline, entity lists, long strings). */
  trimmed: boolean;
  note: string;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Room kept for the `leftOut` field itself. */
const LEFT_OUT_ROOM = 400;

function clipString(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** The incident shortened, the more the higher the level: newest timeline entries kept, long strings cut. */
function trimIncident(incident: Incident, level: number): Incident {
  const keep = [200, 50, 10][level - 1] ?? 10;
  const max = [1000, 300, 100][level - 1] ?? 100;
  const list = (values: readonly string[]) => values.slice(0, keep).map((v) => clipString(v, max));
  return {
    ...incident,
    title: clipString(incident.title, max),
    keys: list(incident.keys),
    joins: incident.joins
      .slice(0, keep)
      .map((j) => ({ ...j, key: clipString(j.key, max), because: clipString(j.because, max) })),
    tactics: list(incident.tactics),
    entities: {
      identities: list(incident.entities.identities),
      workloads: list(incident.entities.workloads),
      sources: list(incident.entities.sources),
      destinations: list(incident.entities.destinations),
      images: list(incident.entities.images),
      namespaces: list(incident.entities.namespaces),
    },
    timeline: chronological(incident.timeline)
      .slice(-keep)
      .map((t) => ({
        ...t,
        title: clipString(t.title, max),
        summary: clipString(t.summary, max),
        keys: t.keys.slice(0, 10).map((k) => clipString(k, max)),
        mutedBy: t.mutedBy === undefined ? undefined : clipString(t.mutedBy, max),
      })),
    conditions: incident.conditions
      .slice(0, keep)
      .map((c) => ({ key: clipString(c.key, max), elements: list(c.elements) })),
    history: incident.history.slice(-keep).map((h) => ({
      ...h,
      by: clipString(h.by, max),
      reason: h.reason === undefined ? undefined : clipString(h.reason, max),
    })),
    acknowledged: incident.acknowledged && {
      ...incident.acknowledged,
      reason: clipString(incident.acknowledged.reason, max),
      by: clipString(incident.acknowledged.by, max),
    },
    notified: incident.notified && { ...incident.notified, elements: list(incident.notified.elements) },
  };
}

function trimDigest(digest: Digest, level: number): Digest {
  const keep = [200, 50, 10][level - 1] ?? 10;
  const max = [1000, 300, 100][level - 1] ?? 100;
  const lines = (list: readonly IncidentLine[]) =>
    list.slice(0, keep).map((l) => ({ ...l, title: clipString(l.title, max) }));
  const record = (r: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(r)
        .sort(([, a], [, b]) => b - a)
        .slice(0, keep)
        .map(([k, v]) => [clipString(k, max), v]),
    );
  return {
    ...digest,
    opened: lines(digest.opened),
    updated: lines(digest.updated),
    stillOpen: lines(digest.stillOpen),
    belowThreshold: record(digest.belowThreshold),
    muted: record(digest.muted),
    learning: digest.learning.slice(0, keep).map((l) => ({ ...l, scope: clipString(l.scope, max) })),
    health: { ...digest.health, deadLetters: digest.health.deadLetters && record(digest.health.deadLetters) },
  };
}

function leftOutNote(left: Omit<LeftOut, 'note'>, maxBytes: number): string {
  const parts: string[] = [];
  if (left.evidence) parts.push(`the evidence of the ${left.evidence} oldest findings`);
  if (left.findings) parts.push(`the ${left.findings} oldest findings (their ids stay in incident.findings)`);
  if (left.trimmed) parts.push('older timeline entries and the ends of long values');
  return `Left out to keep this message under ${maxBytes} bytes: ${parts.join('; then ')}.`;
}

/**
 * The SNS `default` body, for machine subscribers (SQS, Lambda, HTTPS endpoints other than chat):
 * the message as JSON, at most `maxBytes` bytes. When it is larger, the oldest findings lose their
 * evidence first, then the oldest findings go whole (their ids stay in `incident.findings`), and
 * last the incident or digest itself is shortened; `leftOut` says what went.
 */
export function incidentJson(message: IncidentMessage, maxBytes = JSON_LIMIT): string {
  const body = (findings: Finding[], incident = message.incident, digest = message.digest, leftOut?: LeftOut) =>
    JSON.stringify({
      id: message.id,
      kind: message.kind,
      severity: message.severity,
      cluster: message.cluster,
      ruleIds: message.ruleIds,
      reason: message.reason,
      incident,
      findings,
      digest,
      leftOut,
    });
  const whole = body(message.findings);
  if (bytes(whole) <= maxBytes) return whole;

  const budget = maxBytes - LEFT_OUT_ROOM;
  const findings: (Finding | undefined)[] = [...message.findings];
  const size = (f: Finding | undefined) => (f ? bytes(JSON.stringify(f)) + 1 : 0);
  let total = bytes(whole);
  const oldestFirst = findings
    .map((f, i) => ({ time: f?.time ?? '', i }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.i - b.i))
    .map(({ i }) => i);
  const left = { evidence: 0, findings: 0, trimmed: false };
  for (const i of oldestFirst) {
    const finding = findings[i];
    if (total <= budget) break;
    if (!finding?.evidence) continue;
    const before = size(finding);
    findings[i] = { ...finding, evidence: '' };
    total -= before - size(findings[i]);
    left.evidence++;
  }
  for (const i of oldestFirst) {
    if (total <= budget) break;
    total -= size(findings[i]);
    findings[i] = undefined;
    left.findings++;
  }
  const kept = findings.filter((f): f is Finding => f !== undefined);
  const finish = (incident?: Incident, digest?: Digest) =>
    body(kept, incident, digest, { ...left, note: leftOutNote(left, maxBytes) });
  let json = finish(message.incident, message.digest);
  for (let level = 1; bytes(json) > maxBytes && level <= 3; level++) {
    left.trimmed = true;
    json = finish(
      message.incident && trimIncident(message.incident, level),
      message.digest && trimDigest(message.digest, level),
    );
  }
  if (bytes(json) <= maxBytes) return json;
  // A bound too small for even a trimmed incident: the ids and the reason, which a reader can look up.
  return JSON.stringify({
    id: message.id,
    kind: message.kind,
    severity: message.severity,
    cluster: clipString(message.cluster, 100),
    ruleIds: message.ruleIds.slice(0, 20),
    reason: clipString(message.reason, 200),
    incident: message.incident && { id: message.incident.id, status: message.incident.status },
    findings: [],
    leftOut: {
      evidence: 0,
      findings: message.findings.length,
      trimmed: true,
      note: `Only ids: the message exceeded ${maxBytes} bytes.`,
    },
  });
}
