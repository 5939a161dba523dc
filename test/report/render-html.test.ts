import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LearnedPipeline } from '../../shared/detect';
import { escapeHtml, loadReportAssets, renderReportHtml, scriptSafeJson } from '../../shared/report/render-html';
import { buildReportData, type ReportData, type RunFacts } from '../../shared/report/report-data';
import { RunEdgeRecorder } from '../../shared/report/run-edge-recorder';
import { exampleEdge, finding, record } from './fixtures';

const HOSTILE = [
  '</script><script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '<!-- <script>',
  '\u2028\u2029 line separators',
  '"quotes" & \'apostrophes\' `backticks` $' + '{template}',
  '</SCRIPT ><iframe srcdoc="<script>alert(3)</script>">',
];

function run(): RunFacts {
  return {
    durationMs: 1200,
    objects: { read: 2, audit: 1, flow: 1, unrecognized: 0, alreadyProcessed: 0 },
    eventsParsed: 10,
    eventTimeRange: { first: '2026-11-01T00:00:00.000Z', last: '2026-11-10T12:00:00.000Z' },
    findings: {
      total: 1,
      bySeverity: { info: 0, low: 0, medium: 0, high: 1, critical: 0 },
      byDay: { '2026-11-10': { info: 0, low: 0, medium: 0, high: 1, critical: 0 } },
      suppressedByDedupe: 0,
      belowAlertThreshold: 0,
    },
  };
}

async function hostileReport(): Promise<{ html: string; data: ReportData }> {
  const recorder = new RunEdgeRecorder();
  await record(recorder, 'o1', [exampleEdge({ client: '10.0.1.21', server: '198.51.100.77', serverPort: 3333 })]);
  const { data } = buildReportData({
    run: run(),
    findings: [
      finding({
        ruleId: 'audit.exec-into-pod',
        source: 'eks-audit',
        summary: HOSTILE.join(' | '),
        evidence: HOSTILE.join('\n'),
        entities: { user: HOSTILE[1], name: HOSTILE[0], srcAddr: '10.0.1.21', dstAddr: HOSTILE[5] },
        origin: { uri: `s3://bucket/${HOSTILE[0]}`, line: 3 },
      }),
    ],
    edges: recorder.edges(),
    cluster: '<b>shop-prod</b></title><script>alert(4)</script>',
    learningDays: 7,
    generatedAt: new Date('2026-11-28T00:00:00Z'),
  });
  return { html: renderReportHtml(data), data };
}

/** The file without the code of the two inline scripts (library and page script): what log data could reach. */
function markup(html: string): string {
  return html.replace(/<script>[\s\S]*?<\/script>/g, '<script></script>');
}

/** The text of every `<script>` element, in order. */
function scripts(html: string): { attrs: string; text: string }[] {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/gi)].map((m) => ({
    attrs: m[1] ?? '',
    text: m[2] ?? '',
  }));
}

