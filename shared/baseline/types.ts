/** What a baseline knows about one value (a registry, a destination block, ...). */
export interface BaselineEntry {
  scope: string;
  kind: string;
  value: string;
  /** Epoch ms of the first and last sighting. */
  firstSeen: number;
  lastSeen: number;
  /** Sightings per UTC day (YYYY-MM-DD), within the retention window. */
  dayCounts: Record<string, number>;
  /** Total sightings within the retention window. */
  count: number;
  /** Distinct days seen. */
  days: number;
}

/** One value seen in one object, aggregated before it is written. */
export interface Observation<E> {
  scope: string;
  kind: string;
  value: string;
  day: string;
  count: number;
  firstTime: number;
  lastTime: number;
  /** The first event that showed it, for describing an anomaly. */
  sample: E;
  /** Id of the detector that observed it. */
  detectorId: string;
}
