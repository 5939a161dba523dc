/**
 * `npm run fingerprint`: proves a refactor changes nothing. Runs the sample scenario through the
 * CLI (with a state folder, a summary and a report) and each bench object through the engine, on
 * a fixed wall clock, and prints a SHA-256 of every output that a user or the table can see:
 * the findings in order, every table item, the run summary, the report's data and each object's
 * outcome. Run it before and after a change; the lines must match.
 *
 * Wall-clock values (run duration, start time, the report's `generatedAt`) are left out. So are
 * two fields added to the finding contract after the first fingerprints were taken: `description`
 * (the detector's fixed text, checked against the registry here instead) and `roles` (the parts
 * its entities play, which the report's placement of findings holds to account).
 * Options: `--quick` (scenario and the 1.2M-record flow object only), `--json FILE`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileSource } from '../cli/local-files';
import { generateScenario } from '../events/scenario/generate';
import { defaultConfig } from '../shared/config';
import { buildDetectContext } from '../shared/detect';
import { Engine } from '../shared/engine';
import { CollectingSink } from '../shared/incident';
import { MemoryTable } from '../shared/store';
import { auditDocuments, ensure, flowLines, writeGzip } from './generate';

/** The wall clock every run sees: processed-object markers and TTLs written from it hash the same. */
const FIXED_NOW = Date.UTC(2026, 11, 1);
const DATA = 'bench/data';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonAt = args.indexOf('--json');

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted, sets as sorted arrays and bytes as base64: one spelling per value. */
function canonical(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (v instanceof Set) return { $set: [...v].map(norm).sort() };
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = norm((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value));
}

/** A finding as hashed: its `description` checked and set aside, and its `roles` set aside (see the header). */
function findingText(finding: Record<string, unknown>, descriptions: Map<string, string>): string {
  // The incident a finding joined is fingerprinted apart (`incidents`), so the findings stay comparable.
  const { description, roles: _roles, incidentId: _incident, ...rest } = finding;
  if (description !== undefined && description !== descriptions.get(String(finding.ruleId))) {
    throw new Error(`finding ${String(finding.id)} carries a description that is not its detector's`);
  }
  return canonical(rest);
}

async function detectorDescriptions(): Promise<Map<string, string>> {
  const registry = (await import('../shared/detect')) as {
    ALL_DETECTORS: readonly { id: string; description: string }[];
  };
  return new Map(registry.ALL_DETECTORS.map((d) => [d.id, d.description]));
}

interface Fingerprint {
  name: string;
  parts: Record<string, string>;
  counts: Record<string, number>;
}

/**
 * Every item as stored, except the incident lock's holder: a random id per process by design (two
 * processors must never take each other's lease), so it differs between any two runs.
 */
function tableHash(items: Iterable<Record<string, unknown>>): { hash: string; count: number } {
  const lines = [...items].map((item) => canonical(item.pk === 'INCLOCK' ? { ...item, holder: '-' } : item)).sort();
  return { hash: sha(lines.join('\n')), count: lines.length };
}

/**
 * The table without the rebaseline's own bookkeeping (the prune's day index `BLDAY#`, the row
 * counters `rows#<day>` and the prune cursor on the pending-days items): what the detectors read.
 * Equal across a change of how the rebaseline is planned, when the baselines it builds are equal.
 */
function stateHash(items: Iterable<Record<string, unknown>>): string {
  const kept = [...items]
    .filter((item) => !String(item.pk).startsWith('BLDAY#'))
    .map((item) =>
      Object.fromEntries(
        Object.entries(item).filter(([name]) => !name.startsWith('rows#') && name !== 'prunedThrough'),
      ),
    );
  return tableHash(kept).hash;
}

/**
 * The sample scenario, generated into a folder of fixed name with fixed file times: object ids
 * hash the path and the file's size and time, so both must be the same in every run and checkout.
 */
async function scenarioFiles(): Promise<string> {
  const root = join(tmpdir(), 'driftwatch-fingerprint');
  rmSync(root, { recursive: true, force: true });
  await generateScenario({ outDir: join(root, 'scenario') });
  const touch = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) touch(child);
      else utimesSync(child, FIXED_NOW / 1000, FIXED_NOW / 1000);
    }
  };
  touch(join(root, 'scenario'));
  return root;
}

