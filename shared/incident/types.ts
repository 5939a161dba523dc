import type { Finding } from '../alert';
import type { Severity } from '../config';

/** Where an incident is in its life. `merged`: it turned out to share a key with an older one, which took its findings. */
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved' | 'merged';

/** What a message is: an incident opening, an update of one, or the daily digest. The SNS attribute `kind`. */
export type MessageKind = 'incident' | 'update' | 'digest';

/**
 * What joins findings: `identity:<user>`, `source:<address>`, `workload:<ns/name>`,
 * `pod:<address>`, `image:<repository>`, `destination:<address>`, and `condition:<rule>:<what>` for
 * a state that persists (an exposure path), which has no window while it is observed.
 */
export type KeyKind = 'identity' | 'source' | 'workload' | 'pod' | 'image' | 'destination' | 'condition';

/** One finding on an incident's timeline. */
export interface TimelineEntry {
  findingId: string;
  ruleId: string;
  severity: Severity;
  time: string;
  title: string;
  summary: string;
  /** The MITRE ATT&CK tactic of the rule's primary technique, when known. */
  tactic?: string;
  /** The keys it brought, `kind:value`. */
  keys: string[];
  /** The suppression that muted its notification, when one did. */
  mutedBy?: string;
  /**
   * A finding below `alerts.minSeverity`, joined as context: shown on the timeline, never told, and
   * no part of the incident's severity, rules, keys, tactics or time span.
   */
  context?: true;
  /** The same finding seen again later (after its dedupe window): how often, and when last. */
  repeats?: { count: number; last: string };
}

/** Why findings were joined: one correlation key and how many of the incident's findings carry it. */
export interface JoinReason {
  key: string;
  findings: number;
  /** The same thing in words: "the same identity (bob)". */
  because: string;
}

/** A change of an incident's state by a person or by Driftwatch. */
export interface LifecycleEvent {
  at: string;
  action: 'opened' | 'acknowledged' | 'resolved' | 'reopened' | 'merged' | 'ack-expired' | 'linked';
  by: string;
  reason?: string;
}

/** What the last message told subscribers, so the next one is sent only when something changed. */
export interface Notified {
  severity: Severity;
  rules: string[];
  /** The elements of the incident's conditions (hops of an exposure path, ...). */
  elements: string[];
  /** The status then (a reopen or an expired acknowledgement is news). */
  status: IncidentStatus;
  at: string;
}

export interface IncidentEntities {
  identities: string[];
  workloads: string[];
  sources: string[];
  destinations: string[];
  images: string[];
  namespaces: string[];
}

/** An incident: findings that share a correlation key within a window, told to people as one. */
export interface Incident {
  id: string;
  cluster: string;
  /** Names the main actor and target. */
  title: string;
  /** The highest of its findings, raised one step (to critical at most) when they span three or more tactics. */
  severity: Severity;
  /** The highest of its findings. */
  findingSeverity: Severity;
  status: IncidentStatus;
  firstSeen: string;
  lastSeen: string;
  /** Ids of its findings, in time order. */
  findings: string[];
  /** Its rule ids, in the order they first appeared. */
  rules: string[];
  /** The correlation keys that joined them. */
  keys: string[];
  joins: JoinReason[];
  tactics: string[];
  entities: IncidentEntities;
  timeline: TimelineEntry[];
  /** Conditions it stands for (`condition:` keys) and their elements. */
  conditions: { key: string; elements: string[] }[];
  /** Messages it caused. */
  messages: number;
  /** Findings since its last message that caused none (kinds it already had), shown in the next update. */
  quiet: number;
  notified?: Notified;
  acknowledged?: { reason: string; by: string; at: string; until?: string };
  resolvedAt?: string;
  /** The incident this one continues (the older one was full). */
  linkedTo?: string;
  /** The older incident that took this one's findings. */
  mergedInto?: string;
  /** Incidents merged into this one. */
  merged: string[];
  history: LifecycleEvent[];
}

/** One message to subscribers. Its id is stable across retries: `<incidentId>#<n>` or `digest#<day>`. */
export interface IncidentMessage {
  id: string;
  kind: MessageKind;
  severity: Severity;
  cluster: string;
  /** Every rule of the incident (the SNS attribute `ruleId`, a string array). */
  ruleIds: string[];
  /** Why it was sent, in words: "opened", "escalated from high to critical", "new kind of finding: ...". */
  reason: string;
  incident?: Incident;
  /** The incident's findings (the newest ones first when they do not all fit). */
  findings: Finding[];
  /** Set on `digest` messages. */
  digest?: Digest;
}

/** The daily digest's content. */
export interface Digest {
  day: string;
  cluster: string;
  opened: IncidentLine[];
  updated: IncidentLine[];
  stillOpen: IncidentLine[];
  /** Findings below the notification threshold in the day, by rule. */
  belowThreshold: Record<string, number>;
  /** What suppressions muted in the day, by suppression id. */
  muted: Record<string, number>;
  /** Per cluster or VPC: learning until, or learned. */
  learning: { scope: string; learningUntil?: string; learned: boolean }[];
  health: { objects: number; rejected: number; deadLetters?: Record<string, number> };
}

export interface IncidentLine {
  id: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  firstSeen: string;
  lastSeen: string;
  findings: number;
}
