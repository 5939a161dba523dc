import type { Traffic } from '../network';
import { addressBlock, addTraffic, emptyTraffic, subnetBlock, trafficBytes } from '../network';
import { MapIndex } from './map-index';
import type { MapGroup, MapGroupKind, MapLink, MapNode, MapNodeKind, MapPort, NetworkMap } from './network-map-types';
import type { DroppedEdges, RunEdge, RunEndpoint } from './run-edge-recorder';

/** Options of {@link buildNetworkMap}. */
export interface NetworkMapOptions {
  /**
   * Most external nodes: blocks drawn one by one, destinations first, then by traffic; the rest
   * are drawn as "other internet destinations" and "other internet clients".
   * @default 24
   */
  maxExternalNodes?: number;
  /**
   * Most nodes drawn; past it, the quietest internal addresses are drawn as their subnet.
   * @default 64
   */
  maxNodes?: number;
  /**
   * Addresses, blocks and entity ids that findings name: never collapsed, so they stay visible
   * and can be highlighted.
   */
  pinned?: Iterable<string>;
  dropped?: DroppedEdges;
}

const DEFAULTS = { maxExternalNodes: 24, maxNodes: 64 } as const;

const INTERNET_GROUP = 'internet';
const AWS_GROUP = 'aws';
/** Distinct addresses counted per node; past it the count is a floor. */
const MAX_ADDRESSES = 1000;
const OTHER_DESTINATIONS = 'net:other-destinations';
const OTHER_CLIENTS = 'net:other-clients';

interface Target {
  id: string;
  label: string;
  group: MapGroup;
  kind: MapNodeKind;
  external: boolean;
}

interface BaseNode {
  id: string;
  label: string;
  group: MapGroup;
  kind: MapNodeKind;
  external: boolean;
  /** The subnet node it collapses into, for internal addresses. */
  subnet?: { id: string; label: string };
  /** The keys by which findings may name it. */
  refs: string[];
}

function groupOfSubnet(subnet: string, addressClass: RunEndpoint['addressClass']): MapGroup {
  return addressClass === 'vpc'
    ? { id: `subnet:${subnet}`, label: `VPC ${subnet}`, kind: 'subnet' }
    : { id: 'private', label: 'private, outside the VPC', kind: 'private' };
}

function subnetNode(subnet: string): { id: string; label: string } {
  return { id: `subnet:${subnet}`, label: `${subnet} (other addresses)` };
}

/** The node an endpoint is drawn as, before collapsing. */
function baseNodeOf(endpoint: RunEndpoint): BaseNode {
  const { entity } = endpoint;
  if (entity) {
    const external = entity.kind === 'external' || entity.kind === 'aws-service';
    return {
      id: entity.id,
      label: entity.label,
      group: {
        id: `group:${entity.group}`,
        label: entity.group,
        kind: external ? groupKindOf(entity.group) : 'entity',
      },
      kind: entity.kind,
      external,
      // An address nobody claimed can stand for its subnet when the map has too many nodes.
      ...(entity.kind === 'unknown' && !endpoint.block
        ? { subnet: subnetNode(entity.cidr ?? subnetBlock(endpoint.address)) }
        : {}),
      refs: [entity.id, entity.label, endpoint.address],
    };
  }
  if (endpoint.addressClass === 'aws-service') {
    const service = endpoint.service ?? endpoint.address;
    return {
      id: `aws:${service}`,
      label: service,
      group: { id: AWS_GROUP, label: 'AWS services', kind: 'aws' },
      kind: 'aws-service',
      external: true,
      refs: [service, endpoint.address],
    };
  }
  if (endpoint.addressClass === 'public') {
    const block = endpoint.block ? endpoint.address : addressBlock(endpoint.address);
    return {
      id: `net:${block}`,
      label: block,
      group: { id: INTERNET_GROUP, label: 'internet', kind: 'internet' },
      kind: 'block',
      external: true,
      refs: [block, endpoint.address],
    };
  }
  const subnet = endpoint.block ? endpoint.address : subnetBlock(endpoint.address);
  const group = groupOfSubnet(subnet, endpoint.addressClass);
  if (endpoint.block) {
    return { id: `subnet:${subnet}`, label: subnet, group, kind: 'subnet', external: false, refs: [subnet] };
  }
  return {
    id: `ip:${endpoint.address}`,
    label: endpoint.address,
    group,
    kind: 'address',
    external: false,
    subnet: subnetNode(subnet),
    refs: [endpoint.address],
  };
}

