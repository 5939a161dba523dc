/**
 * How many distinct sources a folded server port heard from, in a kilobyte whatever their number:
 * a HyperLogLog of 1,024 one-byte registers (a standard error of about 3%), with linear counting
 * for small counts, where it is nearly exact. Adding is order-free (each register keeps a maximum),
 * so the estimate does not depend on the order of the records.
 */
const BITS = 10;
const REGISTERS = 1 << BITS;
/** The bias correction of a HyperLogLog of {@link REGISTERS} registers. */
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);

export class SourceSketch {
  private readonly registers = new Uint8Array(REGISTERS);

  /** Adds a source given as a 32-bit number (an IPv4 address, or {@link textKey} of another). */
  add(key: number): void {
    const h = mix(key);
    const register = h >>> (32 - BITS);
    // The rank of the first set bit among the remaining 22 (23 when they are all zero).
    const rank = Math.min(Math.clz32(h << BITS) + 1, 32 - BITS + 1);
    if (rank > (this.registers[register] as number)) this.registers[register] = rank;
  }

  /** The estimated number of distinct sources added, rounded. */
  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (const value of this.registers) {
      sum += 2 ** -value;
      if (value === 0) zeros++;
    }
    const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
    if (raw <= 2.5 * REGISTERS && zeros > 0) return Math.round(REGISTERS * Math.log(REGISTERS / zeros));
    return Math.round(raw);
  }
}

/** A 32-bit key of an address written as text (IPv6): FNV-1a. */
export function textKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Murmur3's finalizer: every input bit moves every output bit, so nearby addresses spread. */
function mix(key: number): number {
  let h = key | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
