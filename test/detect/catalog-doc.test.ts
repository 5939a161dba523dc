import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { peerCounts, renderDetectionCatalog } from '../../shared/detect/catalog-doc';
import { ALL_DETECTORS, AUDIT_DETECTORS } from '../../shared/detect/registry';

describe('docs/DETECTIONS.md', () => {
  it('is what the detectors say about themselves (run `npm run docs:detections` after changing one)', () => {
    // Prepare
    const committed = readFileSync('docs/DETECTIONS.md', 'utf8');
    // Act
    const generated = renderDetectionCatalog();
    // Assess
    expect(committed).toBe(generated);
  });

  it('lists every detector, with its kind, severity, ATT&CK ids and the four peer columns', () => {
    const doc = renderDetectionCatalog();
    for (const detector of ALL_DETECTORS) {
      const row = doc.split('\n').find((line) => line.startsWith(`| [\`${detector.id}\`]`));
      expect(row, detector.id).toBeDefined();
      expect(row?.split(' | ')).toHaveLength(8);
      expect(row).toContain(` ${detector.severity} `);
      for (const id of detector.mitre) expect(row).toContain(id);
      expect(doc).toContain(`### ${detector.id}`);
    }
  });

  it('counts the equivalents each peer has', () => {
    const counts = peerCounts(AUDIT_DETECTORS);
    expect(counts.falco + counts.guardduty + counts.elastic + counts.sigma).toBeGreaterThan(0);
    const doc = renderDetectionCatalog();
    expect(doc).toContain(
      `| Falco | Falco k8saudit plugin rules (\`k8s_audit_rules.yaml\`) | ${counts.falco} of ${AUDIT_DETECTORS.length} |`,
    );
  });
});