function groupKindOf(group: string): MapGroupKind {
  if (group === AWS_GROUP) return 'aws';
  return group === INTERNET_GROUP ? 'internet' : 'entity';
}

interface NodeBuild {
  base: BaseNode;
  addresses: Set<string>;
  traffic: Traffic;
  pinned: boolean;
  /** Seen as the server of an edge: a destination, not only a client. */
  serves: boolean;
}

/** A link's traffic as it is summed, before it is drawn. */
interface LinkBuild {
  id: string;
  source: string;
  target: string;
  traffic: Traffic;
  firstTime: number;
  lastTime: number;
  ports: Map<string, { port?: number; protocol?: number; traffic: Traffic }>;
}

/** A link as drawn, its busiest ports first. */
function drawLink(link: LinkBuild): MapLink {
  const { traffic } = link;
  return {
    id: link.id,
    source: link.source,
    target: link.target,
    bytes: trafficBytes(traffic),
    bytesToServer: traffic.bytesToServer,
    bytesToClient: traffic.bytesToClient,
    flows: traffic.flows,
    accepted: traffic.accepted,
    rejected: traffic.rejected,
    firstTime: link.firstTime,
    lastTime: link.lastTime,
    ports: [...link.ports.values()]
      .map(
        ({ port, protocol, traffic: t }): MapPort => ({
          ...(port !== undefined ? { port } : {}),
          ...(protocol !== undefined ? { protocol } : {}),
          bytes: trafficBytes(t),
          flows: t.flows,
          accepted: t.accepted,
          rejected: t.rejected,
        }),
      )
      .sort((a, b) => b.bytes - a.bytes || b.flows - a.flows),
  };
}

/**
 * Turns the run edges into the map the report draws. Nodes are the attributed entities when
 * edges carry them, grouped by `NetworkEntity.group` (namespace, CIDR label, `internet`, `aws`).
 * Without entities, internal addresses are nodes grouped by subnet, public addresses are their
 * /24 (or /48) inside one `internet` group, and AWS services are one node each. To keep it
 * readable, the smallest external blocks become one "other" node and, if there are still too
 * many nodes, internal addresses become their subnet; nodes that findings name are kept.
 */
