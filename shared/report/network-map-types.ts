/**
 * The network map as the report draws it, and as the page's data carries it (report-data.ts
 * embeds it; client/report.js reads it, so the field names are a contract). Apart from
 * network-map.ts, which builds it, so that what reads a map (map-index.ts, highlights.ts) does
 * not import what builds one.
 */
import type { EntityKind, Traffic } from '../network';
import type { DroppedEdges } from './run-edge-recorder';

/** What a node of the map stands for. */
export type MapNodeKind = EntityKind | 'address' | 'subnet' | 'block' | 'other';

/** How a group of the map was formed. */
export type MapGroupKind = 'entity' | 'internet' | 'aws' | 'subnet' | 'private';

/** A node of the drawn map: an entity, an internal address, an external block or service. */
export interface MapNode {
  id: string;
  label: string;
  /** Id of the {@link MapGroup} that holds it. */
  group: string;
  kind: MapNodeKind;
  /** True for the outside world: public blocks and AWS services. */
  external: boolean;
  /** How many distinct logged addresses (or folded blocks) it stands for. */
  addresses: number;
  /** A few of them, for the reader. */
  sampleAddresses: string[];
  bytes: number;
  flows: number;
}

export interface MapGroup {
  id: string;
  label: string;
  kind: MapGroupKind;
}

/** Traffic on one server port of a link, as drawn: bytes both ways, not each. */
export interface MapPort extends Pick<Traffic, 'flows' | 'accepted' | 'rejected'> {
  port?: number;
  protocol?: number;
  /** Bytes both ways. */
  bytes: number;
}

/** Traffic from one node to another (client to server), over all ports, as drawn: no packets. */
export interface MapLink extends Omit<Traffic, 'packets'> {
  id: string;
  source: string;
  target: string;
  /** Bytes both ways. */
  bytes: number;
  /** Epoch ms of the first and last record. */
  firstTime: number;
  lastTime: number;
  /** The busiest ports first. */
  ports: MapPort[];
}

/** The network map as drawn: nodes in groups, and links between them. */
export interface NetworkMap {
  nodes: MapNode[];
  groups: MapGroup[];
  links: MapLink[];
  /** What went into it, and what was folded or collapsed to keep it readable. */
  totals: {
    /** Run edges drawn (the name is the report data's, which the page reads). */
    recordedEdges: number;
    foldedEdges: number;
    dropped: DroppedEdges;
    /** External blocks drawn as one "other" node. */
    collapsedExternal: number;
    /** Internal addresses drawn as their subnet. */
    collapsedAddresses: number;
  };
}
