import type { Endpoint } from '../alert';
import { addressBlock, subnetBlock } from '../network';
import type { NetworkMap } from './network-map-types';

const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}(?:\/\d{1,2})?\b/g;
const IPV4_PORT = /^((?:\d{1,3}\.){3}\d{1,3}):\d+$/;
const IPV6ISH = /^[0-9a-f:]+(?:\/\d{1,3})?$/i;

/**
 * Finds the nodes of a map that a finding's entity names: a node or entity id, a label, an
 * address or block seen on the map, a group (`internet`, a namespace), or text that holds one of
 * these (`rds-subnets (10.0.200.0/24)`, `203.0.113.9:443`).
 */
export class MapIndex {
  private readonly byRef = new Map<string, Set<string>>();
  private readonly nodeIds: Set<string>;

  constructor(map: NetworkMap, aliases: Iterable<readonly [string, string]>) {
    this.nodeIds = new Set(map.nodes.map((n) => n.id));
    for (const [ref, id] of aliases) this.add(ref, id);
    for (const node of map.nodes) {
      this.add(node.id, node.id);
      this.add(node.label, node.id);
    }
    for (const group of map.groups) {
      for (const node of map.nodes) {
        if (node.group !== group.id) continue;
        this.add(group.id, node.id);
        this.add(group.label, node.id);
      }
    }
  }

  private add(ref: string, id: string): void {
    const key = ref.toLowerCase();
    const ids = this.byRef.get(key) ?? new Set();
    ids.add(id);
    this.byRef.set(key, ids);
  }

  /** Node ids of an endpoint of a finding: its entity when drawn, else its address, else its name. */
  endpoint(endpoint: Endpoint): Set<string> {
    for (const ref of [endpoint.entity, endpoint.address, endpoint.name]) {
      const ids = this.resolve(ref);
      if (ids.size > 0) return ids;
    }
    return new Set();
  }

  /** Node ids for a reference: an id, a label, an address or block, or text that holds one. */
  resolve(ref: string | undefined, depth = 0): Set<string> {
    const out = new Set<string>();
    if (depth > 3 || ref === undefined || ref.length === 0 || ref.length > 300) return out;
    const exact = this.byRef.get(ref.toLowerCase());
    if (exact) return new Set(exact);
    const hostPort = IPV4_PORT.exec(ref);
    if (hostPort?.[1]) return this.resolve(hostPort[1], depth + 1);
    if (/^(?:\d{1,3}\.){3}\d{1,3}$/.test(ref) || (ref.includes(':') && IPV6ISH.test(ref) && !ref.includes('/'))) {
      // An address the map never saw on its own: its block or subnet, if drawn.
      for (const id of [`net:${addressBlock(ref)}`, `subnet:${subnetBlock(ref)}`])
        if (this.nodeIds.has(id)) out.add(id);
      return out;
    }
    if (/^[0-9a-f.:]+\/\d{1,3}$/i.test(ref)) {
      // A block or subnet: the node drawn for it, if any.
      for (const id of [`subnet:${ref}`, `net:${ref}`, `external:${ref}`]) if (this.nodeIds.has(id)) out.add(id);
      return out;
    }
    const inner = ref.match(IPV4);
    if (inner && !(inner.length === 1 && inner[0] === ref)) {
      for (const match of inner) for (const id of this.resolve(match, depth + 1)) out.add(id);
    }
    return out;
  }
}
