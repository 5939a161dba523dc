/**
 * The tables {@link EdgeAggregator} folds records into: addresses numbered as they first appear
 * ({@link AddressIds}) and one scope's edges by numbered key with their counts ({@link EdgeTable}).
 * Hand-made hash tables, because aggregation is most of a flow object's time: what they compute
 * is stated plainly in flow-edge.ts (and {@link FlowEdge}), and the property test in
 * test/network/flow-line-aggregation.test.ts holds the two paths that use them to the same edges.
 */
import { ActionCode } from '../ingest';
import { canonicalIpv4 } from '../intel';

/**
 * Numbers addresses as they first appear. IPv4 (nearly every address in a flow log) goes through an
 * open-addressed table of plain integers: parsing ten characters is cheaper than hashing a fresh
 * string for a `Map`, and the table allocates nothing per lookup. Other addresses use a `Map`.
 */
export class AddressIds {
  /** Per slot the address and its id + 1 (0 marks an empty slot), side by side: one cache line a probe. */
  private slots = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private ipv4Count = 0;
  private readonly others = new Map<string, number>();
  /** Each id's address as text, made when first asked for; its IPv4 number, or -1. */
  private readonly names: (string | undefined)[] = [];
  private readonly numbers: number[] = [];
  /**
   * Ids of IPv4 blocks (folded public sources) by network number with the prefix length in its
   * free low bits (folds are /24 and wider), and of other blocks by their CIDR text.
   */
  private readonly blocks4 = new IntIds();
  private readonly blocks = new Map<string, number>();
  /** The prefix length of each block id. */
  private readonly blockPrefixes = new Map<number, number>();

  get size(): number {
    return this.names.length;
  }

  idOf(address: string): number {
    const ip = canonicalIpv4(address);
    if (ip >= 0) return this.ipv4Id(ip);
    let id = this.others.get(address);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(address);
      this.numbers.push(-1);
      this.others.set(address, id);
    }
    return id;
  }

  /** The id of an IPv4 address given as its unsigned 32-bit number. */
  ipv4Id(ip: number): number {
    const key = ip | 0;
    const { slots, mask } = this;
    let slot = hash1(key) & mask;
    for (;;) {
      const stored = slots[2 * slot + 1] as number;
      if (stored === 0) break;
      if (slots[2 * slot] === key) return stored - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.names.length;
    this.names.push(undefined);
    this.numbers.push(ip);
    slots[2 * slot] = key;
    slots[2 * slot + 1] = id + 1;
    if (++this.ipv4Count * 2 > mask) this.grow();
    return id;
  }

  /**
   * The id of a block of addresses, as {@link prefixOf} writes it (`203.0.113.0/24`): the block of
   * `bits` bits holding the IPv4 address `ip` (unsigned), or for another address the block's
   * `cidr` text. A block is never the id of an address: its text has a prefix length.
   */
  blockId(bits: number, ip: number, cidr?: string): number {
    const network = ip < 0 ? -1 : bits === 0 ? 0 : ((ip >>> (32 - bits)) << (32 - bits)) >>> 0;
    const next = this.names.length;
    const id = ip < 0 ? this.blocks.get(cidr as string) : this.blocks4.idOf(network | bits | 0, next);
    if (id !== undefined && id !== next) return id;
    this.names.push(ip < 0 ? cidr : `${dottedQuad(network)}/${bits}`);
    this.numbers.push(network);
    this.blockPrefixes.set(next, bits);
    if (ip < 0) this.blocks.set(cidr as string, next);
    return next;
  }

  /** The prefix length of a block id ({@link blockId}); undefined for an address. */
  blockPrefix(id: number): number | undefined {
    return this.blockPrefixes.get(id);
  }

  /** The IPv4 address (or block network) of an id as an unsigned number; -1 for other addresses. */
  numberOf(id: number): number {
    return this.numbers[id] as number;
  }

  /** The address of an id, as text (canonical dotted quad for IPv4, which is how it was written). */
  nameOf(id: number): string {
    let name = this.names[id];
    if (name === undefined) {
      const ip = this.numbers[id] as number;
      name = dottedQuad(ip);
      this.names[id] = name;
    }
    return name;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = old.length;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      const id = old[i + 1] as number;
      if (id === 0) continue;
      const key = old[i] as number;
      let slot = hash1(key) & this.mask;
      while (this.slots[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
      this.slots[2 * slot] = key;
      this.slots[2 * slot + 1] = id;
    }
  }
}

/** An open-addressed table of 32-bit keys to ids, allocating nothing per lookup. */
class IntIds {
  /** Per slot the key and its id + 1 (0 marks an empty slot). */
  private slots = new Int32Array(2 << 8);
  private mask = (1 << 8) - 1;
  private count = 0;

  /** The id of `key`; for a key not seen before, `next`, which it then keeps. */
  idOf(key: number, next: number): number {
    const { slots, mask } = this;
    let slot = hash1(key) & mask;
    for (;;) {
      const stored = slots[2 * slot + 1] as number;
      if (stored === 0) break;
      if (slots[2 * slot] === key) return stored - 1;
      slot = (slot + 1) & mask;
    }
    slots[2 * slot] = key;
    slots[2 * slot + 1] = next + 1;
    if (++this.count * 2 > mask) this.grow();
    return next;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] === 0) continue;
      let slot = hash1(old[i] as number) & this.mask;
      while (this.slots[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
      this.slots[2 * slot] = old[i] as number;
      this.slots[2 * slot + 1] = old[i + 1] as number;
    }
  }
}

