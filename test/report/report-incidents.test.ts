import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../shared/report/render-html';
import { ReportCollector } from '../../shared/report/report-collector';
import { buildReportData, type ReportData } from '../../shared/report/report-data';
import type { ReportIncident } from '../../shared/report/report-incidents';
import { RunEdgeRecorder } from '../../shared/report/run-edge-recorder';
import { exampleEdge, finding, HOSTILE_TITLE, incident, incidentScenario, record, smallRun } from './fixtures';

async function built(): Promise<ReportData> {
  const { recorder, findings, incidents } = await incidentScenario();
  return buildReportData({ run: smallRun(), findings, incidents, edges: recorder.edges(), learningDays: 7 }).data;
}

function card(data: ReportData, id: string): ReportIncident {
  const found = data.incidents?.find((i) => i.id === id);
  if (!found) throw new Error(`no card for ${id}`);
  return found;
}

/** The ids of the report's findings at these indexes. */
function ids(data: ReportData, indexes: number[]): string[] {
  return indexes.map((i) => data.findings[i]?.finding.id ?? `missing ${i}`);
}

describe('buildReportData with incidents', () => {
  it('orders the cards most severe first, then the one seen last', async () => {
    // Act
    const data = await built();
    // Assess: critical inc-b; then the high ones, inc-c (11:00) before inc-a (10:30); then medium inc-m.
    expect(data.incidents?.map((i) => i.id)).toEqual(['inc-b', 'inc-c', 'inc-a', 'inc-m']);
    expect(data.incidents?.map((i) => i.anchor)).toEqual([
      'incident-inc-b',
      'incident-inc-c',
      'incident-inc-a',
      'incident-inc-m',
    ]);
  });

  it('links each finding row to its incident: the one it names, the one listing it, and past a merge', async () => {
    const data = await built();
    const links = Object.fromEntries(data.findings.map((f) => [f.finding.id, f.incident]));
    expect(links).toEqual({
      'f-exec': 'incident-inc-a',
      'f-exfil': 'incident-inc-a',
      'f-db': 'incident-inc-a',
      // Names no incident; inc-b lists it.
      'f-c2': 'incident-inc-b',
      // Names inc-m, which was merged into inc-a.
      'f-secret': 'incident-inc-a',
      'f-alone': undefined,
    });
  });

  it('gives each incident its findings in this report, and the union of their places on the map', async () => {
    const data = await built();
    const a = card(data, 'inc-a');
    expect(ids(data, a.findings)).toEqual(['f-exec', 'f-exfil', 'f-db', 'f-secret']);
    expect(a.total).toBe(5);
    expect([...a.place.links].sort()).toEqual(['ip:10.0.1.20->ip:10.0.200.10', 'ip:10.0.1.20->net:198.51.100.0/24']);
    expect([...a.place.nodes].sort()).toEqual(['ip:10.0.1.20', 'ip:10.0.200.10', 'net:198.51.100.0/24']);
    expect(a.place.exposure).toBe(false);
    // The same as the union of its findings' own placements, each link and node once.
    const own = a.findings.map((i) => data.findings[i]?.place);
    expect(new Set(a.place.links)).toEqual(new Set(own.flatMap((p) => p?.links ?? [])));
    expect(new Set(a.place.nodes)).toEqual(new Set(own.flatMap((p) => p?.nodes ?? [])));
    expect(new Set(a.place.nodes).size).toBe(a.place.nodes.length);

    const b = card(data, 'inc-b');
    expect(b.place.links).toEqual(['ip:10.0.2.30->net:203.0.113.0/24']);
    const c = card(data, 'inc-c');
    expect(c.findings).toEqual([]);
    expect(c.total).toBe(2);
    expect(c.place).toEqual({ links: [], nodes: [], exposure: false });
  });

  it('keeps what the card shows: severity raised for tactics, status, joins, timeline, messages, related incidents', async () => {
    const data = await built();
    const b = card(data, 'inc-b');
    expect([b.severity, b.findingSeverity, b.tactics.length]).toEqual(['critical', 'high', 3]);
    const a = card(data, 'inc-a');
    expect(a.joins).toEqual([{ key: 'workload:shop/web', findings: 5, because: 'the same workload (shop/web)' }]);
    expect(a.entities).toEqual([
      { kind: 'identities', values: ['alice@example.com'], more: 0 },
      { kind: 'workloads', values: ['shop/web'], more: 0 },
      { kind: 'destinations', values: ['198.51.100.7', '10.0.200.10'], more: 0 },
      { kind: 'namespaces', values: ['shop'], more: 0 },
    ]);
    expect([a.messages, a.quiet]).toEqual([2, 1]);
    // Timeline entries point at the findings this report has; the earlier one it does not have has no link.
    expect(a.timeline.map((e) => (e.finding === undefined ? undefined : data.findings[e.finding]?.finding.id))).toEqual(
      [undefined, 'f-exec', 'f-exfil', 'f-db', 'f-secret'],
    );
    expect(a.timeline.map((e) => e.mutedBy)).toEqual([
      undefined,
      undefined,
      undefined,
      'sup-db-maintenance',
      undefined,
    ]);
    expect(a.timeline[2]).toMatchObject({ ruleId: 'net.new-destination', severity: 'high', tactic: 'Exfiltration' });
    expect(a.related).toEqual([{ relation: 'merged from', id: 'inc-m', anchor: 'incident-inc-m' }]);
    expect(card(data, 'inc-m').related).toEqual([{ relation: 'merged into', id: 'inc-a', anchor: 'incident-inc-a' }]);
    const c = card(data, 'inc-c');
    expect(c.related).toEqual([{ relation: 'continues', id: 'inc-a', anchor: 'incident-inc-a' }]);
    expect(c.status).toBe('acknowledged');
    expect(c.acknowledged).toEqual({ reason: 'maintenance window', by: 'bob', at: '2026-11-10T11:05:00.000Z' });
  });

  it('makes log text printable, bounds long lists, and gives a related incident outside the report no link', () => {
    // Prepare
    const sources = Array.from({ length: 60 }, (_, i) => `198.51.100.${i}`);
    const { data } = buildReportData({
      run: smallRun(),
      findings: [],
      incidents: [
        incident({
          id: 'inc/<x>"1"',
          title: HOSTILE_TITLE,
          joins: [{ key: 'identity:\u001b[31mbob', findings: 2, because: 'the same identity (\u001b[31mbob)' }],
          entities: { identities: [], workloads: [], sources, destinations: [], images: [], namespaces: [] },
          linkedTo: 'inc-gone',
        }),
      ],
      edges: [],
      learningDays: 7,
    });
    // Assess
    const only = data.incidents?.[0];
    expect(only?.anchor).toBe('incident-incx1');
    expect(only?.title).toBe(HOSTILE_TITLE.replace('\u202e', '\\u202e'));
    expect(only?.joins[0]?.because).toBe('the same identity (\\u001b[31mbob)');
    expect(only?.entities).toEqual([{ kind: 'sources', values: sources.slice(0, 50), more: 10 }]);
    expect(only?.related).toEqual([{ relation: 'continues', id: 'inc-gone' }]);
  });

  it('shows one card per incident id, and anchors that differ for ids that clean up the same', () => {
    const { data } = buildReportData({
      run: smallRun(),
      findings: [],
      incidents: [
        incident({ id: 'inc1', severity: 'low' }),
        incident({ id: 'inc1', severity: 'high' }),
        incident({ id: 'inc 1' }),
      ],
      edges: [],
      learningDays: 7,
    });
    expect(data.incidents?.map((i) => [i.id, i.severity, i.anchor])).toEqual([
      ['inc 1', 'high', 'incident-inc1'],
      ['inc1', 'high', 'incident-inc1-1'],
    ]);
  });

  it('has no incidents, and no Incidents section, when the run gave none to the report', async () => {
    const recorder = new RunEdgeRecorder();
    await record(recorder, 'o1', [exampleEdge({ client: '10.0.1.20', server: '198.51.100.7', serverPort: 443 })]);
    const { data } = buildReportData({
      run: smallRun(),
      findings: [finding({ ruleId: 'net.new-destination', incidentId: 'inc-a' })],
      edges: recorder.edges(),
      learningDays: 7,
    });
    expect(data.incidents).toBeUndefined();
    expect(data.findings[0]?.incident).toBeUndefined();
    const html = renderReportHtml(data);
    expect(html).not.toContain('id="incidents-section"');
    expect(html).not.toContain('href="#incidents-section"');
  });
});

