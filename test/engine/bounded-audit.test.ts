import { beforeAll, describe, expect, it } from 'vitest';
import { hostileAuditDocuments } from '../../bench/generate';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { Engine } from '../../shared/engine/engine';
import { CollectingSink } from '../../shared/incident/sink';
import { MemoryTable } from '../../shared/store/memory-table';
import { gzip } from '../support/formats';
import { memorySource } from '../support/sources';

/** 12,000 identities: past the 10,000 observations that keep their event, so both kinds of draft are rolled up. */
const IDENTITIES = 12_000;
const OBJECT = gzip([...hostileAuditDocuments(IDENTITIES)].join(''));

async function run() {
  const config = defaultConfig({ learning: { days: 0 } });
  const table = new MemoryTable();
  const engine = new Engine({ config, table, context: buildDetectContext(config), sink: new CollectingSink() });
  const outcome = await engine.process(memorySource('s3://logs/audit/hostile.gz', OBJECT));
  return { outcome, table };
}

describe('Engine under a hostile audit object', () => {
  let once: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    once = await run();
  });

  it('gives each detector at most its cap of findings, rolled up with the right counts', () => {
    const { outcome } = once;
    const { findings } = outcome;

    // Assess: one roll-up per detector that fired, each counting every finding it stands for.
    const byRule = new Map(findings.map((f) => [f.ruleId, f]));
    expect(findings).toHaveLength(byRule.size);
    const rolledUp = Object.fromEntries([...byRule].map(([id, f]) => [id, f.entities.rolledUp]));
    expect(rolledUp).toEqual({
      'audit.exec-into-pod': IDENTITIES / 4,
      'audit.new-identity': IDENTITIES,
      'audit.new-source-ip': IDENTITIES,
      'audit.permission-probing': IDENTITIES / 4,
      'audit.unusual-secret-access': IDENTITIES / 4,
    });
    for (const finding of findings) {
      expect(finding.title).toContain('findings rolled up');
      expect((finding.entities.samples as unknown[]).length).toBe(5);
    }
    expect(outcome.stats.events).toBe(IDENTITIES);
  });

  it('still writes every observation the baselines learn from', () => {
    const { outcome } = once;

    // Identity and network for everyone, permissions for a quarter, secrets read for a quarter, for
    // the pipeline learner the interactive acts (an exec, secrets read or denied) of three quarters,
    // and each identity's client, with the identity for the user-agent learner.
    expect(outcome.observations).toBe(IDENTITIES * 4 + IDENTITIES / 2 + (IDENTITIES * 3) / 4);
  });

  it('gives the roll-ups the same ids when the object is delivered again', async () => {
    const first = once;
    const again = await run();

    expect(again.outcome.findings.map((f) => f.id)).toEqual(first.outcome.findings.map((f) => f.id));
    expect(again.outcome.findings).toEqual(first.outcome.findings);
  });
});