export function buildNetworkMap(
  edges: readonly RunEdge[],
  options: NetworkMapOptions = {},
): { map: NetworkMap; index: MapIndex } {
  const o = { ...DEFAULTS, ...options };
  const pinned = new Set(options.pinned ?? []);
  const builds = new Map<string, NodeBuild>();
  const touch = (endpoint: RunEndpoint, edge: RunEdge, serves: boolean): string => {
    const base = baseNodeOf(endpoint);
    let build = builds.get(base.id);
    if (!build) {
      build = { base, addresses: new Set(), traffic: emptyTraffic(), pinned: false, serves: false };
      builds.set(base.id, build);
    }
    if (serves) build.serves = true;
    for (const address of [endpoint.address, ...(endpoint.otherAddresses ?? [])]) {
      if (build.addresses.size < MAX_ADDRESSES) build.addresses.add(address);
    }
    addTraffic(build.traffic, edge);
    if (!build.pinned && [...base.refs, ...(endpoint.otherAddresses ?? [])].some((r) => pinned.has(r))) {
      build.pinned = true;
    }
    return base.id;
  };
  const ends = edges.map((edge) => [touch(edge.client, edge, false), touch(edge.server, edge, true)] as const);

  // Collapse: first the quietest external blocks (inbound-only sources apart from destinations),
  // then the quietest internal addresses into their subnet.
  const target = new Map<string, Target>();
  let collapsedExternal = 0;
  const blocks = [...builds.values()]
    .filter((b) => b.base.external && b.base.kind !== 'aws-service')
    .sort(
      (a, b) =>
        Number(b.serves) - Number(a.serves) ||
        trafficBytes(b.traffic) - trafficBytes(a.traffic) ||
        a.base.id.localeCompare(b.base.id),
    );
  if (blocks.length > o.maxExternalNodes) {
    // Room for the "other" nodes the collapsed blocks go into.
    const others = new Set(blocks.slice(o.maxExternalNodes - 2).map((b) => b.serves)).size;
    let room = o.maxExternalNodes - others - blocks.filter((b) => b.pinned).length;
    for (const b of blocks) {
      if (b.pinned) continue;
      if (room > 0) {
        room--;
        continue;
      }
      collapsedExternal++;
      target.set(
        b.base.id,
        b.serves
          ? {
              id: OTHER_DESTINATIONS,
              label: 'other internet destinations',
              group: b.base.group,
              kind: 'other',
              external: true,
            }
          : { id: OTHER_CLIENTS, label: 'other internet clients', group: b.base.group, kind: 'other', external: true },
      );
    }
  }
  let collapsedAddresses = 0;
  let drawn = new Set([...builds.keys()].map((id) => target.get(id)?.id ?? id)).size;
  if (drawn > o.maxNodes) {
    const subnets = new Set<string>();
    const quietest = [...builds.values()]
      .filter((b) => b.base.subnet && !b.pinned)
      .sort((a, b) => trafficBytes(a.traffic) - trafficBytes(b.traffic) || a.base.id.localeCompare(b.base.id));
    for (const b of quietest) {
      if (drawn <= o.maxNodes) break;
      const subnet = b.base.subnet as { id: string; label: string };
      target.set(b.base.id, {
        id: subnet.id,
        label: subnet.label,
        group: b.base.group,
        kind: 'subnet',
        external: false,
      });
      collapsedAddresses++;
      if (subnets.has(subnet.id) || builds.has(subnet.id)) drawn--;
      subnets.add(subnet.id);
    }
  }

  const nodes = new Map<string, MapNode>();
  const groups = new Map<string, MapGroup>();
  const aliases: [string, string][] = [];
  for (const [id, b] of builds) {
    const t = target.get(id) ?? b.base;
    for (const ref of b.base.refs) aliases.push([ref, t.id]);
    for (const address of b.addresses) aliases.push([address, t.id]);
    if (t.id !== id) aliases.push([id, t.id]);
    groups.set(t.group.id, t.group);
    let node = nodes.get(t.id);
    if (!node) {
      node = {
        id: t.id,
        label: t.label,
        group: t.group.id,
        kind: t.kind,
        external: t.external,
        addresses: 0,
        sampleAddresses: [],
        bytes: 0,
        flows: 0,
      };
      nodes.set(t.id, node);
    }
    node.addresses += b.addresses.size;
    for (const a of b.addresses) if (node.sampleAddresses.length < 5) node.sampleAddresses.push(a);
    node.bytes += trafficBytes(b.traffic);
    node.flows += b.traffic.flows;
  }

  const links = new Map<string, LinkBuild>();
  edges.forEach((edge, i) => {
    const [c, s] = ends[i] as readonly [string, string];
    const source = target.get(c)?.id ?? c;
    const targetId = target.get(s)?.id ?? s;
    const id = `${source}->${targetId}`;
    let link = links.get(id);
    if (!link) {
      link = {
        id,
        source,
        target: targetId,
        traffic: emptyTraffic(),
        firstTime: edge.firstTime,
        lastTime: edge.lastTime,
        ports: new Map(),
      };
      links.set(id, link);
    }
    addTraffic(link.traffic, edge);
    link.firstTime = Math.min(link.firstTime, edge.firstTime);
    link.lastTime = Math.max(link.lastTime, edge.lastTime);
    const portKey = `${edge.serverPort ?? ''}/${edge.protocol ?? ''}`;
    let port = link.ports.get(portKey);
    if (!port) {
      port = { port: edge.serverPort, protocol: edge.protocol, traffic: emptyTraffic() };
      link.ports.set(portKey, port);
    }
    addTraffic(port.traffic, edge);
  });

  const map: NetworkMap = {
    nodes: [...nodes.values()].sort((a, b) => a.group.localeCompare(b.group) || a.id.localeCompare(b.id)),
    groups: [...groups.values()].sort((a, b) => a.id.localeCompare(b.id)),
    links: [...links.values()].map(drawLink).sort((a, b) => a.id.localeCompare(b.id)),
    totals: {
      recordedEdges: edges.length,
      foldedEdges: edges.filter((e) => e.folded).length,
      dropped: options.dropped ?? { objectEdges: 0, flows: 0, bytes: 0 },
      collapsedExternal,
      collapsedAddresses,
    },
  };
  return { map, index: new MapIndex(map, aliases) };
}
