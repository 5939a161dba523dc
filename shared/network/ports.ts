/**
 * Ports that say which end of a flow is the server when the record has no TCP handshake flags:
 * well-known ports (below 1024) and registered ports that services commonly listen on.
 */
const SERVICE_PORTS: readonly number[] = [
  // Remote access, mail, directory and file services above 1023.
  1080, 1194, 1433, 1434, 1521, 1723, 1883, 2049, 2181, 2375, 2376, 2379, 2380, 3000, 3128, 3268, 3269, 3306, 3389,
  4222, 4443, 5000, 5044, 5060, 5061, 5222, 5349, 5432, 5601, 5671, 5672, 5900, 5984, 5985, 5986, 6379, 6443, 6650,
  7000, 7001, 7199, 7474, 7687, 8000, 8008, 8020, 8080, 8081, 8086, 8088, 8200, 8300, 8301, 8443, 8500, 8529, 8883,
  8888, 9000, 9042, 9043, 9090, 9091, 9092, 9093, 9100, 9160, 9200, 9300, 9411, 9418, 9443, 9999, 10250, 10255, 10256,
  11211, 15672, 26257, 27017, 27018, 28015, 50000, 50070,
];

/** Linux's default ephemeral range starts here (IANA's at 49152, a NAT gateway's at 1024). */
export const EPHEMERAL_FLOOR = 32768;

/** A set of server-side ports: the built-in list plus the configured sensitive and mining ports. */
export class ServicePorts {
  private readonly ports: Set<number>;
  /**
   * The same ports as one flag per port number: asked twice per flow record, a typed-array read
   * is much cheaper than hashing into the set. The set answers for numbers outside 0-65535.
   */
  private readonly flags = new Uint8Array(65_536);

  constructor(extra: Iterable<number> = []) {
    this.ports = new Set([...SERVICE_PORTS, ...extra]);
    for (let port = 1; port < 1024; port++) this.flags[port] = 1;
    for (const port of this.ports) if (Number.isInteger(port) && port >= 0 && port < 65_536) this.flags[port] = 1;
  }

  /** True for a port a server listens on: well-known (1-1023) or in the list. */
  has(port: number): boolean {
    if (Number.isInteger(port) && port >= 0 && port < 65_536) return this.flags[port] === 1;
    return this.ports.has(port);
  }
}

export const DEFAULT_SERVICE_PORTS = new ServicePorts();
