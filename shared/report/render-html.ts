import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ReportError } from './errors';
import type { ReportData } from './report-data';
import type { ReportLearnedScope } from './report-learned';

/** The code and style the page carries inline. */
export interface ReportAssets {
  /** The graph library (cytoscape.js, minified UMD build). */
  graphLibrary: string;
  /** The page's own script. */
  script: string;
  style: string;
}

let cached: ReportAssets | undefined;

/** Reads the inlined assets once: cytoscape from node_modules, the page's script and style from `client/`. */
export function loadReportAssets(): ReportAssets {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    cached = {
      graphLibrary: readFileSync(require.resolve('cytoscape/dist/cytoscape.min.js'), 'utf8'),
      script: readFileSync(new URL('./client/report.js', import.meta.url), 'utf8'),
      style: readFileSync(new URL('./client/report.css', import.meta.url), 'utf8'),
    };
  } catch (error) {
    throw new ReportError(`cannot read the report's assets: ${(error as Error).message}`, { cause: error });
  }
  return cached;
}

/** Text for an HTML text node or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/**
 * JSON that is safe inside `<script type="application/json">`: no `<`, `>` or `&` can end the
 * element or open a comment, and U+2028/2029 are escaped too. `JSON.parse` of the element's
 * text gives the data back unchanged.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Code to inline in a `<script>`: `</script` would end the element early, so it is written
 * `<\/script`, which means the same in JavaScript strings, templates and regular expressions.
 * `<!--` has no such safe rewrite; code that has it is refused.
 */
