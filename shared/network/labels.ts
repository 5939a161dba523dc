import type { Config } from '../config';
import { CidrIndex, parseCidr } from '../intel';
import { GlobSet } from '../util';
import { type AddressClass, AddressClassifier, isInternal } from './address';
import { ClusterMap } from './clusters';
import { ServicePorts } from './ports';

/** A configured name for a range, with the range as written. */
export interface AddressLabel {
  label: string;
  cidr: string;
}

/** Why a connection reaches data: a sensitive range, a sensitive port, or both. */
export interface SensitiveMatch {
  /** The range's label (or the range itself) when the address is in a sensitive range. */
  range?: AddressLabel;
  /** The port, when it is one of the sensitive ports. */
  port?: number;
}

type NetworkConfig = Config['network'];

function labelled(entry: string | { cidr: string; label?: string }): { cidr: string; label?: string } {
  return typeof entry === 'string' ? { cidr: entry } : entry;
}

/** A host address (a /32 or /128) as written without its prefix, for display. */
function displayCidr(cidr: string): string {
  const range = parseCidr(cidr);
  if (!range) return cidr;
  const full = range.family === 4 ? 32 : 128;
  return range.prefix === full ? cidr.replace(/\/\d+$/, '') : cidr;
}

/**
 * What the config says about addresses and ports: the VPC's ranges, labels, public entry points,
 * sensitive ranges and ports, mining ports. Built once per process; lookups are memoized.
 */
export class NetworkLabels {
  readonly classifier: AddressClassifier;
  /** Ports on which a listener is assumed when a record has no TCP flags: built in plus sensitive and mining ports. */
  readonly servicePorts: ServicePorts;
  readonly sensitivePorts: ReadonlySet<number>;
  readonly miningPorts: ReadonlySet<number>;
  /** Network interfaces of public entry points (load balancers). */
  readonly entryInterfaces: ReadonlySet<string>;
  /** Which cluster an address belongs to, and how workloads of other clusters are named. */
  readonly clusters: ClusterMap;
  private readonly labels = new CidrIndex<AddressLabel>();
  private readonly entries = new CidrIndex<AddressLabel | { cidr: string; label?: undefined }>();
  private readonly sensitiveRanges = new CidrIndex<AddressLabel>();
  private readonly scannerRanges = new CidrIndex<true>();
  private readonly resolvers = new CidrIndex<true>();
  private readonly scannerWorkloads: GlobSet;

  constructor(
    readonly config: NetworkConfig,
    /** The configured cluster (`clusterName`). */
    clusterName = config.clusters[0]?.name ?? 'eks',
  ) {
    this.clusters = new ClusterMap(config.clusters, clusterName);
    this.classifier = new AddressClassifier(config.vpcCidrs);
    this.sensitivePorts = new Set(config.sensitive.ports);
    this.miningPorts = new Set(config.miningPorts);
    this.servicePorts = new ServicePorts([...config.sensitive.ports, ...config.miningPorts]);
    this.entryInterfaces = new Set(config.entryPoints.interfaces);
    for (const { cidr, label } of config.labels) this.labels.add(cidr, { label, cidr: displayCidr(cidr) });
    for (const entry of config.entryPoints.cidrs.map(labelled)) {
      this.entries.add(entry.cidr, { cidr: displayCidr(entry.cidr), label: entry.label });
    }
    for (const entry of config.sensitive.cidrs.map(labelled)) {
      // A sensitive range without a label takes the label of the range it is in, else its own text.
      const cidr = displayCidr(entry.cidr);
      this.sensitiveRanges.add(entry.cidr, { cidr, label: entry.label ?? this.labelOfRange(entry.cidr) ?? cidr });
    }
    const workloads: string[] = [];
    for (const scanner of config.scanners) {
      if (!parseCidr(scanner) || !this.scannerRanges.add(scanner, true)) workloads.push(scanner);
    }
    this.scannerWorkloads = new GlobSet(workloads);
    for (const resolver of config.dnsResolvers) this.resolvers.add(resolver, true);
  }

  /** Whether workloads may send DNS to an address directly: an internal one, or a configured resolver. */
  isApprovedResolver(address: string, addressClass: AddressClass): boolean {
    if (isInternal(addressClass)) return true;
    return this.resolvers.size > 0 && this.resolvers.lookup(address) === true;
  }

  /** Whether a source is an allowed scanner: its address in a configured range, or its workload matching a glob. */
  isScanner(address: string, workload?: string): boolean {
    if (this.scannerRanges.size > 0 && this.scannerRanges.lookup(address)) return true;
    return workload !== undefined && this.scannerWorkloads.size > 0 && this.scannerWorkloads.matches(workload);
  }

  private labelOfRange(cidr: string): string | undefined {
    const base = cidr.replace(/\/\d+$/, '');
    return this.labels.lookup(base)?.label;
  }

  classify(address: string, awsService?: string): AddressClass {
    return this.classifier.classify(address, awsService);
  }

  /** The most specific configured label of an address (labels, then sensitive ranges, then entry points). */
  label(address: string): AddressLabel | undefined {
    const own = this.labels.lookup(address);
    if (own) return own;
    const sensitive = this.sensitiveRanges.lookup(address);
    if (sensitive) return sensitive;
    const entry = this.entries.lookup(address);
    return entry?.label ? { label: entry.label, cidr: entry.cidr } : undefined;
  }

  /** The entry-point range an address is in: its label (if any) and range. */
  entryPoint(address: string): { cidr: string; label?: string } | undefined {
    return this.entries.lookup(address);
  }

  /** The sensitive range an address is in. */
  sensitiveRange(address: string): AddressLabel | undefined {
    return this.sensitiveRanges.lookup(address);
  }

  /**
   * Whether a connection to `address` on `port` reaches something sensitive: an internal address
   * in a sensitive range (any port), or on a sensitive port (TCP, or an unknown protocol).
   */
  sensitive(
    address: string,
    addressClass: AddressClass,
    port: number | undefined,
    protocol?: number,
  ): SensitiveMatch | undefined {
    if (!isInternal(addressClass)) return undefined;
    const range = this.sensitiveRanges.lookup(address);
    const onPort = port !== undefined && (protocol === undefined || protocol === 6) && this.sensitivePorts.has(port);
    if (!range && !onPort) return undefined;
    return { ...(range ? { range } : {}), ...(onPort ? { port } : {}) };
  }
}
