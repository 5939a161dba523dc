import type { FlowLog } from './flow-log';
import type { Activity } from './lifecycle';
import type { Prng } from './prng';

/** What an incident can read and write while it plants its events. */
export interface IncidentContext extends Activity {
  flows: FlowLog;
  /** The incident's own random stream. */
  rng: Prng;
  /** Epoch ms when the incident starts. */
  time: number;
  /** Facts earlier incidents leave for later ones (the pod whose token was stolen, ...). */
  notes: Map<string, unknown>;
}

/**
 * One planted incident. Add an entry to {@link INCIDENTS} to plant another: the generator runs
 * `plant` at the given day and time, after the cluster's normal life is planned and before the
 * hourly logs are written, so it can look up pods and start its own.
 */
export interface IncidentDefinition {
  id: string;
  /** Day of the scenario, 1-based. Incidents belong after the learning period (day 9 on). */
  day: number;
  /** UTC time of day when it starts, `HH:MM:SS`. */
  at: string;
  description: string;
  /** Rules and anomaly detectors that should report it. */
  expectedRuleIds: string[];
  /**
   * The attack it is a step of, when that is an earlier planted incident's id: its findings and
   * that incident's should be one Driftwatch incident (the same pod, or a workload and its creator).
   */
  partOf?: string;
  /** Writes the incident's audit events and flow records; returns the identifiers a finding should name. */
  plant(ctx: IncidentContext): Record<string, unknown>;
}