async function scenario(descriptions: Map<string, string>): Promise<Fingerprint> {
  const root = await scenarioFiles();
  const dir = join(root, 'out');
  mkdirSync(dir);
  try {
    const clock = join(dir, 'clock.mjs');
    writeFileSync(clock, `Date.now = () => ${FIXED_NOW};\n`);
    execFileSync(
      process.execPath,
      [
        '--import',
        clock,
        resolve('bin/driftwatch.mjs'),
        'analyze',
        'scenario/audit',
        'scenario/flow',
        '--config',
        resolve('events/scenario/driftwatch.config.json'),
        '--format',
        'json',
        '--out',
        join(dir, 'findings.jsonl'),
        '--summary',
        join(dir, 'summary.json'),
        '--state',
        join(dir, 'state'),
        '--report',
        join(dir, 'report.html'),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], cwd: root },
    );
    const lines = readFileSync(join(dir, 'findings.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const findings = lines.map((f) => findingText(f, descriptions));
    const incidents = lines.map((f) => `${String(f.id)} ${String(f.incidentId)}`);
    const state = readFileSync(join(dir, 'state', 'state.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const { durationMs: _d, startedAt: _s, ...summary } = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const json = /<script type="application\/json" id="driftwatch-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    if (!json) throw new Error('the report has no data element');
    const data = JSON.parse(json);
    delete data.generatedAt;
    if (data.run) {
      delete data.run.durationMs;
      delete data.run.startedAt;
    }
    if (Array.isArray(data.findings)) {
      data.findings = data.findings.map((f: { finding: Record<string, unknown> }) => ({
        ...f,
        finding: JSON.parse(findingText(f.finding, descriptions)),
      }));
    }
    const table = tableHash(state);
    return {
      name: 'scenario (npm start)',
      parts: {
        findings: sha(findings.join('\n')),
        incidents: sha(incidents.join('\n')),
        table: table.hash,
        state: stateHash(state),
        summary: sha(canonical(summary)),
        report: sha(canonical(data)),
      },
      counts: { findings: findings.length, items: table.count },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function benchObject(path: string, descriptions: Map<string, string>): Promise<Fingerprint> {
  const config = defaultConfig({ network: { vpcCidrs: ['10.0.0.0/16'] } });
  const table = new MemoryTable();
  const sink = new CollectingSink();
  const engine = new Engine({ config, table, context: buildDetectContext(config), sink, clock: () => FIXED_NOW });
  const outcome = await engine.process(fileSource(path));
  const findings = outcome.findings.map((f) => findingText(f as unknown as Record<string, unknown>, descriptions));
  const { findings: _f, belowThreshold, messages, ...rest } = outcome;
  const below = belowThreshold.map((f) => findingText(f as unknown as Record<string, unknown>, descriptions));
  const items = tableHash(table.items() as Iterable<Record<string, unknown>>);
  return {
    name: path,
    parts: {
      findings: sha(findings.join('\n')),
      table: items.hash,
      state: stateHash(table.items() as Iterable<Record<string, unknown>>),
      outcome: sha(canonical({ ...rest, belowThreshold: below, findings: findings.length })),
      messages: sha(
        canonical(messages.map((m) => ({ ...m, incident: m.incident?.id, findings: m.findings.map((f) => f.id) }))),
      ),
      counters: sha(canonical(table.counters)),
    },
    counts: { findings: findings.length, items: items.count, events: outcome.stats.events },
  };
}

async function main() {
  const descriptions = await detectorDescriptions();
  const flow = `${DATA}/flow-1200k.log.gz`;
  const audit = `${DATA}/audit-200k.gz`;
  const flow75 = `${DATA}/flow-75mb.log.gz`;
  await ensure(flow, () => writeGzip(flow, flowLines(20261102, 1_200_000), { separator: '\n' }));
  if (!quick) {
    await ensure(audit, () => writeGzip(audit, auditDocuments(20261103, 200_000), { separator: '' }));
    await ensure(flow75, () =>
      writeGzip(flow75, flowLines(20261104, 50_000_000), { separator: '\n', stopAtBytes: 75 * 1024 * 1024 }),
    );
  }
  const results: Fingerprint[] = [await scenario(descriptions), await benchObject(flow, descriptions)];
  if (!quick) {
    results.push(await benchObject(audit, descriptions));
    results.push(await benchObject(flow75, descriptions));
  }
  for (const r of results) {
    const parts = Object.entries(r.parts)
      .map(([k, v]) => `${k} ${v}`)
      .join('  ');
    const counts = Object.entries(r.counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    console.log(`${r.name}\n  ${parts}\n  (${counts})`);
  }
  console.log(`all ${sha(canonical(results))}`);
  if (jsonAt >= 0) writeFileSync(args[jsonAt + 1] as string, `${JSON.stringify(results, null, 2)}\n`);
}

await main();