function inlineScript(code: string, name: string): string {
  if (/<!--/.test(code)) throw new ReportError(`${name} contains "<!--" and cannot be inlined`);
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The Incidents section's frame; the page's script fills `#incidents` with one card per incident. */
const INCIDENTS_SECTION = `<section id="incidents-section">
<h2>Incidents</h2>
<p class="note">Findings that share an identity, a source, a workload, an image or a destination within a window are one incident, most severe first, then the newest. "Show on map" highlights everything its findings point at; click it again, or "Show everything", to see the whole map.</p>
<div id="incidents"></div>
</section>
`;

/** A learned scope's learning state in words. */
function learningText(scope: ReportLearnedScope): string {
  const until = scope.learning.learningUntil?.slice(0, 16).replace('T', ' ');
  if (scope.learning.learned) return `learned (learning ended ${until} UTC)`;
  return until ? `learning until ${until} UTC` : 'learning';
}

/**
 * The Learned section: per cluster, the pipeline identities learned (with their networks and user
 * agent), the registries and how many repositories and identities; per VPC, how many edges, ports
 * and external destinations are known. Written as escaped markup, not by the script: it is short,
 * and readable with JavaScript off.
 */
function learnedSection(scopes: readonly ReportLearnedScope[]): string {
  const parts: string[] = [
    '<section id="learned-section">',
    '<h2>Learned</h2>',
    '<p class="note">What the baselines learned by themselves, with no config. Confirm a learned pipeline with ' +
      'identities.cicd, or reject it with identities.notPipelines; <code>driftwatch learned --as-config</code> ' +
      'prints this as a config fragment.</p>',
  ];
  for (const scope of scopes) {
    const c = scope.counts;
    parts.push(
      `<div class="learned-scope" data-scope="${escapeHtml(scope.scope)}">`,
      `<h3>${scope.kind === 'cluster' ? 'Cluster' : 'VPC'} ${escapeHtml(scope.scope)}: ${escapeHtml(learningText(scope))}</h3>`,
    );
    if (scope.kind === 'cluster') {
      parts.push(
        `<p class="learned-counts">${scope.pipelines.length} pipeline identities, ${scope.registries.length} registries, ` +
          `${c.repositories} repositories, ${c.identities} identities</p>`,
      );
      if (scope.pipelines.length > 0) {
        parts.push(
          '<table class="learned-pipelines"><thead><tr><th>Pipeline identity</th><th>Status</th><th>Network</th><th>User agent</th></tr></thead><tbody>',
        );
        for (const p of scope.pipelines) {
          parts.push(
            `<tr><td>${escapeHtml(p.username)}</td><td><span class="badge learned">learned</span></td>` +
              `<td>${escapeHtml(p.networks.join(', '))}</td><td>${escapeHtml(p.agent)}</td></tr>`,
          );
        }
        parts.push('</tbody></table>');
      }
      if (scope.registries.length > 0) {
        parts.push(`<p class="learned-registries">Registries: ${escapeHtml(scope.registries.join(', '))}</p>`);
      }
      if (scope.privilegedWorkloads.length > 0) {
        const allowed = scope.privilegedWorkloads.map(
          (p) => `${p.workload} (${p.allow.join(', ')}, written by a ${p.by})`,
        );
        parts.push(`<p class="learned-privileged">Privileged workloads: ${escapeHtml(allowed.join('; '))}</p>`);
      }
    } else {
      parts.push(
        `<p class="learned-counts">${c.edges} known edges, ${c.ports} known ports (${c.distinctPorts} distinct), ` +
          `${c.externalDestinations} external destinations</p>`,
      );
      if (scope.entryPoints.length > 0) {
        parts.push(
          `<p class="learned-entry-points">Entry points (load balancers): ${escapeHtml(scope.entryPoints.join(', '))}</p>`,
        );
      }
    }
    parts.push('</div>');
  }
  parts.push('</section>', '');
  return parts.join('\n');
}

/**
 * Renders the self-contained report page: one HTML file with the graph library, the page's
 * script and style inline, and the data as JSON in `#driftwatch-data`. It loads nothing: the
 * Content-Security-Policy allows only its own two scripts (by hash) and no connections, so it
 * opens the same from disk, from an email attachment or from a web server.
 */
export function renderReportHtml(data: ReportData, assets: ReportAssets = loadReportAssets()): string {
  const library = inlineScript(assets.graphLibrary, 'the graph library');
  const script = inlineScript(assets.script, "the report's script");
  if (/<\/style/i.test(assets.style)) throw new ReportError('the report style contains "</style"');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(library)} ${sha256(script)}`,
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="generator" content="driftwatch">
<title>${escapeHtml(data.title)}</title>
<style>
${assets.style}
</style>
</head>
<body>
<header id="top">
<h1 id="title">Driftwatch report</h1>
<p id="subtitle" class="subtitle"></p>
<dl id="facts" class="facts"></dl>
<p id="degraded" class="notice" hidden></p>
</header>
<nav><a href="#map-section">Network map</a><a href="#days-section">Per day</a>${data.incidents ? '<a href="#incidents-section">Incidents</a>' : ''}<a href="#findings-section">Findings</a>${data.learned ? '<a href="#learned-section">Learned</a>' : ''}</nav>
<noscript><p>This report draws with JavaScript. Its data is the JSON in the element with id driftwatch-data.</p></noscript>
<section id="map-section">
<h2>Network map</h2>
<div class="legend">
<span><span class="swatch-box"></span>group: namespace, CIDR label or subnet; the internet; AWS services</span>
<span><span class="swatch-line"></span>traffic (width: bytes; dashed: all rejected)</span>
<span><span class="swatch-line anomalous"></span>a finding points at it</span>
<span><span class="swatch-line exposure"></span>exposure path</span>
<span><span class="swatch-glow"></span>what "Show on map" picked out</span>
<span><button type="button" id="map-clear">Show everything</button></span>
</div>
<div class="map-wrap">
<div id="map" aria-label="Network map: who talks to whom"></div>
<aside id="map-details" class="details-panel"><p class="hint">Click a node or a link for its traffic and findings. Scroll to zoom, drag to pan.</p></aside>
</div>
<p id="map-notes" class="note"></p>
</section>
<section id="days-section">
<h2>Per day</h2>
<div id="days"></div>
</section>
${data.incidents ? INCIDENTS_SECTION : ''}<section id="findings-section">
<h2>Findings</h2>
<p class="note">Sort by <button type="button" data-sort="severity">severity<span class="dir"></span></button> <button type="button" data-sort="time">time<span class="dir"></span></button>. Each finding's evidence link opens its evidence, entities, origin and baseline.</p>
<table id="findings-table">
<thead><tr><th>Time (UTC)</th><th>Severity</th><th>Rule</th><th>Summary</th><th>Map</th>${data.incidents ? '<th>Incident</th>' : ''}<th></th></tr></thead>
<tbody id="findings"></tbody>
</table>
</section>
${data.learned ? learnedSection(data.learned) : ''}<footer>Driftwatch: runtime threat detection for Amazon EKS. This file is self-contained; it makes no network requests.</footer>
<script type="application/json" id="driftwatch-data">${scriptSafeJson(data)}</script>
<script>${library}</script>
<script>${script}</script>
</body>
</html>
`;
}