describe('renderReportHtml', () => {
  it('keeps hostile strings from logs inert: data is JSON in one script element, and parses back unchanged', async () => {
    const { html, data } = await hostileReport();
    // Exactly the three script elements we wrote: data, library, page script.
    const found = scripts(html);
    expect(found.map((s) => s.attrs.trim())).toEqual(['type="application/json" id="driftwatch-data"', '', '']);
    const json = found[0]?.text ?? '';
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(data)));
    // Nowhere in the file does log text appear as markup.
    for (const text of HOSTILE) expect(html.includes(text), text).toBe(false);
    expect(markup(html)).not.toMatch(/<img|<iframe|<script>alert|<\/title><script/i);
    expect(html).toContain(
      '<title>Driftwatch report: &lt;b&gt;shop-prod&lt;/b&gt;&lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt;</title>',
    );
  });

  it('is self-contained: no external script, style sheet, image or frame, and a policy that allows no connection', async () => {
    const { html } = await hostileReport();
    const page = markup(html);
    expect(page).not.toMatch(/<(script|img|iframe|link|object|embed)\b[^>]*\b(src|href|data)\s*=/i);
    expect(page).not.toMatch(/@import|url\(/i);
    expect(page).not.toMatch(/<[^>]+\b(src|href|action)\s*=\s*["']?(https?:)?\/\//i);
    // The code inlined references no script or style sheet on the network either.
    expect(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.(js|css)\b/i.test(html)).toBe(false);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    // Only our two inline scripts may run: the policy names their hashes.
    const hashes = scripts(html)
      .slice(1)
      .map((s) => `'sha256-${createHash('sha256').update(s.text, 'utf8').digest('base64')}'`);
    expect(csp).toContain(`script-src ${hashes.join(' ')}`);
    expect(csp).not.toMatch(/script-src[^;]*(unsafe|\*|https?:|data:)/);
  });

  it('inlines the graph library, the page script and the style whole', async () => {
    const { html } = await hostileReport();
    const assets = loadReportAssets();
    expect(assets.graphLibrary.length).toBeGreaterThan(100_000);
    const [, library, script] = scripts(html);
    expect(library?.text).toBe(assets.graphLibrary);
    expect(script?.text).toBe(assets.script);
    expect(html).toContain(assets.style);
  });
});

describe('scriptSafeJson and escapeHtml', () => {
  it('round-trips every hostile string', () => {
    for (const text of HOSTILE) {
      expect(JSON.parse(scriptSafeJson({ text }))).toEqual({ text });
      expect(scriptSafeJson(text)).not.toMatch(/<\/script|<!--/i);
      expect(escapeHtml(text)).not.toMatch(/[<>"']/);
    }
  });
});

/**
 * A learned pipeline in both shapes the learner has kept (`network`, then `networks`), so this
 * test holds whichever is merged: the section reads the field through `pipelineNetworks`.
 */
function pipeline(username: string, network: string, agent: string): LearnedPipeline {
  return { username, network, networks: [network], agent } as unknown as LearnedPipeline;
}

describe('the Learned section', () => {
  /** A report of what a cluster and a VPC learned, with log text as hostile as it gets. */
  function learnedReport(): string {
    const { data } = buildReportData({
      run: run(),
      findings: [],
      edges: [],
      learningDays: 7,
      learned: {
        scopes: [
          {
            scope: 'shop-prod',
            kind: 'cluster',
            learning: { learningUntil: '2026-11-08T00:00:00.000Z', learned: true },
            pipelines: [
              pipeline('argocd', '198.51.100.0/24', 'argocd-application-controller/v2.9'),
              pipeline(HOSTILE[1] as string, '10.0.0.0/24', HOSTILE[0] as string),
            ],
            registries: ['docker.io', HOSTILE[5] as string],
            repositories: ['docker.io/library/nginx'],
            identities: [{ identity: 'alice', networks: ['203.0.113.0/24'] }],
            privilegedWorkloads: [],
            entryPoints: [],
            flows: { edges: 0, ports: 0, distinctPorts: 0, externalDestinations: 0 },
          },
          {
            scope: 'vpc-0abc',
            kind: 'vpc',
            learning: { learningUntil: '2026-11-08T00:00:00.000Z', learned: true },
            pipelines: [],
            registries: [],
            repositories: [],
            identities: [],
            privilegedWorkloads: [],
            entryPoints: [],
            flows: { edges: 183, ports: 29, distinctPorts: 13, externalDestinations: 11 },
          },
        ],
      },
    });
    return renderReportHtml(data);
  }

  it('lists each learned pipeline as learned, with its network and user agent, and the counts', () => {
    const html = learnedReport();
    const section = /<section id="learned-section">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(html).toContain('<a href="#learned-section">Learned</a>');
    expect(section).toContain('<h3>Cluster shop-prod: learned (learning ended 2026-11-08 00:00 UTC)</h3>');
    expect(section).toContain(
      '<tr><td>argocd</td><td><span class="badge learned">learned</span></td><td>198.51.100.0/24</td>' +
        '<td>argocd-application-controller/v2.9</td></tr>',
    );
    expect(section).toContain('2 pipeline identities, 2 registries, 1 repositories, 1 identities');
    expect(section).toContain('183 known edges, 29 known ports (13 distinct), 11 external destinations');
    expect(section).toContain('identities.notPipelines');
  });

  it('keeps log text in it inert', () => {
    const html = learnedReport();
    for (const text of HOSTILE) expect(html.includes(text), text).toBe(false);
    expect(markup(html)).not.toMatch(/<img|<iframe|<script>alert/i);
    expect(html).toContain(`<td>${escapeHtml(HOSTILE[1] as string)}</td>`);
  });

  it('is left out when the run gave no learned state', async () => {
    const { html } = await hostileReport();
    expect(html).not.toContain('learned-section');
  });
});
