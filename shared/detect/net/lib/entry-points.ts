import type { FlowEdge } from '../../../network';
import { addressBlock, clientOpened, isInternal } from '../../../network';
import { shardOf } from '../../../util';

/** The part of the detector context the learner reads. */
interface LearnerContext {
  config: { network: { learnEntryPoints: boolean } };
  network: { entryPoint(address: string): unknown; entryInterfaces: ReadonlySet<string> };
}

/**
 * The baseline that learns public entry points: which internal addresses the internet opens
 * connections to on the web ports, from how many distinct sources, day by day. Folded by the
 * rebaseline like every other baseline, so it learns in the Lambdas and the CLI alike.
 */
export const ENTRY_POINT_BASELINE = 'entry-point-activity';

/** The id its observations are written under: a learner, not a detector; it never fires. */
export const ENTRY_POINT_LEARNER_ID = 'learn.entry-points';

/** The ports a load balancer listens on for the internet. Anything else exposed is not a front door. */
const WEB_PORTS: ReadonlySet<number> = new Set([80, 443]);

/**
 * Distinct days an address must take public web traffic on, from many sources, to be learned.
 * Five of the seven learning days: a load balancer takes traffic every day; an address an attacker
 * opened during learning fires `net.public-ingress` on each of its first five days before it can be
 * learned, and one opened for a day or two never is.
 */
export const ENTRY_POINT_MIN_DAYS = 5;

/**
 * Public sources are spread over this many buckets (by their /24): the baseline keeps one value
 * per address, port and bucket, so a load balancer's thousands of clients cost a few dozen values.
 */
const SOURCE_BUCKETS = 32;

/**
 * Distinct source buckets a day needs to count: many unrelated networks, not one scanner or one
 * partner calling every day.
 */
const MIN_SOURCE_BUCKETS = 6;

/** Entity kinds the pod IP map names: a pod or a node exposed to the internet is never a load balancer. */
const ATTRIBUTED = new Set(['workload', 'pod', 'node']);

/** An address learned as a public entry point, in its scope (VPC). */
export interface LearnedEntryPoint {
  scope: string;
  address: string;
}

/** What the rebaseline knows about one observed value: the days it was seen on. */
interface EntryEntry {
  scope: string;
  value: string;
  dayCounts: Record<string, number>;
}

/**
 * The entry points learned so far, by scope. Built empty with the context; the engine replaces its
 * contents from the baseline. Attribution names a learned address an entry point only when the pod
 * IP map does not name it, so a pod that later holds the address is still a pod.
 */
export class LearnedEntryPoints {
  private byScope = new Map<string, Set<string>>();

  replace(learned: readonly LearnedEntryPoint[]): void {
    this.byScope = new Map();
    for (const { scope, address } of learned) {
      let addresses = this.byScope.get(scope);
      if (!addresses) {
        addresses = new Set();
        this.byScope.set(scope, addresses);
      }
      addresses.add(address);
    }
  }

  /** The learned addresses of a scope. */
  addresses(scope: string): ReadonlySet<string> {
    return this.byScope.get(scope) ?? new Set();
  }
}

/**
 * What one edge tells about its server as a possible load balancer: an accepted connection the
 * internet opened to an internal address on a web port, that no pod or node holds and that is not
 * already a configured entry point. The value is the address, the port and the source's bucket.
 */
export function entryPointObservations(edge: FlowEdge, context: LearnerContext): string[] | undefined {
  if (!context.config.network.learnEntryPoints) return undefined;
  if (edge.clientClass !== 'public' || !isInternal(edge.serverClass) || edge.accepted === 0) return undefined;
  if (edge.protocol !== 6 || !clientOpened(edge)) return undefined;
  const port = edge.serverPort;
  if (port === undefined || !WEB_PORTS.has(port)) return undefined;
  if (ATTRIBUTED.has(edge.serverEntity?.kind ?? '')) return undefined;
  if (context.network.entryPoint(edge.server) !== undefined) return undefined;
  if (edge.interfaceId !== undefined && context.network.entryInterfaces.has(edge.interfaceId)) return undefined;
  return [`${edge.server}|${port}|${sourceBucket(edge.client)}`];
}

/**
 * The addresses the baseline shows taking the internet's web traffic like a load balancer: on at
 * least {@link ENTRY_POINT_MIN_DAYS} days, each with sources from many networks.
 */
export function learnEntryPoints(entries: readonly EntryEntry[]): LearnedEntryPoint[] {
  // scope|address -> day -> source buckets seen that day.
  const byAddress = new Map<string, Map<string, Set<string>>>();
  for (const entry of entries) {
    const [address, , bucket] = entry.value.split('|');
    if (!address || bucket === undefined) continue;
    const key = `${entry.scope}|${address}`;
    let days = byAddress.get(key);
    if (!days) {
      days = new Map();
      byAddress.set(key, days);
    }
    for (const day of Object.keys(entry.dayCounts)) {
      let buckets = days.get(day);
      if (!buckets) {
        buckets = new Set();
        days.set(day, buckets);
      }
      buckets.add(bucket);
    }
  }
  const learned: LearnedEntryPoint[] = [];
  for (const [key, days] of byAddress) {
    const busy = [...days.values()].filter((buckets) => buckets.size >= MIN_SOURCE_BUCKETS).length;
    if (busy < ENTRY_POINT_MIN_DAYS) continue;
    const cut = key.lastIndexOf('|');
    learned.push({ scope: key.slice(0, cut), address: key.slice(cut + 1) });
  }
  return learned.sort((a, b) => a.scope.localeCompare(b.scope) || a.address.localeCompare(b.address));
}

/** The bucket of a public source's /24: stable across runs and processes. */
function sourceBucket(client: string): number {
  return shardOf(addressBlock(client), SOURCE_BUCKETS);
}
