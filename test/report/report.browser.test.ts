import { copyFileSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { generateScenario } from '../../events/scenario/generate';
import type { ScenarioManifest } from '../../events/scenario/types';
import type { Finding } from '../../shared/alert/finding';
import { severityRank } from '../../shared/config/schema';
import { exposurePath } from '../../shared/detect/net/exposure-path';
import { addressBlock } from '../../shared/network/address';
import type { MapNode } from '../../shared/report/network-map-types';

const EXPOSURE_RULE = exposurePath.id;

import { renderReportHtml } from '../../shared/report/render-html';
import { buildReportData } from '../../shared/report/report-data';
import { RunEdgeRecorder } from '../../shared/report/run-edge-recorder';
import { printable } from '../../shared/util/redact';
import { Capture } from '../support/capture';
import { findChromium } from '../support/chromium';
import { exampleEdge, finding, HOSTILE_TITLE, incidentScenario, record, smallRun } from './fixtures';

/**
 * Debian's Chromium, which .ci/run installs (or DRIFTWATCH_CHROMIUM). Without one every test here is skipped, with
 * the reason printed; DRIFTWATCH_REQUIRE_BROWSER=1 (set by .ci/run) makes a missing browser fail this file instead.
 */
const CHROMIUM = findChromium('report browser tests');
const NO_CHROMIUM = CHROMIUM === undefined;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const ARTIFACTS = resolve('test-artifacts');
const README_SCREENSHOT = resolve('docs', 'report-screenshot.png');

/** What the page exposes once it has drawn (window.driftwatchReport), as far as these tests read it. */
interface PageEdge {
  index: number;
  flows: number;
  classes: string[];
  lineColor: string;
}

async function launch(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('no Chromium: these tests should have been skipped');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Opens a report from disk and waits for the marker the page sets once the graph is laid out and drawn. */
async function open(browser: Browser, path: string, hash = '') {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) requests.push(request.url());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const started = Date.now();
  await page.goto(`${pathToFileURL(path).href}${hash}`);
  await page.waitForSelector('html[data-rendered="true"]', { timeout: 60_000 });
  return { page, problems, requests, dialogs, loadMs: Date.now() - started };
}

function edges(page: Page): Promise<PageEdge[]> {
  return page.evaluate(() => {
    const report = (globalThis as unknown as { driftwatchReport: { cy: import('cytoscape').Core } }).driftwatchReport;
    return report.cy.edges().map((e) => ({
      index: Number(e.data('index')),
      flows: Number(e.data('flows')),
      classes: e.classes(),
      lineColor: String(e.style('line-color')),
    }));
  });
}

/** Whether a map node can stand for an address: it is the address, its block, or holds it. */
function holds(node: MapNode | undefined, address: string): boolean {
  if (!node) return false;
  if (node.label === address || node.sampleAddresses.includes(address)) return true;
  if (node.label === addressBlock(address) || node.id.endsWith(addressBlock(address))) return true;
  // A node that stands for more addresses than it lists may hold it; the report does not say.
  return node.addresses > node.sampleAddresses.length;
}

const RED = 'rgb(224,49,49)';
const PURPLE = 'rgb(174,62,201)';

describe.skipIf(NO_CHROMIUM)('HTML report of the sample scenario, in Chromium', () => {
  let manifest: ScenarioManifest;
  let result: AnalyzeResult;
  let browser: Browser;
  let opened: Awaited<ReturnType<typeof open>>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-report-'));
    manifest = await generateScenario({ outDir: join(dir, 'scenario') });
    result = await analyze({
      paths: [join(dir, 'scenario', 'audit'), join(dir, 'scenario', 'flow')],
      configPath: 'events/scenario/driftwatch.config.json',
      format: 'json',
      reportPath: join(dir, 'report.html'),
      stdout: new Capture(),
      stderr: new Capture(),
    });
    browser = await launch();
    opened = await open(browser, join(dir, 'report.html'));
    // The picture for the README and the CI artifacts: the top of the page, map included.
    mkdirSync(ARTIFACTS, { recursive: true });
    await opened.page.screenshot({ path: join(ARTIFACTS, 'report.png') });
    const renderMs = Number(await opened.page.getAttribute('html', 'data-render-ms'));
    writeFileSync(
      join(ARTIFACTS, 'report.json'),
      `${JSON.stringify(
        {
          bytes: result.report?.bytes,
          renderMs,
          loadMs: opened.loadMs,
          nodes: result.report?.map.nodes.length,
          groups: result.report?.map.groups.length,
          links: result.report?.map.links.length,
          findings: result.findings.length,
        },
        null,
        2,
      )}\n`,
    );
    if (process.env.DRIFTWATCH_UPDATE_SCREENSHOT) copyFileSync(join(ARTIFACTS, 'report.png'), README_SCREENSHOT);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('draws the map the run collected: every node, group and link, and every flow record on a link', async () => {
    const map = result.report?.map;
    expect(map).toBeDefined();
    if (!map) return;
    const drawn = await opened.page.evaluate(() => {
      const { cy } = (globalThis as unknown as { driftwatchReport: { cy: import('cytoscape').Core } }).driftwatchReport;
      const box = cy.elements().renderedBoundingBox();
      return {
        leaves: cy
          .nodes('.leaf')
          .map((n) => n.id())
          .sort(),
        groups: cy.nodes('.group').length,
        visible: cy.nodes('.leaf').filter((n) => n.visible()).length,
        inside: box.x1 >= -1 && box.y1 >= -1 && box.x2 <= cy.width() + 1 && box.y2 <= cy.height() + 1,
      };
    });
    expect(drawn.leaves).toEqual(map.nodes.map((n) => n.id).sort());
    expect(drawn.leaves.length).toBeGreaterThan(10);
    expect(drawn.visible).toBe(map.nodes.length);
    expect(drawn.groups).toBe(map.groups.length);
    expect(drawn.inside).toBe(true);
    const links = await edges(opened.page);
    expect(links).toHaveLength(map.links.length);
    // Independent of the map code: the scenario's own count of flow records, all of them drawn.
    expect(links.reduce((sum, l) => sum + l.flows, 0)).toBe(manifest.flowRecords);
    expect(opened.problems).toEqual([]);
    expect(opened.requests).toEqual([]);
  });

  it('shows what the baselines learned: the cluster, its registries, and the VPC with its known edges and ports', async () => {
    const { page } = opened;
    expect(await page.isVisible('#learned-section')).toBe(true);
    const scopes = await page.$$eval('#learned-section h3', (heads) => heads.map((h) => h.textContent ?? ''));
    expect(scopes).toEqual([
      expect.stringMatching(new RegExp(`^Cluster ${manifest.cluster}: learned \\(learning ended `)),
      expect.stringMatching(/^VPC vpc-[0-9a-f]+: learned/),
    ]);
    const counts = await page.$$eval('#learned-section .learned-counts', (ps) => ps.map((p) => p.textContent ?? ''));
    expect(counts[0]).toMatch(
      /^\d+ pipeline identities, [1-9]\d* registries, [1-9]\d* repositories, [1-9]\d* identities$/,
    );
    expect(counts[1]).toMatch(
      /^[1-9]\d* known edges, [1-9]\d* known ports \([1-9]\d* distinct\), \d+ external destinations$/,
    );
    expect(await page.textContent('#learned-section .learned-registries')).toContain('docker.io');
  });

  it('lists every finding, sortable by severity and by time', async () => {
    const { page } = opened;
    const order = () =>
      page.$$eval('tbody.finding', (bodies) =>
        bodies.map((b) => {
          const data = (b as unknown as { dataset: Record<string, string> }).dataset;
          return { severity: data.severity ?? '', time: data.time ?? '' };
        }),
      );
    const rank = (rows: { severity: string }[]) => rows.map((r) => severityRank(r.severity as Finding['severity']));
    const descending = (xs: (number | string)[]) => xs.every((x, i) => i === 0 || (xs[i - 1] as typeof x) >= x);
    const ascending = (xs: (number | string)[]) => xs.every((x, i) => i === 0 || (xs[i - 1] as typeof x) <= x);

    const initial = await order();
    expect(initial).toHaveLength(result.findings.length);
    expect(initial.map((r) => r.time).sort()).toEqual(result.findings.map((f) => f.time).sort());
    expect(descending(rank(initial))).toBe(true);
    expect(new Set(rank(initial)).size).toBeGreaterThan(1);

    await page.click('button[data-sort="time"]');
    expect(descending((await order()).map((r) => r.time))).toBe(true);
    await page.click('button[data-sort="time"]');
    const byTime = await order();
    expect(ascending(byTime.map((r) => r.time))).toBe(true);
    expect(byTime.map((r) => r.time)).not.toEqual(initial.map((r) => r.time));
    await page.click('button[data-sort="severity"]');
    expect(descending(rank(await order()))).toBe(true);
    await page.click('button[data-sort="severity"]');
    expect(ascending(rank(await order()))).toBe(true);
    await page.click('button[data-sort="severity"]');
  });

  it("links each finding to its evidence: entities, origin and baseline open under it, also from the URL's fragment", async () => {
    const { page } = opened;
    const first = page.locator('tbody.finding').first();
    const anchor = await first.getAttribute('id');
    const shown = result.findings.find((f) => anchor?.endsWith(f.id.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40)));
    expect(shown).toBeDefined();
    await expect.poll(() => first.locator('tr.evidence').isVisible()).toBe(false);
    await first.locator('a.evidence-link').click();
    await expect.poll(() => first.locator('tr.evidence').isVisible()).toBe(true);
    const text = (await first.locator('tr.evidence').textContent()) ?? '';
    expect(text).toContain(shown?.evidence.slice(0, 60));
    expect(text).toContain(shown?.origin.uri);
    expect(page.url().endsWith(`#${anchor}`)).toBe(true);

    // A link straight to an anomaly's evidence opens it, baseline included.
    const anomaly = result.findings.find((f) => f.kind === 'anomaly' && f.baseline);
    expect(anomaly).toBeDefined();
    const target = await page.$$eval(
      'tbody.finding',
      (bodies, id) => bodies.map((b) => b.getAttribute('id') ?? '').find((a) => a.includes(id)),
      anomaly?.id.slice(0, 40) ?? '',
    );
    const deep = await open(browser, result.report?.path ?? '', `#${target}`);
    const body = deep.page.locator(`tbody[id="${target}"] tr.evidence`);
    await expect.poll(() => body.isVisible()).toBe(true);
    expect(await body.textContent()).toContain(anomaly?.baseline?.expected.slice(0, 40));
    await deep.page.close();
  });

  it('highlights the links that flow findings point at, and only those', async () => {
    const data = result.report?.data;
    const map = result.report?.map;
    if (!data || !map) throw new Error('no report');
    // Flow findings that name both ends; exposure paths, which name more, have their own test.
    const pointed = result.findings.filter(
      (f) =>
        f.source === 'vpc-flow' &&
        f.entities.srcAddr &&
        f.entities.dstAddr &&
        !data.findings.find((r) => r.finding.id === f.id)?.place.exposure,
    );
    expect(pointed.length).toBeGreaterThan(0);
    const drawn = await edges(opened.page);
    for (const f of pointed) {
      const i = data.findings.findIndex((r) => r.finding.id === f.id);
      const place = data.findings[i]?.place;
      expect(place?.links.length, `${f.ruleId} ${f.summary}`).toBeGreaterThan(0);
      for (const id of place?.links ?? []) {
        const index = map.links.findIndex((l) => l.id === id);
        const link = map.links[index];
        // The link is the finding's traffic: its port, and its two ends.
        expect(link?.ports.some((p) => p.port === f.entities.dstPort)).toBe(true);
        const ends = [map.nodes.find((n) => n.id === link?.source), map.nodes.find((n) => n.id === link?.target)];
        expect(ends.some((n) => holds(n, String(f.entities.srcAddr)))).toBe(true);
        expect(ends.some((n) => holds(n, String(f.entities.dstAddr)))).toBe(true);
        const edge = drawn.find((e) => e.index === index);
        expect(edge?.classes).toContain('anomalous');
        expect([RED, PURPLE]).toContain(edge?.lineColor.replace(/\s/g, ''));
      }
    }
    for (const edge of drawn.filter((e) => e.classes.includes('anomalous'))) {
      expect(map.links[edge.index] && data.map.links[edge.index]?.findings.length).toBeGreaterThan(0);
    }

    // "Show on map" from a finding's evidence dims everything but its links; "Show everything" undoes it.
    const { page } = opened;
    const anchor = data.findings.find((r) => r.finding.id === pointed[0]?.id)?.anchor ?? '';
    const body = page.locator(`tbody[id="${anchor}"]`);
    if (!(await body.locator('tr.evidence').isVisible())) await body.locator('a.evidence-link').click();
    await body.locator('button[data-show-on-map]').click();
    const focused = await edges(page);
    const kept = new Set(data.findings.find((r) => r.anchor === anchor)?.place.links);
    for (const edge of focused) {
      expect(edge.classes.includes('dimmed'), map.links[edge.index]?.id).toBe(
        !kept.has(map.links[edge.index]?.id ?? ''),
      );
    }
    await page.click('#map-clear');
    expect((await edges(page)).filter((e) => e.classes.includes('dimmed'))).toEqual([]);
  });

  it('highlights the exposure path planted in the scenario', async () => {
    const data = result.report?.data;
    const map = result.report?.map;
    if (!data || !map) throw new Error('no report');
    const drawn = await edges(opened.page);
    const planted = manifest.incidents.filter((i) => i.expectedRuleIds.includes(EXPOSURE_RULE));
    if (planted.length === 0) {
      // Not planted (yet): nothing may be drawn as an exposure path.
      expect(result.findings.filter((f) => f.ruleId === EXPOSURE_RULE)).toEqual([]);
      expect(drawn.filter((e) => e.classes.includes('exposure'))).toEqual([]);
      return;
    }
    for (const incident of planted) {
      const found = result.findings.find(
        (f) => f.ruleId === EXPOSURE_RULE && Date.parse(f.time) >= Date.parse(incident.time) - 15 * 60_000,
      );
      expect(found, `${incident.id}: no ${EXPOSURE_RULE} finding`).toBeDefined();
      const place = data.findings.find((r) => r.finding.id === found?.id)?.place;
      expect(place?.exposure).toBe(true);
      // Public source -> workload -> sensitive resource: at least two hops, each drawn as a path.
      expect(place?.links.length, JSON.stringify(found?.entities)).toBeGreaterThanOrEqual(2);
      for (const id of place?.links ?? []) {
        const edge = drawn.find((e) => map.links[e.index]?.id === id);
        expect(edge?.classes).toContain('exposure');
        expect(edge?.lineColor.replace(/\s/g, '')).toBe(PURPLE);
      }
      const exposure = found?.entities.exposure as { port?: unknown } | undefined;
      const port = Number(exposure?.port ?? found?.entities.dstPort);
      if (Number.isInteger(port)) {
        const onPort = (place?.links ?? []).some((id) =>
          map.links.find((l) => l.id === id)?.ports.some((p) => p.port === port),
        );
        expect(onPort, `no exposure link on port ${port}`).toBe(true);
      }
    }
  });

  it('saves a screenshot as a test artifact', () => {
    expect(statSync(join(ARTIFACTS, 'report.png')).size).toBeGreaterThan(20_000);
  });
});

