import type { Entities, Finding } from '../alert';
import type { MapIndex } from './map-index';
import type { MapLink, NetworkMap } from './network-map-types';

/** The rule whose findings name a whole path: public source -> workload -> sensitive resource. */
export const EXPOSURE_RULE = 'net.exposure-path';

/** Where one finding sits on the map. */
export interface FindingPlacement {
  /** Links the finding points at. */
  links: string[];
  /** Nodes it names. */
  nodes: string[];
  /** True when it is an exposure path: its links and nodes are drawn as the path. */
  exposure: boolean;
}

/** Entity keys that name the client side of a flow, and the server side. */
const CLIENT_KEY = /^(src|client|source|from)/i;
const SERVER_KEY = /^(dst|server|dest|target|to$)/i;
/** Keys whose values are not endpoints even though their names match. */
const NOT_ENDPOINT = /(port|protocol|class)$/i;

function endpointRefs(entities: Entities, pattern: RegExp): unknown[] {
  return Object.entries(entities)
    .filter(([key, value]) => pattern.test(key) && !NOT_ENDPOINT.test(key) && typeof value !== 'number')
    .map(([, value]) => value);
}

function portOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,5}$/.test(value)) return Number(value);
  return undefined;
}

class LinkFinder {
  private readonly byPair = new Map<string, MapLink>();
  private readonly out = new Map<string, MapLink[]>();

  constructor(map: NetworkMap) {
    for (const link of map.links) {
      this.byPair.set(`${link.source}\u0000${link.target}`, link);
      const list = this.out.get(link.source) ?? [];
      list.push(link);
      this.out.set(link.source, list);
    }
  }

  /** Links between any node of `a` and any of `b`, either direction; with the port when one is given and matches. */
  between(a: Set<string>, b: Set<string>, port?: number): MapLink[] {
    const found: MapLink[] = [];
    for (const x of a) {
      for (const y of b) {
        for (const link of [this.byPair.get(`${x}\u0000${y}`), this.byPair.get(`${y}\u0000${x}`)]) {
          if (link && !found.includes(link)) found.push(link);
        }
      }
    }
    if (port === undefined) return found;
    const onPort = found.filter((link) => link.ports.some((p) => p.port === port));
    return onPort.length > 0 ? onPort : found;
  }

  /** Links from `a` to `b` through one node in between (public -> load balancer -> workload). */
  viaOne(a: Set<string>, b: Set<string>): MapLink[] {
    const found: MapLink[] = [];
    for (const x of a) {
      for (const first of this.out.get(x) ?? []) {
        for (const y of b) {
          const second = this.byPair.get(`${first.target}\u0000${y}`);
          if (second && first.target !== y && first.target !== x) found.push(first, second);
        }
      }
    }
    return [...new Set(found)];
  }
}

/**
 * The hops of an exposure path, as references: `entities.exposure` (`publicSource`, optional
 * `entryPoint`, `workload`, `sensitive`, `port`) or `entities.path` (a list of ids or labels),
 * whichever the finding has; both when it has both.
 */
function exposureHops(entities: Entities): { hops: unknown[][]; port?: number } {
  const hops: unknown[][] = [];
  const exposure = entities.exposure;
  let port: number | undefined;
  if (exposure && typeof exposure === 'object' && !Array.isArray(exposure)) {
    const e = exposure as Record<string, unknown>;
    const chain = [
      e.publicSource ?? e.source ?? e.public,
      e.entryPoint,
      e.workload,
      e.sensitive ?? e.resource ?? e.target,
    ];
    if (chain.filter((x) => x !== undefined).length >= 2) hops.push(chain.filter((x) => x !== undefined));
    port = portOf(e.port);
  }
  if (Array.isArray(entities.path) && entities.path.length >= 2) hops.push(entities.path);
  port ??= portOf(entities.dstPort) ?? portOf(entities.port);
  return { hops, ...(port !== undefined ? { port } : {}) };
}

/** Every reference a finding's entities make to the map: both ends of a flow, and the hops of a path. */
export function mapReferences(entities: Entities): unknown[] {
  return [
    ...endpointRefs(entities, CLIENT_KEY),
    ...endpointRefs(entities, SERVER_KEY),
    ...exposureHops(entities).hops.flat(),
  ];
}

/**
 * Places findings on the map. A flow finding points at the links between the nodes its
 * `srcAddr`/`dstAddr` (or client/server entity ids) name, on `dstPort` when that narrows it; a
 * finding that names only one side marks that node. An exposure path (`net.exposure-path`, or
 * any finding with `entities.path` or `entities.exposure`) marks each hop: the direct link, or
 * the two links through one node in between when there is no direct one.
 */
export function placeFindings(map: NetworkMap, index: MapIndex, findings: readonly Finding[]): FindingPlacement[] {
  const finder = new LinkFinder(map);
  return findings.map((finding) => {
    const links = new Set<string>();
    const nodes = new Set<string>();
    const entities = finding.entities ?? {};
    const { hops, port } = exposureHops(entities);
    const exposure = finding.ruleId === EXPOSURE_RULE || hops.length > 0;
    for (const chain of hops) {
      const resolved = chain.map((ref) => index.resolve(ref)).filter((ids) => ids.size > 0);
      for (const ids of resolved) for (const id of ids) nodes.add(id);
      for (let i = 0; i + 1 < resolved.length; i++) {
        const a = resolved[i] as Set<string>;
        const b = resolved[i + 1] as Set<string>;
        const last = i + 2 === resolved.length;
        let hop = finder.between(a, b, last ? port : undefined);
        if (hop.length === 0) hop = finder.viaOne(a, b);
        for (const link of hop) {
          links.add(link.id);
          nodes.add(link.source);
          nodes.add(link.target);
        }
      }
    }
    if (finding.source === 'vpc-flow' && links.size === 0) {
      const clients = index.resolve(endpointRefs(entities, CLIENT_KEY));
      const servers = index.resolve(endpointRefs(entities, SERVER_KEY));
      for (const id of [...clients, ...servers]) nodes.add(id);
      if (clients.size > 0 && servers.size > 0) {
        for (const link of finder.between(clients, servers, portOf(entities.dstPort))) links.add(link.id);
      }
    }
    return { links: [...links], nodes: [...nodes], exposure };
  });
}