describe('ReportCollector.write with incidents', () => {
  it('embeds the incidents in the page, above the findings', async () => {
    // Prepare
    const { findings, incidents } = await incidentScenario();
    const collector = new ReportCollector();
    const path = join(mkdtempSync(join(tmpdir(), 'dw-incidents-')), 'report.html');
    // Act
    const written = await collector.write(path, { run: smallRun(), findings, incidents, learningDays: 7 });
    // Assess
    const html = readFileSync(path, 'utf8');
    const json = /<script type="application\/json" id="driftwatch-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const embedded = JSON.parse(json) as ReportData;
    expect(embedded.incidents?.map((i) => i.id)).toEqual(['inc-b', 'inc-c', 'inc-a', 'inc-m']);
    expect(embedded.incidents).toEqual(written.data.incidents);
    expect(html.indexOf('id="incidents-section"')).toBeGreaterThan(0);
    expect(html.indexOf('id="incidents-section"')).toBeLessThan(html.indexOf('id="findings-section"'));
    expect(html).toContain('<a href="#incidents-section">Incidents</a>');
    // The hostile title is data in JSON, never markup.
    expect(html).not.toContain('<img src=x');
  });
});

describe('buildReportData with context on a timeline', () => {
  it('marks the entry that joined below the alert threshold, and no other', () => {
    const base = incident({ id: 'inc-ctx' });
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
    const withContext = { ...base, timeline: [...base.timeline, context] };
    const { data } = buildReportData({
      run: smallRun(),
      findings: [],
      incidents: [withContext],
      edges: [],
      learningDays: 7,
    });
    const timeline = card(data, 'inc-ctx').timeline;
    expect(timeline.map((e) => e.context)).toEqual([...base.timeline.map(() => undefined), true]);
  });
});
