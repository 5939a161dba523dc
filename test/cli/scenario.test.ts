import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { NAT_GATEWAY } from '../../events/scenario/cluster';
import { generateScenario } from '../../events/scenario/generate';
import type { ScenarioManifest } from '../../events/scenario/types';
import { severityRank } from '../../shared/config/schema';
import { Capture } from '../support/capture';

/**
 * The bar `npm start` must meet: every planted incident is found, and there are zero findings of
 * medium or higher severity on the baseline days (1 to 8), counted per UTC day of event time.
 */
describe('sample scenario, end to end', () => {
  let manifest: ScenarioManifest;
  let result: AnalyzeResult;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-scenario-'));
    manifest = await generateScenario({ outDir: dir });
    result = await analyze({
      paths: [join(dir, 'audit'), join(dir, 'flow')],
      configPath: 'events/scenario/driftwatch.config.json',
      format: 'json',
      stdout: new Capture(),
      stderr: new Capture(),
    });
  }, 180_000);

  it('reads every object with no rejected record', () => {
    expect(result.summary.objects).toMatchObject({ read: manifest.objects, unrecognized: 0 });
    expect(result.summary.eventsParsed).toBe(manifest.auditEvents + manifest.flowRecords);
    expect(result.summary.recordsRejected).toEqual({});
    expect(result.summary.rebaselines.scheduleTimesCrossed).toBe(manifest.days - 1);
  });

  it('finds every planted incident', () => {
    expect(manifest.incidents.length).toBeGreaterThanOrEqual(5);
    for (const incident of manifest.incidents) {
      const at = Date.parse(incident.time);
      for (const ruleId of incident.expectedRuleIds) {
        const found = result.findings.find(
          (f) => f.ruleId === ruleId && Math.abs(Date.parse(f.time) - at) <= 15 * 60_000,
        );
        expect(found, `${incident.id}: no ${ruleId} finding near ${incident.time}`).toBeDefined();
      }
    }
  });

  it('learns no person and no attacking service account as a pipeline', () => {
    const { pipelines } = result.summary.learned;
    expect(pipelines).not.toContain('alice');
    expect(pipelines).not.toContain('system:serviceaccount:payments:api');
    // The configured CI identity is already a pipeline: it is not learned again.
    expect(pipelines).not.toContain('github-actions');
  });

  it('learns no entry point or privileged workload the config already names', () => {
    expect(result.summary.learned.entryPoints).toEqual([]);
    expect(result.summary.learned.privilegedWorkloads).toEqual([]);
  });

  it('keeps new image repositories brought in by people and service accounts at medium', () => {
    const images = result.findings
      .filter((f) => f.ruleId === 'audit.new-image-repository')
      .map((f) => [f.entities.repository, f.severity]);
    expect(images).toEqual(
      expect.arrayContaining([
        ['docker.io/nicolaka/netshoot', 'medium'],
        ['ghcr.io/xmr-tools/xmrig', 'medium'],
        ['docker.io/library/busybox', 'medium'],
      ]),
    );
  });

  it('raises nothing of medium or higher severity on the baseline days', () => {
    const lastBaselineDay = new Date(Date.parse(manifest.start) + 7 * 86_400_000).toISOString().slice(0, 10);
    const early = result.findings.filter(
      (f) => f.time.slice(0, 10) < lastBaselineDay || f.time.slice(0, 10) === lastBaselineDay,
    );
    expect(
      early
        .filter((f) => severityRank(f.severity) >= severityRank('medium'))
        .map((f) => `${f.time} ${f.ruleId} ${f.summary}`),
    ).toEqual([]);
    for (const [day, counts] of Object.entries(result.summary.findings.byDay)) {
      if (day <= lastBaselineDay) expect(counts.medium + counts.high + counts.critical, day).toBe(0);
    }
  });

  describe('incidents', () => {
    /** The incidents of a planted incident's expected findings (matched by rule and time, as above). */
    const incidentsOf = (incident: ScenarioManifest['incidents'][number]) => {
      const at = Date.parse(incident.time);
      const ids = new Set<string>();
      for (const ruleId of incident.expectedRuleIds) {
        for (const f of result.findings) {
          if (f.ruleId === ruleId && Math.abs(Date.parse(f.time) - at) <= 15 * 60_000) ids.add(String(f.incidentId));
        }
      }
      return ids;
    };

    it('makes each planted attack one incident, and no two attacks one', () => {
      const byAttack = new Map<string, Set<string>>();
      for (const incident of manifest.incidents) {
        const ids = byAttack.get(incident.attack) ?? new Set<string>();
        for (const id of incidentsOf(incident)) ids.add(id);
        byAttack.set(incident.attack, ids);
      }
      const owner = new Map<string, string>();
      for (const [attack, ids] of byAttack) {
        expect([...ids], `${attack} is split into several incidents`).toHaveLength(1);
        const [id] = [...ids] as [string];
        expect(owner.get(id), `${attack} and ${owner.get(id)} are merged into ${id}`).toBeUndefined();
        owner.set(id, attack);
        expect(result.incidents.map((i) => i.id)).toContain(id);
      }
      expect(byAttack.size).toBeGreaterThanOrEqual(12);
    });

    it('sends at most 1.5 messages per planted attack over 14 days, none on the learning days', () => {
      const attacks = new Set(manifest.incidents.map((i) => i.attack)).size;
      const { messages } = result.summary.notifications;
      expect(messages.total).toBe(result.messages.filter((m) => m.kind !== 'digest').length);
      expect(messages.total).toBeLessThanOrEqual(1.5 * attacks);
      expect(messages.byKind.incident).toBe(result.incidents.filter((i) => i.messages > 0).length);
      const learningEnds = new Date(Date.parse(manifest.start) + 8 * 86_400_000).toISOString();
      const alerts = result.messages.filter((m) => m.kind !== 'digest');
      expect(alerts.filter((m) => (m.incident?.lastSeen ?? '') < learningEnds).map((m) => m.id)).toEqual([]);
      // The digest (for subscribers who ask for it) comes daily, learning days included.
      expect(messages.byKind.digest).toBe(result.messages.length - alerts.length);
      expect(messages.byKind.digest).toBeGreaterThanOrEqual(manifest.days - 1);
      // Every message names its incident, and each incident's count matches what was sent.
      for (const incident of result.incidents) {
        expect(result.messages.filter((m) => m.incident?.id === incident.id)).toHaveLength(incident.messages);
      }
    });

    it('joins info configuration changes to incidents as context, and tells none of them', () => {
      const context = result.incidents.flatMap((i) => i.timeline.filter((t) => t.context).map((t) => ({ i, t })));
      expect(context.length).toBeGreaterThan(0);
      expect(result.summary.findings.belowJoinedAsContext).toBe(context.length);
      for (const { i, t } of context) {
        expect(t.severity).toBe('info');
        expect(i.rules, i.id).not.toContain(t.ruleId);
      }
      const told = result.messages.filter((m) => m.kind !== 'digest');
      expect(told.flatMap((m) => m.findings).filter((f) => f.severity === 'info')).toEqual([]);
      expect(told.flatMap((m) => m.ruleIds)).not.toContain('audit.config-object-change');
    });

    it('tells the exposure path of day 10 once, not once a day', () => {
      const planted = manifest.incidents.find((i) => i.id === 'exposure-path');
      const [id] = [...incidentsOf(planted as ScenarioManifest['incidents'][number])];
      const incident = result.incidents.find((i) => i.id === id);
      const daily = result.findings.filter((f) => f.ruleId === 'net.exposure-path');
      expect(daily.length).toBeGreaterThanOrEqual(4);
      expect(new Set(daily.map((f) => f.incidentId))).toEqual(new Set([id]));
      expect(incident?.messages).toBe(1);
      expect(incident?.lastSeen.slice(0, 10)).toBe(daily.at(-1)?.time.slice(0, 10));
      expect(incident?.conditions.map((c) => c.key)).toEqual(['condition:net.exposure-path:shop/web→rds-subnets:5432']);
    });
  });

  it('names the pod, once, for egress the NAT gateway also logged', () => {
    // Every connection to the internet shows at the pod's interface and again at the gateway's.
    const viaGateway = result.findings.filter((f) => f.source === 'vpc-flow' && f.entities.srcAddr === NAT_GATEWAY.ip);
    expect(viaGateway.map((f) => `${f.ruleId} ${f.summary}`)).toEqual([]);
    expect(result.summary.network?.relayedEdges).toBeGreaterThan(0);
  });
});
