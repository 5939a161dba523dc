import type { Finding } from '../alert';
import type { EdgeStatsFoldReport, RebaselinePlan, RebaselineReport } from '../baseline';
import type { DegradedDetector } from '../detect';
import type { IncidentMessage } from '../incident';
import type { LogKind, ObjectIdentity, ReadStats } from '../ingest';

export interface ObjectOutcome {
  uri: string;
  kind: LogKind | 'unknown';
  /** Why the object was not analysed, if it was not. */
  skipped?: 'already-processed' | 'unknown-kind' | 'empty';
  /** What the key and the content said the object is (absent when it was already processed). */
  identity?: ObjectIdentity;
  stats: ReadStats;
  /** Findings that opened a new dedupe window and joined incidents (with `incidentId`). */
  findings: Finding[];
  /** Messages about incidents the object caused and published. */
  messages: IncidentMessage[];
  /** Findings a suppression muted, by suppression id. */
  muted: Record<string, number>;
  /** Findings inside an open dedupe window, not sent again. */
  suppressed: number;
  /** Findings below `alerts.minSeverity`, counted but not sent. */
  belowThreshold: Finding[];
  observations: number;
  /** Detectors that threw, by id; the event was skipped for that detector only. */
  detectorErrors: Record<string, number>;
  /** For a flow object lacking fields some enabled detectors need: those detectors, and the fields. */
  degraded?: DegradedDetector[];
  edges?: number;
  /** For flow objects: the hourly edges this object adds to, and how many addresses were named. */
  network?: NetworkOutcome;
  /**
   * Flow edges that waited for the audit log: this object's edges set aside until the audit log
   * passes their time, and earlier objects' edges decided while processing this one.
   */
  lateAttribution?: { waiting: number; decided: number };
  firstEventTime?: number;
  lastEventTime?: number;
}

/** What a flow object adds to the hourly edges, the network's stored shape. */
export interface NetworkOutcome {
  /** Keys of the hourly edges (entity pairs, port, protocol, direction) in the object. */
  hourlyEdges: string[];
  /** Ids of the entities at either end. */
  entities: string[];
  /** Distinct internal addresses looked up in the pod IP map, and how many it named. */
  addressesLookedUp: number;
  addressesAttributed: number;
  /** Edges a NAT gateway logged again for connections its clients' edges show: mapped, not detected on. */
  relayedEdges: number;
}

export interface NetworkRebaselineReport extends EdgeStatsFoldReport {
  /** Flow logs found silent. */
  silentLogs: number;
}

/** The rebaseline report, with the hourly edges' part. */
export interface EngineRebaselineReport extends RebaselineReport {
  network?: NetworkRebaselineReport;
  /** Flow edges that had waited for the audit log, decided by the rebaseline, and groups of them that failed. */
  waiting?: { decided: number; failed: { uri: string; detail: string }[] };
  /** Findings the rebaseline raised (a flow log that stopped arriving, edges that had waited). */
  findings?: Finding[];
  messages?: IncidentMessage[];
}

/**
 * A rebaseline's plan as the engine makes it: the work items, and what deciding the waiting edges
 * (done while planning) found, for the run's report. JSON-serialisable: a Step Functions run
 * passes it from the planning task to the items and the finishing task.
 */
export interface EngineRebaselinePlan extends RebaselinePlan {
  waiting?: { groups: number; decided: number; failed: { uri: string; detail: string }[] };
  /** Findings and messages the decided edges sent. */
  findings?: Finding[];
  messages?: IncidentMessage[];
}
