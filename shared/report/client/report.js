// @ts-check
// The report page's script. It runs in the browser, from the file itself (file://), and reads
// everything from the JSON in #driftwatch-data. Text from logs only ever reaches the page
// through textContent, text nodes and the graph's canvas labels, never as markup.

/** @typedef {import('../report-data').ReportData} ReportData */
/** @typedef {import('../report-data').ReportFinding} ReportFinding */
/** @typedef {import('../report-data').ReportLink} ReportLink */
/** @typedef {import('../report-data').ReportNode} ReportNode */
/** @typedef {import('../report-incidents').ReportIncident} ReportIncident */
/** @typedef {import('../highlights').FindingPlacement} FindingPlacement */
/** @typedef {{ cy: cytoscape.Core, data: ReportData, renderMs: number }} ReportHandle */

(() => {
  const started = performance.now();
  const source = document.getElementById('driftwatch-data');
  /** @type {ReportData} */
  const data = JSON.parse(source?.textContent ?? '{}');
  const RANK = new Map(data.severities.map((s, i) => [s, i]));

  /**
   * Creates an element. Children that are strings become text nodes.
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {{ className?: string, attrs?: Record<string, string> } | null} [props]
   * @param {...(Node | string | number | null | undefined)} children
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props?.className) node.className = props.className;
    for (const [k, v] of Object.entries(props?.attrs ?? {})) node.setAttribute(k, v);
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === 'number' ? String(child) : child);
    }
    return node;
  }

  /** @param {string} id */
  function byId(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`report: no #${id}`);
    return node;
  }

  /** @param {number} n */
  function count(n) {
    return n.toLocaleString('en-US');
  }

  /** @param {number} n */
  function bytes(n) {
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let v = n;
    let u = 0;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
  }

  /** @param {number | string} t */
  function time(t) {
    const d = new Date(t);
    return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().slice(0, 19).replace('T', ' ');
  }

  const PROTOCOLS = /** @type {Record<number, string>} */ ({ 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' });
  /** @param {{ port?: number, protocol?: number }} p */
  function portText(p) {
    const proto = p.protocol === undefined ? '' : `/${PROTOCOLS[p.protocol] ?? p.protocol}`;
    return `${p.port ?? '-'}${proto}`;
  }

  /**
   * @param {HTMLElement} dl
   * @param {string} term
   * @param {Node | string | null | undefined} value
   */
  function row(dl, term, value) {
    if (value === null || value === undefined || value === '') return;
    dl.append(el('dt', null, term), el('dd', null, value));
  }

  /** @param {ReportFinding} f */
  function findingLink(f) {
    return el('a', { attrs: { href: `#${f.anchor}` } }, `${f.finding.severity} ${f.finding.ruleId}`);
  }

  // ---- Header -------------------------------------------------------------------------------
  byId('title').textContent = data.title;
  const range = data.run.eventTimeRange;
  byId('subtitle').textContent =
    `${range ? `Event time ${time(range.first)} to ${time(range.last)} UTC. ` : ''}` +
    `Generated ${time(data.generatedAt)} UTC by driftwatch analyze.`;
  const facts = byId('facts');
  /** @param {string} term @param {string} value */
  const fact = (term, value) => facts.append(el('div', null, el('dt', null, term), el('dd', null, value)));
  fact('objects', count(data.run.objects.read));
  fact('events and records', count(data.run.eventsParsed));
  fact('findings', count(data.run.findings.total));
  if (data.incidents) fact('incidents', count(data.incidents.length));
  for (const s of [...data.severities].reverse()) fact(s, count(data.run.findings.bySeverity[s] ?? 0));
  fact('map', `${count(data.map.nodes.length)} nodes, ${count(data.map.links.length)} links`);
  fact('learning period', `${data.run.learningDays} days`);
  // Detectors that ran on flow logs without fields they need: what they may have missed.
  if (data.run.degraded?.length) {
    const notice = byId('degraded');
    notice.textContent =
      `Degraded: the flow logs lack fields these detectors need, so they may have missed activity: ` +
      `${data.run.degraded.map((d) => `${d.detector} (no ${d.missing.join(', ')})`).join('; ')}. ` +
      'Add the fields to the flow log format to detect fully (README, "Flow-log fields").';
    notice.hidden = false;
  }

  // ---- Findings -----------------------------------------------------------------------------
  const findingsBody = byId('findings');
  const findingsTable = /** @type {HTMLTableElement} */ (findingsBody.closest('table'));
  /** @type {Map<string, HTMLTableSectionElement>} */
  const findingBodies = new Map();
  /** @type {(ids: { links: string[], nodes: string[] } | null) => void} */
  let focusOnMap = () => {};
  /**
   * The "Show on map" button of the incident the map shows, pressed until something else is shown.
   * @type {HTMLElement | null}
   */
  let focusOwner = null;
  /**
   * Shows only these nodes and links on the map (everything when null), and remembers which
   * incident's button asked, so that its second click shows everything again.
   * @param {{ links: string[], nodes: string[] } | null} ids
   * @param {HTMLElement | null} [owner]
   */
  function focus(ids, owner = null) {
    focusOwner?.setAttribute('aria-pressed', 'false');
    focusOwner = ids ? owner : null;
    focusOwner?.setAttribute('aria-pressed', 'true');
    focusOnMap(ids);
  }
  const incidentCards = new Map((data.incidents ?? []).map((inc) => [inc.anchor, inc]));
  const COLUMNS = data.incidents ? 7 : 6;

  /** @param {ReportIncident} inc */
  function incidentLink(inc) {
    return el('a', { className: 'incident-link', attrs: { href: `#${inc.anchor}`, title: inc.title } }, inc.title);
  }

  /** @param {ReportFinding} f @param {number} i */
  function findingBody(f, i) {
    const { finding, place } = f;
    const tbody = el('tbody', { className: 'finding', attrs: { id: f.anchor, 'data-index': String(i) } });
    tbody.dataset.severity = finding.severity;
    tbody.dataset.time = finding.time;
    const onMap = place.links.length + place.nodes.length > 0;
    const incident = f.incident !== undefined ? incidentCards.get(f.incident) : undefined;
    const link = el('a', { className: 'evidence-link', attrs: { href: `#${f.anchor}` } }, 'evidence');
    const mapCell = el('td', { className: 'nowrap' });
    if (onMap) {
      const tag = el('span', { className: `tag ${place.exposure ? 'exposure' : 'anomalous'}` });
      tag.textContent = place.exposure
        ? 'exposure path'
        : place.links.length
          ? `${place.links.length} link${place.links.length === 1 ? '' : 's'}`
          : `${place.nodes.length} node${place.nodes.length === 1 ? '' : 's'}`;
      mapCell.append(tag);
    }
    const main = el(
      'tr',
      { className: 'main' },
      el('td', { className: 'mono nowrap' }, time(finding.time)),
      el('td', null, el('span', { className: `badge ${finding.severity}` }, finding.severity)),
      el('td', { className: 'mono nowrap' }, finding.ruleId),
      el('td', null, finding.summary),
      mapCell,
      data.incidents ? el('td', { className: 'incident-cell' }, incident ? incidentLink(incident) : null) : null,
      el('td', null, link),
    );
    const dl = el('dl');
    row(dl, 'Title', finding.title);
    if (incident) row(dl, 'Incident', incidentLink(incident));
    else if (finding.incidentId) row(dl, 'Incident', `${finding.incidentId} (not in this report)`);
    row(dl, 'Summary', finding.summary);
    row(dl, 'Evidence', el('pre', null, finding.evidence));
    row(dl, 'Entities', el('pre', null, JSON.stringify(finding.entities, null, 2)));
    const o = finding.origin ?? { uri: '' };
    const where = [
      o.line !== undefined ? `line ${o.line}` : '',
      o.document !== undefined ? `document ${o.document}` : '',
      o.record !== undefined ? `record ${o.record}` : '',
    ].filter(Boolean);
    row(dl, 'Origin', el('span', { className: 'mono' }, `${o.uri}${where.length ? ` (${where.join(', ')})` : ''}`));
    if (finding.baseline) {
      const b = finding.baseline;
      row(dl, 'Baseline', `${b.expected}${b.since ? ` (learning since ${time(b.since)} UTC)` : ''}`);
      if (b.known?.length) row(dl, 'Known values', b.known.join(', '));
    }
    row(dl, 'Kind', `${finding.kind}, from ${finding.source}; stands for ${count(finding.count)} event(s)`);
    row(dl, 'MITRE ATT&CK', (finding.mitre ?? []).join(', '));
    row(dl, 'Runbook', finding.runbook);
    row(dl, 'Finding id', el('span', { className: 'mono' }, finding.id));
    if (onMap) {
      const show = el('button', { attrs: { type: 'button', 'data-show-on-map': f.anchor } }, 'Show on map');
      show.addEventListener('click', () => {
        focus(place);
        byId('map-section').scrollIntoView();
      });
      row(dl, 'Network map', show);
    }
    const details = el(
      'tr',
      { className: 'evidence', attrs: { hidden: '' } },
      el('td', { attrs: { colspan: String(COLUMNS) } }, dl),
    );
    tbody.append(main, details);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      const open = details.hidden;
      setOpen(tbody, open);
      if (open) history.replaceState(null, '', `#${f.anchor}`);
    });
    return tbody;
  }

  /** @param {HTMLElement} tbody @param {boolean} open */
  function setOpen(tbody, open) {
    const details = /** @type {HTMLElement | null} */ (tbody.querySelector('tr.evidence'));
    if (!details) return;
    details.hidden = !open;
    tbody.classList.toggle('open', open);
  }

  data.findings.forEach((f, i) => {
    const tbody = findingBody(f, i);
    findingBodies.set(f.anchor, tbody);
    findingsTable.append(tbody);
  });
  findingsBody.remove();
  if (data.findings.length === 0) {
    findingsTable.append(
      el('tbody', null, el('tr', null, el('td', { attrs: { colspan: String(COLUMNS) } }, 'No findings.'))),
    );
  }

  /** @param {'severity' | 'time'} key @param {'asc' | 'desc'} dir */
  function sortFindings(key, dir) {
    const sign = dir === 'asc' ? 1 : -1;
    /** @param {ReportFinding} f */
    const rank = (f) => RANK.get(f.finding.severity) ?? -1;
    const order = data.findings
      .map((f, i) => ({ f, i }))
      .sort((a, b) => {
        const bySeverity = rank(a.f) - rank(b.f);
        const byTime = a.f.finding.time.localeCompare(b.f.finding.time);
        const primary = key === 'severity' ? bySeverity : byTime;
        // Ties: the most severe first when sorting by time, the earliest first by severity.
        return sign * primary || (key === 'severity' ? byTime : -bySeverity) || a.i - b.i;
      });
    for (const { f } of order) {
      const tbody = findingBodies.get(f.anchor);
      if (tbody) findingsTable.append(tbody);
    }
    findingsTable.dataset.sort = `${key}:${dir}`;
    for (const button of document.querySelectorAll('button[data-sort]')) {
      const pressed = button.getAttribute('data-sort') === key;
      button.setAttribute('aria-pressed', String(pressed));
      const arrow = button.querySelector('.dir');
      if (arrow) arrow.textContent = pressed ? (dir === 'asc' ? ' ▲' : ' ▼') : '';
    }
  }
  for (const button of document.querySelectorAll('button[data-sort]')) {
    button.addEventListener('click', () => {
      const key = button.getAttribute('data-sort') === 'time' ? 'time' : 'severity';
      const [current, dir] = (findingsTable.dataset.sort ?? '').split(':');
      sortFindings(key, current === key && dir === 'desc' ? 'asc' : 'desc');
    });
  }
  sortFindings('severity', 'desc');

  function openFromHash() {
    const anchor = decodeURIComponent(location.hash.slice(1));
    const tbody = findingBodies.get(anchor);
    if (!tbody) return;
    setOpen(tbody, true);
    tbody.scrollIntoView({ block: 'start' });
  }
  window.addEventListener('hashchange', openFromHash);

  // ---- Incidents ----------------------------------------------------------------------------
  const ENTITY_NAMES = /** @type {Record<string, string>} */ ({
    identities: 'Identities',
    workloads: 'Workloads',
    sources: 'Sources',
    destinations: 'Destinations',
    images: 'Images',
    namespaces: 'Namespaces',
  });
  const RELATIONS = /** @type {Record<string, string>} */ ({
    continues: 'continues',
    'merged into': 'merged into',
    'merged from': 'took the findings of',
  });

  /** @param {ReportIncident} inc */
  function statusText(inc) {
    const ack = inc.acknowledged;
    if (inc.status === 'acknowledged' && ack) {
      return `acknowledged by ${ack.by} at ${time(ack.at)} UTC${ack.until ? `, until ${time(ack.until)} UTC` : ''}: ${ack.reason}`;
    }
    if (inc.status === 'resolved' && inc.resolvedAt) return `resolved at ${time(inc.resolvedAt)} UTC`;
    return inc.status;
  }

  /** @param {ReportIncident} inc */
  function findingsText(inc) {
    const here = inc.findings.length;
    if (here === inc.total) return count(inc.total);
    return `${count(inc.total)}, ${here === 0 ? 'none' : count(here)} of them in this report`;
  }

  /**
   * The incident's "Show on map": everything its findings point at; a second click shows everything.
   * @param {ReportIncident} inc
   */
  function showIncidentButton(inc) {
    const show = el(
      'button',
      { attrs: { type: 'button', 'data-incident-map': inc.anchor, 'aria-pressed': 'false' } },
      'Show on map',
    );
    show.addEventListener('click', () => {
      if (focusOwner === show) {
        focus(null);
        return;
      }
      focus(inc.place, show);
      byId('map-section').scrollIntoView();
    });
    const what = `${count(inc.place.links.length)} link(s), ${count(inc.place.nodes.length)} node(s)`;
    return el('span', null, show, ' ', what);
  }

  /** @param {ReportIncident} inc */
  function relatedIncidents(inc) {
    const related = el('span');
    inc.related.forEach((r, i) => {
      if (i > 0) related.append('; ');
      related.append(
        `${RELATIONS[r.relation] ?? r.relation} `,
        r.anchor
          ? el('a', { className: 'mono', attrs: { href: `#${r.anchor}` } }, r.id)
          : el('span', { className: 'mono', attrs: { title: 'not in this report' } }, r.id),
      );
    });
    return related;
  }

  /** @param {ReportIncident} inc */
  function incidentFacts(inc) {
    const dl = el('dl', { className: 'incident-facts' });
    row(dl, 'Status', statusText(inc));
    row(dl, 'First seen', `${time(inc.firstSeen)} UTC`);
    row(dl, 'Last seen', `${time(inc.lastSeen)} UTC`);
    row(dl, 'Findings', findingsText(inc));
    for (const list of inc.entities) {
      const more = list.more ? `, and ${count(list.more)} more` : '';
      row(dl, ENTITY_NAMES[list.kind] ?? list.kind, `${list.values.join(', ')}${more}`);
    }
    row(dl, 'Tactics', inc.tactics.join(', '));
    const quiet = inc.quiet
      ? `; ${count(inc.quiet)} later finding(s) of kinds it already had wait for the next update`
      : '';
    row(dl, 'Messages sent', `${count(inc.messages)}${quiet}`);
    if (inc.related.length) row(dl, 'Related incidents', relatedIncidents(inc));
    row(dl, 'Incident id', el('span', { className: 'mono' }, inc.id));
    row(
      dl,
      'Network map',
      inc.place.links.length + inc.place.nodes.length > 0
        ? showIncidentButton(inc)
        : 'none of its findings in this report are on the map',
    );
    return dl;
  }

  /** Its findings in time order; each links to the finding's evidence when the finding is in this report. @param {ReportIncident} inc */
  function incidentTimeline(inc) {
    const head = el('tr');
    for (const h of ['Time (UTC)', 'Severity', 'Rule', 'Summary']) head.append(el('th', null, h));
    const body = el('tbody');
    for (const entry of inc.timeline) {
      const f = entry.finding !== undefined ? data.findings[entry.finding] : undefined;
      const summary = el('td', null, f ? el('a', { attrs: { href: `#${f.anchor}` } }, entry.summary) : entry.summary);
      if (entry.tactic) summary.append(el('span', { className: 'muted' }, ` ${entry.tactic}`));
      if (entry.mutedBy) summary.append(' ', el('span', { className: 'tag muted-tag' }, `muted by ${entry.mutedBy}`));
      if (entry.context) summary.append(' ', el('span', { className: 'tag muted-tag' }, 'context, not notified'));
      body.append(
        el(
          'tr',
          { className: entry.mutedBy || entry.context ? 'muted-entry' : '' },
          el('td', { className: 'mono nowrap' }, time(entry.time)),
          el('td', null, el('span', { className: `badge ${entry.severity}` }, entry.severity)),
          el('td', { className: 'mono nowrap' }, entry.ruleId),
          summary,
        ),
      );
    }
    return el('table', { className: 'timeline' }, el('thead', null, head), body);
  }

  /** @param {ReportIncident} inc */
  function incidentCard(inc) {
    const card = el(
      'article',
      { className: `incident ${inc.status}`, attrs: { id: inc.anchor } },
      el(
        'header',
        null,
        el('span', { className: `badge ${inc.severity}` }, inc.severity),
        ' ',
        el('h3', { className: 'incident-title' }, inc.title),
      ),
    );
    card.dataset.severity = inc.severity;
    if (inc.severity !== inc.findingSeverity) {
      card.append(
        el(
          'p',
          { className: 'severity-note' },
          `Raised from ${inc.findingSeverity}, its findings' highest, because they span ${count(inc.tactics.length)} tactics of MITRE ATT&CK (three or more raise an incident one step).`,
        ),
      );
    }
    card.append(incidentFacts(inc));
    if (inc.joins.length) {
      const joins = el('ul', { className: 'joins' });
      for (const j of inc.joins) {
        joins.append(el('li', null, j.because, el('span', { className: 'muted' }, ` (${count(j.findings)} findings)`)));
      }
      card.append(el('h4', null, 'Why these findings were joined'), joins);
    }
    if (inc.timeline.length) card.append(el('h4', null, 'Timeline'), incidentTimeline(inc));
    return card;
  }

  if (data.incidents) {
    const root = byId('incidents');
    for (const inc of data.incidents) root.append(incidentCard(inc));
    if (data.incidents.length === 0) root.append(el('p', { className: 'hint' }, 'No incidents in this run.'));
  }

  // ---- Per day ------------------------------------------------------------------------------
  const daysRoot = byId('days');
  /**
   * A column chart, one column per day; each column stacks its series.
   * @param {string} title
   * @param {{ name: string, className: string, value: (d: import('../report-data').ReportDay) => number }[]} series
   */
  function chart(title, series) {
    const max = Math.max(1, ...data.days.map((d) => series.reduce((sum, s) => sum + s.value(d), 0)));
    const bars = el('div', { className: 'chart', attrs: { role: 'img', 'aria-label': title } });
    const labels = el('div', { className: 'chart-days' });
    for (const d of data.days) {
      const col = el('div', { className: `col${d.learning ? ' learning' : ''}` });
      col.title = `${d.day}${d.learning ? ' (learning)' : ''}: ${series.map((s) => `${s.name} ${count(s.value(d))}`).join(', ')}`;
      let total = 0;
      for (const s of series) {
        const v = s.value(d);
        total += v;
        if (v === 0) continue;
        const seg = el('div', { className: `seg ${s.className}` });
        seg.style.height = `${(v / max) * 100}%`;
        col.append(seg);
      }
      const label = el('div', { className: 'total' }, total ? count(total) : '');
      label.style.bottom = `${(total / max) * 100}%`;
      col.append(label);
      bars.append(col);
      labels.append(el('span', null, d.day.slice(5)));
    }
    return el('div', null, el('h3', null, title), bars, labels);
  }
  daysRoot.append(
    el(
      'div',
      { className: 'charts' },
      chart(
        'Findings per day, by severity',
        [...data.severities].reverse().map((s) => ({ name: s, className: s, value: (d) => d.findings[s] ?? 0 })),
      ),
      chart('New map links per day: the map filling in, then settling', [
        { name: 'new links', className: 'count', value: (d) => d.newLinks },
      ]),
    ),
  );
  const dayTable = el('table', { attrs: { id: 'days-table' } });
  const headRow = el('tr', null, el('th', null, 'Day (UTC)'));
  for (const h of ['audit events', 'flow records', 'new map links', ...[...data.severities].reverse()]) {
    headRow.append(el('th', { className: 'num' }, h));
  }
  dayTable.append(el('thead', null, headRow));
  const dayBody = el('tbody');
  for (const d of data.days) {
    const tr = el('tr', { className: d.learning ? 'learning' : '' }, el('td', { className: 'mono' }, d.day));
    if (d.learning) tr.title = 'inside the learning period';
    for (const v of [
      d.auditEvents,
      d.flowRecords,
      d.newLinks,
      ...[...data.severities].reverse().map((s) => d.findings[s] ?? 0),
    ]) {
      tr.append(el('td', { className: 'num' }, count(v)));
    }
    dayBody.append(tr);
  }
  dayTable.append(dayBody);
  daysRoot.append(
    el(
      'p',
      { className: 'note' },
      `Shaded days are inside the learning period (${data.run.learningDays} days of event time from the first event${
        data.run.learningEnds ? `, until ${time(data.run.learningEnds)} UTC` : ''
      }): anomaly detectors stay silent while baselines form; rules fire from the first event.`,
    ),
    dayTable,
  );

  // ---- Network map --------------------------------------------------------------------------
  const notes = byId('map-notes');
  const t = data.map.totals;
  const noteParts = [
    `${count(t.recordedEdges)} recorded edges (client, server, port, protocol) drawn as ${count(data.map.links.length)} links between ${count(data.map.nodes.length)} nodes in ${count(data.map.groups.length)} groups.`,
  ];
  if (t.foldedEdges)
    noteParts.push(`${count(t.foldedEdges)} edges past the recorder's cap were folded by subnet or /24.`);
  if (t.dropped.objectEdges) noteParts.push(`${count(t.dropped.flows)} flow records past every cap are not drawn.`);
  if (t.collapsedExternal)
    noteParts.push(
      `${count(t.collapsedExternal)} quieter external blocks are drawn as "other internet clients" or "other internet destinations".`,
    );
  if (t.collapsedAddresses)
    noteParts.push(`${count(t.collapsedAddresses)} internal addresses are drawn as their subnet.`);
  notes.textContent = noteParts.join(' ');

  const details = byId('map-details');
  /** @param {string} heading @param {HTMLElement} dl @param {number[]} findings */
  function showDetails(heading, dl, findings) {
    details.replaceChildren(el('h3', null, heading), dl);
    if (findings.length) {
      const list = el('ul');
      for (const i of findings) {
        const f = data.findings[i];
        if (f) list.append(el('li', null, findingLink(f), ' ', f.finding.summary));
      }
      details.append(el('h3', null, 'Findings'), list);
    }
  }

  const container = byId('map');
  if (data.map.nodes.length === 0) {
    container.append(el('p', { className: 'hint' }, 'No flow logs in this run: nothing to draw.'));
    finish(null);
    return;
  }

  const PALETTE = ['#4c6ef5', '#12b886', '#7950f2', '#15aabf', '#82c91e', '#3b5bdb', '#0ca678', '#5f3dc4', '#1098ad'];
  /** @type {Map<string, string>} */
  const groupColor = new Map();
  let paletteIndex = 0;
  for (const g of data.map.groups) {
    const color =
      g.kind === 'internet'
        ? '#6c757d'
        : g.kind === 'aws'
          ? '#f59f00'
          : (PALETTE[paletteIndex++ % PALETTE.length] ?? '#4c6ef5');
    groupColor.set(g.id, color);
  }
  const maxBytes = Math.max(1, ...data.map.links.map((l) => l.bytes));
  const maxNodeBytes = Math.max(1, ...data.map.nodes.map((n) => n.bytes));
  /** @param {number} v @param {number} max */
  const scale = (v, max) => Math.log10(1 + v) / Math.log10(1 + max);

  /**
   * Places the nodes: each group's nodes on a grid in its own box; the internet on the left, the
   * cluster's and the VPC's groups in the middle (packed into columns), AWS services and other
   * outside groups on the right, so the map reads left to right as traffic comes in. The same
   * data always gives the same picture.
   * @returns {Map<string, { x: number, y: number }>}
   */
  function arrange() {
    const CELL_W = 120;
    const CELL_H = 66;
    const GAP_X = 90;
    const GAP_Y = 64;
    /** @type {Map<string, ReportNode[]>} */
    const members = new Map();
    for (const n of data.map.nodes) members.set(n.group, [...(members.get(n.group) ?? []), n]);
    const boxes = data.map.groups
      .filter((g) => members.has(g.id))
      .map((g) => {
        const nodes = (members.get(g.id) ?? []).sort(
          (a, b) =>
            Number(a.kind === 'other') - Number(b.kind === 'other') ||
            a.label.localeCompare(b.label, 'en', { numeric: true }),
        );
        const cols = Math.max(1, Math.ceil(Math.sqrt(nodes.length)));
        const rows = Math.ceil(nodes.length / cols);
        const outside = nodes.every((n) => n.external);
        return { g, nodes, cols, w: cols * CELL_W, h: rows * CELL_H, outside, x: 0, y: 0 };
      });
    const left = boxes.filter((b) => b.g.kind === 'internet');
    const right = boxes.filter((b) => b.g.kind !== 'internet' && b.outside);
    const middle = boxes.filter((b) => !b.outside);
    const height = (/** @type {typeof boxes} */ list) => list.reduce((sum, b) => sum + b.h + GAP_Y, 0);
    const width = (/** @type {typeof boxes} */ list) => Math.max(0, ...list.map((b) => b.w));
    // Groups that talk most with the outside world come first, next to the internet; data stores,
    // which only the cluster talks to, last.
    const nodeGroup = new Map(data.map.nodes.map((n) => [n.id, n]));
    /** @type {Map<string, { outside: number, all: number }>} */
    const traffic = new Map();
    for (const l of data.map.links) {
      const ends = [nodeGroup.get(l.source), nodeGroup.get(l.target)];
      const outside = ends.some((n) => n?.external);
      for (const n of ends) {
        if (!n || n.external) continue;
        const t = traffic.get(n.group) ?? { outside: 0, all: 0 };
        t.all += l.bytes;
        if (outside) t.outside += l.bytes;
        traffic.set(n.group, t);
      }
    }
    const share = (/** @type {string} */ id) => {
      const t = traffic.get(id);
      return t && t.all > 0 ? t.outside / t.all : 0;
    };
    const ordered = [...middle].sort((p, q) => share(q.g.id) - share(p.g.id) || p.g.id.localeCompare(q.g.id));
    /** @param {number} count */
    const pack = (count) => {
      const per = height(ordered) / count;
      /** @type {(typeof boxes)[]} */
      const columns = [[]];
      for (const b of ordered) {
        const current = columns[columns.length - 1] ?? [];
        if (current.length > 0 && height(current) + b.h / 2 > per && columns.length < count) columns.push([b]);
        else current.push(b);
      }
      return columns;
    };
    // As many middle columns as make the whole picture closest to the container's shape.
    const aspect = Math.max(0.8, container.clientWidth / Math.max(1, container.clientHeight));
    let middleColumns = pack(1);
    let best = Number.POSITIVE_INFINITY;
    for (let count = 1; count <= Math.max(1, Math.min(6, middle.length)); count++) {
      const columns = [left, ...pack(count), right].filter((col) => col.length > 0);
      const w = columns.reduce((sum, col) => sum + width(col) + GAP_X, 0);
      const h = Math.max(...columns.map(height));
      const misfit = Math.abs(Math.log(w / h / aspect));
      if (misfit < best) {
        best = misfit;
        middleColumns = pack(count);
      }
    }
    /** @type {Map<string, { x: number, y: number }>} */
    const out = new Map();
    let x = 0;
    for (const column of [left, ...middleColumns, right]) {
      if (column.length === 0) continue;
      const columnWidth = width(column);
      let y = 0;
      for (const b of column) {
        b.nodes.forEach((n, i) => {
          out.set(n.id, {
            x: x + (columnWidth - b.w) / 2 + (i % b.cols) * CELL_W + CELL_W / 2,
            y: y + Math.floor(i / b.cols) * CELL_H + CELL_H / 2,
          });
        });
        y += b.h + GAP_Y;
      }
      x += columnWidth + GAP_X;
    }
    return out;
  }
  const positions = arrange();

  /** @type {cytoscape.ElementDefinition[]} */
  const elements = [];
  for (const g of data.map.groups) {
    elements.push({ group: 'nodes', data: { id: `g|${g.id}`, label: g.label, kind: g.kind }, classes: 'group' });
  }
  for (const n of data.map.nodes) {
    const classes = ['leaf'];
    if (n.external) classes.push('external');
    if (n.findings.length) classes.push('anomalous');
    if (n.exposure) classes.push('exposure');
    elements.push({
      group: 'nodes',
      data: {
        id: n.id,
        parent: `g|${n.group}`,
        label: n.label,
        color: groupColor.get(n.group) ?? '#4c6ef5',
        size: 14 + 22 * scale(n.bytes, maxNodeBytes),
      },
      classes: classes.join(' '),
    });
  }
  data.map.links.forEach((l, i) => {
    const classes = [];
    if (l.findings.length) classes.push('anomalous');
    if (l.exposure) classes.push('exposure');
    if (l.accepted === 0 && l.rejected > 0) classes.push('rejected');
    const ports = l.ports.slice(0, 3).map(portText).join(', ') + (l.ports.length > 3 || l.otherPorts ? ', …' : '');
    elements.push({
      group: 'edges',
      data: {
        id: `l|${i}`,
        source: l.source,
        target: l.target,
        width: 0.6 + 5.4 * scale(l.bytes, maxBytes),
        flows: l.flows,
        bytes: l.bytes,
        ports,
        index: i,
      },
      classes: classes.join(' '),
    });
  });

  const cy = cytoscape({
    container,
    elements,
    wheelSensitivity: 0.3,
    minZoom: 0.1,
    maxZoom: 4,
    style: [
      {
        selector: 'node.leaf',
        style: {
          label: 'data(label)',
          'background-color': 'data(color)',
          width: 'data(size)',
          height: 'data(size)',
          'font-size': 10,
          color: '#1d2330',
          'text-valign': 'bottom',
          'text-margin-y': 2,
          'text-outline-color': '#ffffff',
          'text-outline-width': 2,
          'text-wrap': 'ellipsis',
          'text-max-width': '116px',
        },
      },
      { selector: 'node.external', style: { shape: 'round-rectangle' } },
      {
        selector: 'node.group',
        style: {
          label: 'data(label)',
          'text-valign': 'top',
          'text-halign': 'center',
          'font-size': 12,
          'font-weight': 'bold',
          color: '#48505e',
          'background-color': '#eef1f5',
          'background-opacity': 0.55,
          'border-width': 1,
          'border-style': 'dashed',
          'border-color': '#98a2b3',
          shape: 'round-rectangle',
          padding: '14px',
        },
      },
      {
        selector: 'edge',
        style: {
          width: 'data(width)',
          'curve-style': 'bezier',
          'line-color': '#a5b0bd',
          'target-arrow-color': '#a5b0bd',
          'target-arrow-shape': 'triangle',
          'arrow-scale': 0.6,
          opacity: 0.65,
        },
      },
      { selector: 'edge.rejected', style: { 'line-style': 'dashed' } },
      {
        selector: 'edge.anomalous',
        style: {
          'line-color': '#e03131',
          'target-arrow-color': '#e03131',
          opacity: 1,
          'z-index': 10,
          label: 'data(ports)',
          'font-size': 9,
          color: '#a51111',
          'text-background-color': '#ffffff',
          'text-background-opacity': 0.85,
          'text-rotation': 'autorotate',
        },
      },
      {
        selector: 'edge.exposure',
        style: {
          'line-color': '#ae3ec9',
          'target-arrow-color': '#ae3ec9',
          width: 5,
          opacity: 1,
          'z-index': 20,
          'underlay-color': '#ae3ec9',
          'underlay-opacity': 0.25,
          'underlay-padding': 5,
          label: 'data(ports)',
          'font-size': 10,
          color: '#862e9c',
          'text-background-color': '#ffffff',
          'text-background-opacity': 0.85,
          'text-rotation': 'autorotate',
        },
      },
      { selector: 'node.anomalous', style: { 'border-width': 3, 'border-color': '#e03131' } },
      {
        selector: 'node.exposure',
        style: {
          'border-width': 4,
          'border-color': '#ae3ec9',
          'underlay-color': '#ae3ec9',
          'underlay-opacity': 0.2,
          'underlay-padding': 6,
        },
      },
      {
        selector: 'node.leaf.highlighted',
        style: {
          'underlay-color': '#f08c00',
          'underlay-opacity': 0.35,
          'underlay-padding': 7,
          'underlay-shape': 'ellipse',
        },
      },
      { selector: 'edge.highlighted', style: { opacity: 1, 'z-index': 30 } },
      { selector: '.dimmed', style: { opacity: 0.12 } },
      { selector: 'node.group.dimmed', style: { opacity: 0.35 } },
      { selector: 'edge:selected', style: { 'line-color': '#1c7ed6', 'target-arrow-color': '#1c7ed6', opacity: 1 } },
      { selector: 'node.leaf:selected', style: { 'border-width': 3, 'border-color': '#1c7ed6' } },
    ],
    layout: { name: 'preset' },
  });

  const layout = cy.layout({
    name: 'preset',
    positions: Object.fromEntries(positions),
    fit: true,
    padding: 24,
    animate: false,
  });
  layout.one('layoutstop', () => {
    // Two frames: the renderer has drawn the laid-out graph by then.
    requestAnimationFrame(() => requestAnimationFrame(() => finish(cy)));
  });
  layout.run();

  cy.on('tap', 'node.leaf', (event) => {
    const n = data.map.nodes.find((x) => x.id === event.target.id());
    if (!n) return;
    const dl = el('dl');
    row(dl, 'Group', data.map.groups.find((g) => g.id === n.group)?.label ?? n.group);
    row(dl, 'Kind', n.kind);
    row(dl, 'Addresses', `${count(n.addresses)}${n.sampleAddresses.length ? `: ${n.sampleAddresses.join(', ')}` : ''}`);
    row(dl, 'Traffic', `${bytes(n.bytes)} in ${count(n.flows)} flow records`);
    showDetails(n.label, dl, n.findings);
  });
  cy.on('tap', 'edge', (event) => {
    const l = data.map.links[Number(event.target.data('index'))];
    if (!l) return;
    const from = data.map.nodes.find((x) => x.id === l.source)?.label ?? l.source;
    const to = data.map.nodes.find((x) => x.id === l.target)?.label ?? l.target;
    const dl = el('dl');
    row(dl, 'Bytes', `${bytes(l.bytesToServer)} to the server, ${bytes(l.bytesToClient)} back`);
    row(dl, 'Flow records', `${count(l.flows)}: ${count(l.accepted)} accepted, ${count(l.rejected)} rejected`);
    row(dl, 'Seen', `${time(l.firstTime)} to ${time(l.lastTime)} UTC`);
    row(
      dl,
      'Ports',
      `${l.ports.map((p) => `${portText(p)} (${bytes(p.bytes)}, ${count(p.flows)} flows)`).join('; ')}${
        l.otherPorts ? `; and ${count(l.otherPorts)} more` : ''
      }`,
    );
    if (l.exposure) row(dl, 'Exposure path', 'this link is part of an exposure path');
    showDetails(`${from} → ${to}`, dl, l.findings);
  });
  cy.on('tap', (event) => {
    if (event.target === cy) focus(null);
  });

  focusOnMap = (ids) => {
    cy.elements().removeClass('dimmed highlighted');
    if (!ids) return;
    const keep = cy.collection();
    for (const id of ids.nodes) keep.merge(cy.getElementById(id));
    data.map.links.forEach((l, i) => {
      if (ids.links.includes(l.id))
        keep
          .merge(cy.getElementById(`l|${i}`))
          .merge(cy.getElementById(l.source))
          .merge(cy.getElementById(l.target));
    });
    keep.addClass('highlighted');
    keep.merge(keep.parents());
    cy.elements().not(keep).addClass('dimmed');
  };
  const clear = byId('map-clear');
  clear.addEventListener('click', () => focus(null));

  /** @param {cytoscape.Core | null} core */
  function finish(core) {
    const renderMs = Math.round(performance.now() - started);
    /** @type {Window & { driftwatchReport?: ReportHandle }} */ (window).driftwatchReport = core
      ? { cy: core, data, renderMs }
      : undefined;
    document.documentElement.dataset.renderMs = String(renderMs);
    document.documentElement.dataset.rendered = 'true';
    openFromHash();
  }
})();