describe.skipIf(NO_CHROMIUM)('HTML report of an exposure path, in Chromium', () => {
  it('draws each hop of the path, through the load balancer, in the exposure style', async () => {
    // Prepare: internet -> load balancer -> web -> database, plus traffic that is not on the path.
    const recorder = new RunEdgeRecorder();
    await record(recorder, 'o1', [
      exampleEdge({ client: '203.0.113.7', server: '10.0.0.37', serverPort: 443 }),
      exampleEdge({ client: '10.0.0.37', server: '10.0.1.20', serverPort: 8080 }),
      exampleEdge({ client: '10.0.1.20', server: '10.0.200.10', serverPort: 5432 }),
      exampleEdge({ client: '10.0.1.20', server: '10.0.2.30', serverPort: 6379 }),
      exampleEdge({ client: '10.0.2.31', server: '10.0.200.10', serverPort: 5432 }),
    ]);
    const { data } = buildReportData({
      run: smallRun(),
      findings: [
        finding({
          ruleId: EXPOSURE_RULE,
          roles: {
            path: [{ address: '203.0.113.7' }, { address: '10.0.1.20' }, { address: '10.0.200.10' }],
            port: 5432,
          },
        }),
      ],
      edges: recorder.edges(),
      learningDays: 7,
    });
    const dir = mkdtempSync(join(tmpdir(), 'dw-exposure-'));
    writeFileSync(join(dir, 'report.html'), renderReportHtml(data));
    const browser = await launch();
    try {
      // Act
      const { page, problems } = await open(browser, join(dir, 'report.html'));
      // Assess
      const drawn = await edges(page);
      const path = drawn
        .filter((e) => e.classes.includes('exposure'))
        .map((e) => data.map.links[e.index]?.id)
        .sort();
      expect(path).toEqual([
        'ip:10.0.0.37->ip:10.0.1.20',
        'ip:10.0.1.20->ip:10.0.200.10',
        'net:203.0.113.0/24->ip:10.0.0.37',
      ]);
      for (const e of drawn) {
        expect(e.lineColor.replace(/\s/g, '') === PURPLE).toBe(e.classes.includes('exposure'));
      }
      expect(await page.locator('tbody.finding .tag.exposure').textContent()).toBe('exposure path');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe.skipIf(NO_CHROMIUM)('HTML report with hostile log strings, in Chromium', () => {
  it('shows them as text: no element, script or dialog comes from log data', async () => {
    const hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)>\u2028<!--';
    const { data } = buildReportData({
      run: smallRun(),
      findings: [finding({ ruleId: 'audit.exec-into-pod', source: 'eks-audit', summary: hostile, evidence: hostile })],
      edges: [],
      cluster: `<i>${hostile}</i>`,
      learningDays: 7,
    });
    const dir = mkdtempSync(join(tmpdir(), 'dw-hostile-'));
    writeFileSync(join(dir, 'report.html'), renderReportHtml(data));
    const browser = await launch();
    try {
      const { page, problems, dialogs } = await open(browser, join(dir, 'report.html'));
      expect(dialogs).toEqual([]);
      expect(problems).toEqual([]);
      expect(await page.locator('img, iframe, i').count()).toBe(0);
      expect(await page.locator('script').count()).toBe(3);
      expect(await page.locator('tbody.finding tr.main td').nth(3).textContent()).toBe(hostile);
      expect(await page.title()).toBe(`Driftwatch report: <i>${hostile}</i>`);
      expect(await page.locator('#map').textContent()).toContain('No flow logs');
    } finally {
      await browser.close();
    }
  });
});

/** What the map picks out: leaf nodes and links with the `highlighted` class, and those not dimmed. */
function focused(page: Page) {
  return page.evaluate(() => {
    const { cy } = (globalThis as unknown as { driftwatchReport: { cy: import('cytoscape').Core } }).driftwatchReport;
    const byNumber = (x: number, y: number) => x - y;
    const leaves = cy.nodes('.leaf');
    return {
      nodes: leaves
        .filter('.highlighted')
        .map((n) => n.id())
        .sort(),
      links: cy
        .edges('.highlighted')
        .map((e) => Number(e.data('index')))
        .sort(byNumber),
      litNodes: leaves
        .not('.dimmed')
        .map((n) => n.id())
        .sort(),
      litLinks: cy
        .edges()
        .not('.dimmed')
        .map((e) => Number(e.data('index')))
        .sort(byNumber),
      dimmed: cy.elements('.dimmed').length,
    };
  });
}

describe.skipIf(NO_CHROMIUM)('HTML report with incidents, in Chromium', () => {
  it('shows a card per incident, links findings to them, and puts one incident on the map', async () => {
    // Prepare
    const { recorder, findings, incidents } = await incidentScenario();
    const { data } = buildReportData({
      run: smallRun(),
      findings,
      incidents,
      edges: recorder.edges(),
      learningDays: 7,
    });
    const dir = mkdtempSync(join(tmpdir(), 'dw-incidents-'));
    writeFileSync(join(dir, 'report.html'), renderReportHtml(data));
    const linkIndex = (id: string) => data.map.links.findIndex((l) => l.id === id);
    const browser = await launch();
    try {
      const { page, problems, dialogs } = await open(browser, join(dir, 'report.html'));
      const cards = page.locator('article.incident');
      expect(await cards.evaluateAll((all) => all.map((c) => c.id))).toEqual([
        'incident-inc-b',
        'incident-inc-c',
        'incident-inc-a',
        'incident-inc-m',
      ]);

      // The hostile title is text: no element, script or dialog came from it.
      const b = page.locator('#incident-inc-b');
      expect(await b.locator('h3').textContent()).toBe(printable(HOSTILE_TITLE));
      expect(await page.locator('img, iframe').count()).toBe(0);
      expect(await page.locator('script').count()).toBe(3);
      expect(await b.locator('.severity-note').textContent()).toContain('Raised from high');
      expect(await page.locator('#incident-inc-a .severity-note').count()).toBe(0);

      // The card says why its findings were joined, and marks the muted one on its timeline.
      const a = page.locator('#incident-inc-a');
      expect(await a.locator('.joins').textContent()).toContain('the same workload (shop/web)');
      expect(await a.locator('table.timeline tbody tr').count()).toBe(5);
      expect(await a.locator('tr.muted-entry').textContent()).toContain('muted by sup-db-maintenance');
      expect(await page.locator('#incident-inc-m a[href="#incident-inc-a"]').count()).toBe(1);

      // Each finding row links to its incident's card; the one in no incident has none.
      const rowLink = (id: string) =>
        page
          .locator(`tbody[id="finding-${id}"] tr.main a.incident-link`)
          .evaluateAll((l) => l.map((x) => x.getAttribute('href')));
      expect(await rowLink('f-db')).toEqual(['#incident-inc-a']);
      expect(await rowLink('f-secret')).toEqual(['#incident-inc-a']);
      expect(await rowLink('f-c2')).toEqual(['#incident-inc-b']);
      expect(await rowLink('f-alone')).toEqual([]);

      // Act: show inc-a on the map.
      const showA = a.locator('button[data-incident-map]');
      await showA.click();
      // Assess: exactly its findings' links and the nodes at their ends are picked out; the rest is dimmed.
      const expectedLinks = ['ip:10.0.1.20->ip:10.0.200.10', 'ip:10.0.1.20->net:198.51.100.0/24']
        .map(linkIndex)
        .sort((x, y) => x - y);
      const expectedNodes = ['ip:10.0.1.20', 'ip:10.0.200.10', 'net:198.51.100.0/24'];
      const shownA = await focused(page);
      expect(shownA.links).toEqual(expectedLinks);
      expect(shownA.nodes).toEqual(expectedNodes);
      expect(shownA.litLinks).toEqual(expectedLinks);
      expect(shownA.litNodes).toEqual(expectedNodes);
      // ... which is the union of what its findings point at, one by one.
      const own = data.findings.filter((f) => ['f-exec', 'f-exfil', 'f-db', 'f-secret'].includes(f.finding.id));
      expect(shownA.links).toEqual(
        [...new Set(own.flatMap((f) => f.place.links.map(linkIndex)))].sort((x, y) => x - y),
      );
      expect(await showA.getAttribute('aria-pressed')).toBe('true');

      // A second click shows everything again.
      await showA.click();
      expect(await focused(page)).toMatchObject({ links: [], nodes: [], dimmed: 0 });
      expect(await showA.getAttribute('aria-pressed')).toBe('false');

      // Another incident replaces it; "Show everything" clears.
      const showB = b.locator('button[data-incident-map]');
      await showA.click();
      await showB.click();
      const shownB = await focused(page);
      expect(shownB.links).toEqual([linkIndex('ip:10.0.2.30->net:203.0.113.0/24')]);
      expect(shownB.nodes).toEqual(['ip:10.0.2.30', 'net:203.0.113.0/24']);
      expect([await showA.getAttribute('aria-pressed'), await showB.getAttribute('aria-pressed')]).toEqual([
        'false',
        'true',
      ]);
      await page.click('#map-clear');
      expect(await focused(page)).toMatchObject({ links: [], nodes: [], dimmed: 0 });
      expect(await showB.getAttribute('aria-pressed')).toBe('false');

      // inc-c has no finding in this run: no button, a note instead.
      expect(await page.locator('#incident-inc-c button[data-incident-map]').count()).toBe(0);
      expect(dialogs).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
