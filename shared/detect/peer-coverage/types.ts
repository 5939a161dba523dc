/** The peer catalogs Driftwatch answers rule by rule (docs/COVERAGE.md). */
export type PeerId = 'falco' | 'guardduty-eks' | 'guardduty-vpc' | 'sigma' | 'elastic' | 'panther';

/**
 * How Driftwatch answers one peer rule.
 * - `covered`: a detector fires on the behaviour the rule targets. Exemptions for the control plane,
 *   controllers and configured pipelines count as covered, as the peers keep their own allow lists.
 * - `partial`: a detector catches part of it; the reason says what is missing.
 * - `not-covered`: nothing fires. The coverage test refuses it for any rule in scope.
 * - `out-of-scope`: the rule needs a log Driftwatch does not read (DNS logs, CloudTrail, syscalls, host
 *   telemetry) or a platform other than EKS; the reason says which.
 */
export type CoverageStatus = 'covered' | 'partial' | 'not-covered' | 'out-of-scope';

export interface CoverageEntry {
  readonly peer: PeerId;
  /** The rule's name exactly as the peer spells it. */
  readonly rule: string;
  readonly status: CoverageStatus;
  /** Driftwatch detector ids that answer the rule (registry ids). */
  readonly detectors: readonly string[];
  /** Why the status: what fires, and for partial and out-of-scope, what is missing. */
  readonly reason: string;
}

export interface PeerCatalog {
  readonly peer: PeerId;
  /** The heading in docs/COVERAGE.md. */
  readonly name: string;
  /** Where the rule list comes from, and which version of it was read. */
  readonly source: string;
  /**
   * The peer's rules, as the peer lists them: the canonical list, kept apart from the answers so a
   * test can tell a rule left unanswered (or answered twice) from one the peer does not have.
   */
  readonly rules: readonly string[];
  readonly entries: readonly CoverageEntry[];
}

type Detectors = readonly [string, ...string[]];

/** Entry builders for one peer, so each catalog file reads as a list of answers. */
export function answersFor(peer: PeerId) {
  return {
    covered: (rule: string, detectors: Detectors, reason: string): CoverageEntry => ({
      peer,
      rule,
      status: 'covered',
      detectors,
      reason,
    }),
    partial: (rule: string, detectors: Detectors, reason: string): CoverageEntry => ({
      peer,
      rule,
      status: 'partial',
      detectors,
      reason,
    }),
    outOfScope: (rule: string, reason: string): CoverageEntry => ({
      peer,
      rule,
      status: 'out-of-scope',
      detectors: [],
      reason,
    }),
  };
}
