import { Outbox } from '../alert';
import { BaselineStore, learningStatus } from '../baseline';
import type { Config } from '../config';
import type { Digest, Incident, IncidentMessage, MessageDeliveryOptions, MessageSink } from '../incident';
import { buildDigest, DailyCounts, digestMessage, MessageDelivery } from '../incident';
import type { Table } from '../store';
import { DAY_MS, dayOf } from '../util';

/** Where the digest reads incidents from: the incident store's `list()`. */
export interface IncidentSource {
  list(): Promise<Incident[]>;
}

export interface DailyDigestOptions {
  config: Config;
  table: Table;
  incidents: IncidentSource;
  sink: MessageSink;
  /**
   * Messages waiting in each dead-letter queue, by queue name.
   * @default - not read; the digest says so
   */
  deadLetters?: () => Promise<Record<string, number>>;
  /** Wall clock, for the outbox's leases. @default Date.now */
  clock?: () => number;
  /** How publishing retries what the sink failed (tests wait less). */
  delivery?: MessageDeliveryOptions;
}

/** What a digest run did. */
export interface DigestReport {
  day: string;
  /** The clusters a digest was built for. */
  clusters: string[];
  /** Digests this run published. */
  published: number;
  /** Digests an earlier run of the same day published, not sent again. */
  alreadySent: number;
}

/**
 * How long one run holds a digest it is publishing. The digest function's timeout is as long
 * (infra/processors.ts), so a run that died holding it has let go by the time Lambda retries it.
 */
const DIGEST_LEASE_MS = 2 * 60_000;

/**
 * The daily digest: once a day, per cluster, what happened the day before. Each digest is an
 * outbox entry of the day's run (`digest#<day>`), so a retried or repeated run of the same day
 * sends each cluster's digest once.
 */
export class DailyDigest {
  private readonly counts: DailyCounts;
  private readonly baselines: BaselineStore;
  private readonly delivery: MessageDelivery;

  constructor(private readonly options: DailyDigestOptions) {
    this.counts = new DailyCounts(options.table);
    this.baselines = new BaselineStore({ table: options.table });
    const outbox = new Outbox<IncidentMessage>(options.table, options.clock ?? Date.now, DIGEST_LEASE_MS);
    this.delivery = new MessageDelivery(outbox, options.sink, options.delivery);
  }

  /** Builds and sends the digests of the UTC day before `scheduledTime` (the schedule's time, epoch ms). */
  async send(scheduledTime: number): Promise<DigestReport> {
    const day = digestDay(scheduledTime);
    const digests = await this.build(day, scheduledTime);
    const delivered = await this.delivery.deliver(`digest#${day}`, digests.map(digestMessage));
    return {
      day,
      clusters: digests.map((d) => d.cluster),
      published: delivered.published.length,
      alreadySent: delivered.alreadySent.length,
    };
  }

  /**
   * One digest per cluster: the configured cluster always (a quiet day is news too, and proves the
   * pipeline ran), any other only when it had incidents or counts.
   */
  private async build(day: string, now: number): Promise<Digest[]> {
    const { config } = this.options;
    const [incidents, counts, learning, deadLetters] = await Promise.all([
      this.options.incidents.list(),
      this.counts.readDay(day),
      learningStatus(this.baselines, config.learning.days, now),
      this.options.deadLetters?.(),
    ]);
    const clusters = new Set([config.clusterName, ...counts.keys(), ...incidents.map((i) => i.cluster)]);
    const digests: Digest[] = [];
    for (const cluster of [...clusters].sort()) {
      const digest = buildDigest({
        day,
        cluster,
        incidents,
        counts: counts.get(cluster) ?? { objects: 0, rejected: 0, below: {}, muted: {} },
        learning,
        ...(deadLetters ? { deadLetters } : {}),
      });
      if (cluster === config.clusterName || counts.has(cluster) || hasIncidents(digest)) digests.push(digest);
    }
    return digests;
  }
}

/** The UTC day a run scheduled at `time` reports: the one before. */
function digestDay(time: number): string {
  return dayOf(Math.floor(time / DAY_MS) * DAY_MS - DAY_MS);
}

function hasIncidents(digest: Digest): boolean {
  return digest.opened.length + digest.updated.length + digest.stillOpen.length > 0;
}