function dottedQuad(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Int32 values per {@link EdgeTable} slot: 64 bytes, one cache line. */
const SLOT_INTS = 16;
/** Where each value sits in a slot, as an Int32 index (counts and times) or a Float64 index (sums). */
const CLIENT = 0;
const SERVER = 1;
const PORT_PROTOCOL = 2;
/** The edge's index + 1; 0 marks an empty slot. */
const EDGE = 3;
const FLOWS = 4;
const ACCEPTED = 5;
const REJECTED = 6;
const OPENED = 7;
/** First and last record time, epoch seconds (read through the Uint32 view). */
const FIRST = 8;
const LAST = 9;
const TO_SERVER = 5;
const TO_CLIENT = 6;
const PACKETS = 7;
/** Seconds beyond this (the year 2106) do not fit a slot and are stored as this. */
const MAX_SECONDS = 0xffff_ffff;

const NO_PORT = 65_536;
const NO_PROTOCOL = 256;

/** Port 0-65535 or 65536 for none, protocol 0-255 or 256 for none: 26 bits in all. */
function portProtocol(port: number, protocol: number): number {
  return (port < 0 ? NO_PORT : port) * 512 + (protocol < 0 ? NO_PROTOCOL : protocol);
}

/** One number per server port: a server's address id, the port and the protocol ({@link NO_COUNT} when missing). */
export function targetKey(server: number, port: number, protocol: number): number {
  return server * 2 ** 26 + portProtocol(port, protocol);
}

/** A record's time in whole epoch seconds as a slot keeps it. */
function slotSeconds(seconds: number): number {
  return Math.min(seconds, MAX_SECONDS);
}

/**
 * The edges of one scope, by client, server, port and protocol: open addressing over 64-byte
 * slots that hold the key and every count a record adds, so that folding a record into its edge
 * touches one cache line. Edge objects with their counts in properties cost three or four cache
 * misses a record (the object spans several lines, and V8 boxes every property that holds a
 * number beyond 2^30, such as a byte count or an epoch time), which was most of aggregation.
 *
 * A slot is named by its position `at`; each holds one edge, numbered by the caller. Clients and
 * servers are address ids ({@link AddressIds}); a missing port or protocol is {@link NO_COUNT}.
 */
export class EdgeTable {
  /** The slots; `words` and `reals` are the same bytes as unsigned integers and doubles. */
  private ints = new Int32Array(SLOT_INTS << 10);
  private words = new Uint32Array(this.ints.buffer);
  private reals = new Float64Array(this.ints.buffer);
  private mask = (1 << 10) - 1;
  private count = 0;

  /**
   * The slot of the edge from `client` to `server` on `port` and `protocol`. For an edge not yet
   * stored, -1 - its slot, opened for edge number `edge` first seen at `seconds` (epoch).
   */
  slotOf(client: number, server: number, port: number, protocol: number, edge: number, seconds: number): number {
    const key = portProtocol(port, protocol);
    const ints = this.ints;
    let slot = hash3(client, server, key) & this.mask;
    for (;;) {
      const at = slot * SLOT_INTS;
      if (ints[at + EDGE] === 0) break;
      if (ints[at + CLIENT] === client && ints[at + SERVER] === server && ints[at + PORT_PROTOCOL] === key) {
        return at;
      }
      slot = (slot + 1) & this.mask;
    }
    // Up to three quarters full: a slot is 64 bytes, and a table lives until its object is read.
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) {
      this.grow();
      return this.slotOf(client, server, port, protocol, edge, seconds);
    }
    this.count++;
    const at = slot * SLOT_INTS;
    ints[at + CLIENT] = client;
    ints[at + SERVER] = server;
    ints[at + PORT_PROTOCOL] = key;
    ints[at + EDGE] = edge + 1;
    this.words[at + FIRST] = slotSeconds(seconds);
    this.words[at + LAST] = slotSeconds(seconds);
    return -1 - at;
  }

  /**
   * Adds a record to the edge in slot `at`: its bytes go to the server's or the client's side,
   * `opens` (a client's record opening a connection) counts an attempt. True when the record is
   * the edge's earliest so far.
   */
  fold(
    at: number,
    fromClient: boolean,
    bytes: number,
    packets: number,
    opens: boolean,
    action: number,
    seconds: number,
  ): boolean {
    const { ints, words, reals } = this;
    const real = at >> 1;
    const time = slotSeconds(seconds);
    if (fromClient) {
      reals[real + TO_SERVER] = (reals[real + TO_SERVER] as number) + bytes;
      if (opens) ints[at + OPENED] = (ints[at + OPENED] as number) + 1;
    } else {
      reals[real + TO_CLIENT] = (reals[real + TO_CLIENT] as number) + bytes;
    }
    reals[real + PACKETS] = (reals[real + PACKETS] as number) + packets;
    ints[at + FLOWS] = (ints[at + FLOWS] as number) + 1;
    if (action === ActionCode.Accept) ints[at + ACCEPTED] = (ints[at + ACCEPTED] as number) + 1;
    else if (action === ActionCode.Reject) ints[at + REJECTED] = (ints[at + REJECTED] as number) + 1;
    if (time > (words[at + LAST] as number)) words[at + LAST] = time;
    if (time < (words[at + FIRST] as number)) {
      words[at + FIRST] = time;
      return true;
    }
    return false;
  }

  /**
   * The slot, in this table, of slot `at` of `from` with its client replaced by `client` (a block,
   * when a scope's public sources are folded). When no edge of that key is here yet, `from`'s slot
   * is copied to a new slot and -1 - that slot is returned; else the slot found, to {@link merge}.
   */
  moveFrom(from: EdgeTable, at: number, client: number): number {
    const server = from.ints[at + SERVER] as number;
    const key = from.ints[at + PORT_PROTOCOL] as number;
    const ints = this.ints;
    let slot = hash3(client, server, key) & this.mask;
    for (;;) {
      const to = slot * SLOT_INTS;
      if (ints[to + EDGE] === 0) break;
      if (ints[to + CLIENT] === client && ints[to + SERVER] === server && ints[to + PORT_PROTOCOL] === key) return to;
      slot = (slot + 1) & this.mask;
    }
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) {
      this.grow();
      return this.moveFrom(from, at, client);
    }
    this.count++;
    const to = slot * SLOT_INTS;
    for (let k = 0; k < SLOT_INTS; k++) ints[to + k] = from.ints[at + k] as number;
    ints[to + CLIENT] = client;
    return -1 - to;
  }

  /** Adds the counts of slot `at` of `from` to slot `to` of this table: sums, the earliest first time, the latest last. */
  merge(to: number, from: EdgeTable, at: number): void {
    const { ints, words, reals } = this;
    const real = to >> 1;
    const fromReal = at >> 1;
    for (const k of [TO_SERVER, TO_CLIENT, PACKETS]) {
      reals[real + k] = (reals[real + k] as number) + (from.reals[fromReal + k] as number);
    }
    for (const k of [FLOWS, ACCEPTED, REJECTED, OPENED])
      ints[to + k] = (ints[to + k] as number) + (from.ints[at + k] as number);
    words[to + FIRST] = Math.min(words[to + FIRST] as number, from.words[at + FIRST] as number);
    words[to + LAST] = Math.max(words[to + LAST] as number, from.words[at + LAST] as number);
  }

  /** The {@link targetKey} of slot `at`: its server and its port and protocol. */
  targetAt(at: number): number {
    return (this.ints[at + SERVER] as number) * 2 ** 26 + (this.ints[at + PORT_PROTOCOL] as number);
  }

  /** The edges stored. */
  get size(): number {
    return this.count;
  }

  /** The edge number of slot `at`. */
  edgeAt(at: number): number {
    return (this.ints[at + EDGE] as number) - 1;
  }

  /** Calls `visit` with each used slot and its edge number. */
  forEachSlot(visit: (at: number, edge: number) => void): void {
    const ints = this.ints;
    for (let at = 0; at < ints.length; at += SLOT_INTS) {
      const index = ints[at + EDGE] as number;
      if (index !== 0) visit(at, index - 1);
    }
  }

  /** The key of slot `at`: address ids, and the port and protocol (undefined when missing). */
  client(at: number): number {
    return this.ints[at + CLIENT] as number;
  }

  server(at: number): number {
    return this.ints[at + SERVER] as number;
  }

  port(at: number): number | undefined {
    const port = Math.floor((this.ints[at + PORT_PROTOCOL] as number) / 512);
    return port === NO_PORT ? undefined : port;
  }

  protocol(at: number): number | undefined {
    const protocol = (this.ints[at + PORT_PROTOCOL] as number) % 512;
    return protocol === NO_PROTOCOL ? undefined : protocol;
  }

  /** The counts of slot `at`, as {@link FlowEdge} names them. */
  bytesToServer(at: number): number {
    return this.reals[(at >> 1) + TO_SERVER] as number;
  }

  bytesToClient(at: number): number {
    return this.reals[(at >> 1) + TO_CLIENT] as number;
  }

  packets(at: number): number {
    return this.reals[(at >> 1) + PACKETS] as number;
  }

  flows(at: number): number {
    return this.ints[at + FLOWS] as number;
  }

  accepted(at: number): number {
    return this.ints[at + ACCEPTED] as number;
  }

  rejected(at: number): number {
    return this.ints[at + REJECTED] as number;
  }

  opened(at: number): number {
    return this.ints[at + OPENED] as number;
  }

  /** First and last record time of slot `at`, epoch ms. */
  firstTime(at: number): number {
    return (this.words[at + FIRST] as number) * 1000;
  }

  lastTime(at: number): number {
    return (this.words[at + LAST] as number) * 1000;
  }

  private grow(): void {
    const old = this.ints;
    const capacity = (this.mask + 1) * 2;
    this.ints = new Int32Array(capacity * SLOT_INTS);
    this.words = new Uint32Array(this.ints.buffer);
    this.reals = new Float64Array(this.ints.buffer);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += SLOT_INTS) {
      if (old[at + EDGE] === 0) continue;
      let slot = hash3(old[at] as number, old[at + 1] as number, old[at + 2] as number) & this.mask;
      while (this.ints[slot * SLOT_INTS + EDGE] !== 0) slot = (slot + 1) & this.mask;
      const to = slot * SLOT_INTS;
      for (let k = 0; k < SLOT_INTS; k++) this.ints[to + k] = old[at + k] as number;
    }
  }
}

/** Mixes the high bits into the low ones, which pick the slot. */
function hash1(a: number): number {
  const h = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x27d4eb2f, 0x9e3779b1);
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ c, 0xc2b2ae35);
  return (h ^ (h >>> 15)) >>> 0;
}
