import type { Endpoint, Finding, FindingRoles } from '../alert';
import type { MapIndex } from './map-index';
import type { MapLink, NetworkMap } from './network-map-types';

/** Where one finding sits on the map. */
export interface FindingPlacement {
  /** Links the finding points at. */
  links: string[];
  /** Nodes it names. */
  nodes: string[];
  /** True when it is an exposure path: its links and nodes are drawn as the path. */
  exposure: boolean;
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

/** Every endpoint a finding's roles name: both ends of its traffic, and the hops of its path. */
export function roleEndpoints(roles: FindingRoles | undefined): Endpoint[] {
  if (!roles) return [];
  return [roles.client, roles.server, ...(roles.path ?? [])].filter((e): e is Endpoint => e !== undefined);
}

/**
 * Places findings on the map, from the roles their entities play. A finding about traffic points
 * at the links between the nodes of its client and its server, on its port when that narrows it;
 * one that names only one end marks that node. A finding with a path (an exposure path) marks
 * each hop: the direct link, or the two links through one node in between when there is no
 * direct one.
 */
export function placeFindings(map: NetworkMap, index: MapIndex, findings: readonly Finding[]): FindingPlacement[] {
  const finder = new LinkFinder(map);
  return findings.map((finding) => {
    const links = new Set<string>();
    const nodes = new Set<string>();
    const roles = finding.roles ?? {};
    const path = roles.path ?? [];
    const hops = path.map((hop) => index.endpoint(hop)).filter((ids) => ids.size > 0);
    for (const ids of hops) for (const id of ids) nodes.add(id);
    for (let i = 0; i + 1 < hops.length; i++) {
      const a = hops[i] as Set<string>;
      const b = hops[i + 1] as Set<string>;
      const last = i + 2 === hops.length;
      let hop = finder.between(a, b, last ? roles.port : undefined);
      if (hop.length === 0) hop = finder.viaOne(a, b);
      for (const link of hop) {
        links.add(link.id);
        nodes.add(link.source);
        nodes.add(link.target);
      }
    }
    if (links.size === 0) {
      const clients = roles.client ? index.endpoint(roles.client) : new Set<string>();
      const servers = roles.server ? index.endpoint(roles.server) : new Set<string>();
      for (const id of [...clients, ...servers]) nodes.add(id);
      if (clients.size > 0 && servers.size > 0) {
        for (const link of finder.between(clients, servers, roles.port)) links.add(link.id);
      }
    }
    return { links: [...links], nodes: [...nodes], exposure: path.length > 0 };
  });
}
