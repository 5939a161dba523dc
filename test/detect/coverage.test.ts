import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PEER_CATALOGS, renderCoverage } from '../../shared/detect/peer-coverage/render';
import { ALL_DETECTORS } from '../../shared/detect/registry';

/** The rule counts issue 14 measured in each catalog, and why ours differ where they do. */
const EXPECTED_RULES: Record<string, number> = {
  falco: 48,
  'guardduty-eks': 35,
  'guardduty-vpc': 25,
  sigma: 16,
  elastic: 45,
  // 39 in the issue, plus AWS.DNS.Crypto.Domain, a DNS-log rule kept in the VPC-flow folder (out of scope).
  panther: 40,
};

function duplicates(names: readonly string[]): string[] {
  return names.filter((name, i) => names.indexOf(name) !== i);
}

describe('reverse coverage (docs/COVERAGE.md)', () => {
  it('is what the coverage data says (run `npm run docs:coverage` after changing it)', () => {
    // Prepare
    const committed = readFileSync('docs/COVERAGE.md', 'utf8');
    // Act
    const generated = renderCoverage();
    // Assess
    expect(committed).toBe(generated);
  });

  it('has one catalog per peer, each with the number of rules the peer publishes', () => {
    expect(PEER_CATALOGS.map((c) => c.peer).sort()).toEqual(Object.keys(EXPECTED_RULES).sort());
    for (const catalog of PEER_CATALOGS)
      expect(catalog.rules, catalog.peer).toHaveLength(EXPECTED_RULES[catalog.peer] ?? -1);
  });

  for (const catalog of PEER_CATALOGS) {
    describe(catalog.name, () => {
      it('answers every rule of the peer exactly once, and no rule the peer does not have', () => {
        const answered = catalog.entries.map((e) => e.rule);
        expect(duplicates(catalog.rules), 'listed twice in the canonical list').toEqual([]);
        expect(duplicates(answered), 'answered twice').toEqual([]);
        expect(
          catalog.rules.filter((r) => !answered.includes(r)),
          'peer rules with no answer',
        ).toEqual([]);
        expect(
          answered.filter((r) => !catalog.rules.includes(r)),
          'answers to rules the peer does not have',
        ).toEqual([]);
      });

      it('names only detectors that exist, and one at least unless out of scope', () => {
        const known = new Set(ALL_DETECTORS.map((d) => d.id));
        for (const entry of catalog.entries) {
          expect(entry.peer, entry.rule).toBe(catalog.peer);
          for (const id of entry.detectors) expect(known.has(id), `${entry.rule}: unknown detector ${id}`).toBe(true);
          if (entry.status === 'out-of-scope') expect(entry.detectors, entry.rule).toEqual([]);
          else expect(entry.detectors.length, `${entry.rule} names no detector`).toBeGreaterThan(0);
        }
      });

      it('leaves nothing in scope not covered, and gives a reason for every answer', () => {
        expect(catalog.entries.filter((e) => e.status === 'not-covered').map((e) => e.rule)).toEqual([]);
        for (const entry of catalog.entries) expect(entry.reason.trim().length, entry.rule).toBeGreaterThan(10);
      });
    });
  }

  it('shows every rule in the generated page', () => {
    const doc = renderCoverage();
    for (const catalog of PEER_CATALOGS) {
      for (const rule of catalog.rules) expect(doc, rule).toContain(`| ${rule.replace(/\|/g, '\\|')} |`);
    }
  });
});
