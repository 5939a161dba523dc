import ipaddr from 'ipaddr.js';

interface Range<T> {
  start: bigint;
  end: bigint;
  prefix: number;
  value: T;
}

/**
 * The address as one unsigned 32-bit number when it is IPv4 written the canonical way (no leading
 * zeros, every part 0-255), else -1. Only canonical text maps to a number, so two different
 * strings never share one: `010.0.0.1` stays a string of its own, as it always was.
 */
export function canonicalIpv4(address: string): number {
  const length = address.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      continue;
    }
    const digit = c - 48;
    if (digit < 0 || digit > 9 || (digits === 1 && part === 0)) return -1;
    part = part * 10 + digit;
    if (part > 255) return -1;
    digits++;
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + part;
}

/** A parsed IP address as an integer in its family's space. */
export function addressToBigInt(address: string): { family: 4 | 6; value: bigint } | undefined {
  // Nearly every address in a log is canonical IPv4: no parser object needed for those.
  const v4 = canonicalIpv4(address);
  if (v4 >= 0) return { family: 4, value: BigInt(v4) };
  if (!ipaddr.isValid(address)) return undefined;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const bytes = parsed.toByteArray();
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { family: parsed.kind() === 'ipv4' ? 4 : 6, value };
}

/** Parses `a.b.c.d/n`, an IPv6 CIDR, or a bare address (a /32 or /128). */
export function parseCidr(text: string): { family: 4 | 6; start: bigint; end: bigint; prefix: number } | undefined {
  const trimmed = text.trim();
  let address = trimmed;
  let prefix: number | undefined;
  const slash = trimmed.indexOf('/');
  if (slash !== -1) {
    address = trimmed.slice(0, slash);
    const p = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
  }
  const parsed = addressToBigInt(address);
  if (!parsed) return undefined;
  const bits = parsed.family === 4 ? 32 : 128;
  // An IPv4-mapped IPv6 CIDR keeps its meaning in the IPv4 space.
  if (prefix !== undefined && parsed.family === 4 && address.includes(':')) prefix -= 96;
  prefix ??= bits;
  if (prefix < 0 || prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  const start = (parsed.value >> hostBits) << hostBits;
  const end = start + (1n << hostBits) - 1n;
  return { family: parsed.family, start, end, prefix };
}

/**
 * Longest-prefix lookup of addresses in a set of CIDRs, each carrying a value. Built once, then
 * each lookup is a binary search per distinct prefix length, with results memoized per address.
 */
export class CidrIndex<T> {
  private readonly byFamily: Record<4 | 6, Map<number, Range<T>[]>> = { 4: new Map(), 6: new Map() };
  private prefixesByFamily: Record<4 | 6, number[]> = { 4: [], 6: [] };
  private readonly memo = new Map<string, T | null>();
  /**
   * The same for canonical IPv4 addresses, by their number: every audit event and flow edge asks,
   * and hashing a number is far cheaper than hashing the fresh string each event carries.
   */
  private readonly memo4 = new Map<number, T | null>();
  private entries = 0;
  private sorted = true;

  /** Adds a CIDR; returns false when it does not parse. */
  add(cidr: string, value: T): boolean {
    const range = parseCidr(cidr);
    if (!range) return false;
    const ranges = this.byFamily[range.family];
    let list = ranges.get(range.prefix);
    if (!list) {
      list = [];
      ranges.set(range.prefix, list);
    }
    list.push({ start: range.start, end: range.end, prefix: range.prefix, value });
    this.entries++;
    this.memo.clear();
    this.memo4.clear();
    this.sorted = false;
    return true;
  }

  get size(): number {
    return this.entries;
  }

  private sort(): void {
    for (const family of [4, 6] as const) {
      for (const list of this.byFamily[family].values())
        list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      this.prefixesByFamily[family] = [...this.byFamily[family].keys()].sort((a, b) => b - a);
    }
    this.sorted = true;
  }

  /** The value of the most specific CIDR holding `address`, or undefined. */
  lookup(address: string): T | undefined {
    if (this.entries === 0) return undefined;
    const ip = canonicalIpv4(address);
    const memo: Map<number | string, T | null> = ip >= 0 ? this.memo4 : this.memo;
    const key = ip >= 0 ? ip : address;
    const memoized = memo.get(key);
    if (memoized !== undefined) return memoized ?? undefined;
    if (!this.sorted) this.sort();
    const found = this.find(address);
    if (memo.size > 100_000) memo.clear();
    memo.set(key, found ?? null);
    return found;
  }

  private find(address: string): T | undefined {
    if (this.entries === 0) return undefined;
    const parsed = addressToBigInt(address);
    if (!parsed) return undefined;
    for (const prefix of this.prefixesByFamily[parsed.family]) {
      const list = this.byFamily[parsed.family].get(prefix) as Range<T>[];
      let lo = 0;
      let hi = list.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const range = list[mid] as Range<T>;
        if (parsed.value < range.start) hi = mid - 1;
        else if (parsed.value > range.end) lo = mid + 1;
        else return range.value;
      }
    }
    return undefined;
  }
}
