/**
 * A set of strings that keeps an 8-byte hash of each instead of the string: for counting the
 * distinct keys of a hostile object (hundreds of thousands of identities) in a few megabytes. It
 * answers as a `Set<string>` would, except that two keys whose 53-bit hashes collide count once
 * (about one pair in 10^10 at a million keys). The plain statement is `Set<string>`; a property
 * test holds the two together.
 */
export class DistinctKeys {
  /** Open addressing; 0 marks an empty slot (a hash of 0 is stored as 1). */
  private slots = new Float64Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a key; true when it was not there. */
  add(key: string): boolean {
    if (2 * (this.count + 1) > this.slots.length) this.grow();
    const added = insert(this.slots, hash53(key));
    if (added) this.count++;
    return added;
  }

  has(key: string): boolean {
    const { slots } = this;
    const h = hash53(key);
    const mask = slots.length - 1;
    for (let at = h % slots.length; ; at = (at + 1) & mask) {
      if (slots[at] === 0) return false;
      if (slots[at] === h) return true;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    for (const h of old) if (h !== 0) insert(this.slots, h);
  }
}

/** Puts a hash in the first free slot from its home; false when it is already there. */
function insert(slots: Float64Array, h: number): boolean {
  const mask = slots.length - 1;
  for (let at = h % slots.length; ; at = (at + 1) & mask) {
    if (slots[at] === h) return false;
    if (slots[at] === 0) {
      slots[at] = h;
      return true;
    }
  }
}

/** Two 32-bit multiplicative hashes of the UTF-16 code units, joined into 53 bits; never 0. */
function hash53(key: string): number {
  let a = 0xdeadbeef;
  let b = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 2654435761);
    b = Math.imul(b ^ c, 1597334677);
  }
  a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  return 4294967296 * (2097151 & b) + (a >>> 0) || 1;
}
