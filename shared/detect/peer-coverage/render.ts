import { ELASTIC } from './elastic';
import { FALCO } from './falco';
import { GUARDDUTY_EKS } from './guardduty-eks';
import { GUARDDUTY_VPC } from './guardduty-vpc';
import { PANTHER } from './panther';
import { SIGMA } from './sigma';
import type { CoverageStatus, PeerCatalog } from './types';

/** Every peer catalog answered rule by rule, in the order docs/COVERAGE.md shows them. */
export const PEER_CATALOGS: readonly PeerCatalog[] = [FALCO, GUARDDUTY_EKS, GUARDDUTY_VPC, SIGMA, ELASTIC, PANTHER];

const STATUSES: readonly { status: CoverageStatus; label: string }[] = [
  { status: 'covered', label: 'Covered' },
  { status: 'partial', label: 'Partial' },
  { status: 'not-covered', label: 'Not covered' },
  { status: 'out-of-scope', label: 'Out of scope' },
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function detectorLinks(ids: readonly string[]): string {
  if (ids.length === 0) return '—';
  return ids.map((id) => `[\`${id}\`](DETECTIONS.md#${id.toLowerCase().replace(/[^a-z0-9 -]/g, '')})`).join(', ');
}

function label(status: CoverageStatus): string {
  return STATUSES.find((s) => s.status === status)?.label ?? status;
}

/**
 * `docs/COVERAGE.md`: the other direction of DETECTIONS.md. For every rule in each peer catalog, which
 * Driftwatch detectors answer it and how well. Rendered from the data under `shared/detect/peer-coverage/`,
 * which a test holds to the peers' rule lists and to the detector registry.
 */
export function renderCoverage(catalogs: readonly PeerCatalog[] = PEER_CATALOGS): string {
  const out: string[] = [];
  out.push('# Reverse coverage: every peer rule, answered');
  out.push('');
  out.push(
    '<!-- Generated from shared/detect/peer-coverage/ by `npm run docs:coverage`; do not edit by hand. ' +
      'test/detect/coverage.test.ts fails when this file and the data disagree. -->',
  );
  out.push('');
  out.push(
    '[DETECTIONS.md](DETECTIONS.md) names, for each Driftwatch detector, the closest rule in each peer catalog. This ' +
      'page goes the other way: every rule of every peer catalog, with the detectors that catch the same behaviour.',
  );
  out.push('');
  out.push(
    '- **Covered**: a detector fires on the behaviour. Exemptions for the control plane, controllers and ' +
      'configured pipelines still count as covered, as the peers keep allow lists of their own.',
  );
  out.push('- **Partial**: a detector catches part of it; the reason says what is missing.');
  out.push('- **Not covered**: nothing fires. A test keeps this empty for every rule in scope.');
  out.push(
    '- **Out of scope**: the rule needs a log Driftwatch does not read (DNS query logs, CloudTrail, syscalls, host ' +
      'telemetry) or another platform; the reason says which.',
  );
  out.push('');
  out.push(`| Peer | Rules | ${STATUSES.map((s) => s.label).join(' | ')} |`);
  out.push(`| --- | --- | ${STATUSES.map(() => '---').join(' | ')} |`);
  for (const catalog of catalogs) {
    const counts = STATUSES.map((s) => catalog.entries.filter((e) => e.status === s.status).length);
    out.push(`| [${catalog.name}](#${anchor(catalog.name)}) | ${catalog.entries.length} | ${counts.join(' | ')} |`);
  }
  for (const catalog of catalogs) {
    out.push('');
    out.push(`## ${catalog.name}`);
    out.push('');
    out.push(`Source: ${catalog.source}`);
    out.push('');
    out.push('| Rule | Status | Detectors | Reason |');
    out.push('| --- | --- | --- | --- |');
    for (const entry of catalog.entries) {
      out.push(
        `| ${cell(entry.rule)} | ${label(entry.status)} | ${detectorLinks(entry.detectors)} | ${cell(entry.reason)} |`,
      );
    }
  }
  out.push('');
  return out.join('\n');
}

function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}
