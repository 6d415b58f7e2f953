/**
 * Compact containers for the hundreds of thousands of codes a catalog import keeps while it streams.
 *
 * A `Map<string, …>` of 316,000 Smaregi codes holds ~37 MB of small objects that every garbage
 * collection walks, and V8 sizes the heap as a multiple of what is live. Here the same codes are UTF-8
 * bytes in a few typed arrays (~12 MB, outside the JavaScript heap, never walked). Pure: no Node imports.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const EMPTY_SLOT = -1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes[start, end). */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] ?? 0), FNV_PRIME);
  return hash >>> 0;
}

/** A growable list of 32-bit integers. */
export class Int32List {
  private values: Int32Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.values = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  push(value: number): number {
    if (this.count === this.values.length) this.values = grown(this.values, this.count + 1);
    this.values[this.count] = value;
    return this.count++;
  }

  get(index: number): number {
    return this.values[index] ?? 0;
  }

  set(index: number, value: number): void {
    this.values[index] = value;
  }
}

function grown<T extends Int32Array | Uint32Array | Uint8Array>(array: T, needed: number): T {
  let length = array.length * 2;
  while (length < needed) length *= 2;
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/** An append-only list of strings held as UTF-8 bytes; string i is `at(i)` (a new JavaScript string each call). */
export class StringList {
  private bytes = new Uint8Array(64 * 1024);
  private bytesUsed = 0;
  /** Where string i ends in `bytes`; it starts where string i - 1 ends. */
  private ends = new Uint32Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(value: string): number {
    // Every UTF-16 unit takes at most 3 UTF-8 bytes.
    this.reserve(value.length * 3);
    this.bytesUsed += encoder.encodeInto(value, this.bytes.subarray(this.bytesUsed)).written;
    return this.endString();
  }

  /** Appends a string given as its UTF-8 bytes. */
  pushEncoded(utf8: Uint8Array): number {
    this.reserve(utf8.length);
    this.bytes.set(utf8, this.bytesUsed);
    this.bytesUsed += utf8.length;
    return this.endString();
  }

  at(index: number): string {
    return decoder.decode(this.bytes.subarray(this.startOf(index), this.ends[index]));
  }

  /** Whether string `index` is exactly the first `length` bytes of `utf8`. */
  equals(index: number, utf8: Uint8Array, length: number): boolean {
    const start = this.startOf(index);
    if ((this.ends[index] ?? 0) - start !== length) return false;
    for (let i = 0; i < length; i++) if (this.bytes[start + i] !== utf8[i]) return false;
    return true;
  }

  hashOf(index: number): number {
    return hashBytes(this.bytes, this.startOf(index), this.ends[index] ?? 0);
  }

  private startOf(index: number): number {
    return index === 0 ? 0 : (this.ends[index - 1] ?? 0);
  }

  private reserve(bytes: number): void {
    if (this.bytesUsed + bytes > this.bytes.length) this.bytes = grown(this.bytes, this.bytesUsed + bytes);
  }

  private endString(): number {
    if (this.count === this.ends.length) this.ends = grown(this.ends, this.count + 1);
    this.ends[this.count] = this.bytesUsed;
    return this.count++;
  }
}

/**
 * An append-only set of strings, each numbered by when it was first added (0, 1, 2, …): an open-addressing
 * hash table over the strings' UTF-8 bytes. Strings are compared exactly (no normalisation of any kind).
 */
export class StringTable {
  private readonly strings = new StringList();
  /** Hash slots holding a string's number, or EMPTY_SLOT; kept at most three quarters full. */
  private slots = new Int32Array(2048).fill(EMPTY_SLOT);
  /** The bytes of the string being looked up. */
  private key = new Uint8Array(256);
  private keyLength = 0;

  get size(): number {
    return this.strings.size;
  }

  /** The string's number, or -1 when it was never added. */
  indexOf(value: string): number {
    return this.slots[this.slotOf(this.encodeKey(value))] ?? EMPTY_SLOT;
  }

  /** The string's number: its existing one, or the next one when it is new. */
  add(value: string): number {
    const slot = this.slotOf(this.encodeKey(value));
    const existing = this.slots[slot] ?? EMPTY_SLOT;
    if (existing !== EMPTY_SLOT) return existing;
    const index = this.strings.pushEncoded(this.key.subarray(0, this.keyLength));
    this.slots[slot] = index;
    if (this.size * 4 > this.slots.length * 3) this.rehash();
    return index;
  }

  /** String number `index` (a new JavaScript string each call). */
  at(index: number): string {
    return this.strings.at(index);
  }

  /** Encodes `value` into `key` and answers its hash. */
  private encodeKey(value: string): number {
    // Every UTF-16 unit takes at most 3 UTF-8 bytes.
    if (value.length * 3 > this.key.length) this.key = new Uint8Array(value.length * 3);
    this.keyLength = encoder.encodeInto(value, this.key).written;
    return hashBytes(this.key, 0, this.keyLength);
  }

  /** The slot holding the encoded key, or the empty slot where it would go. */
  private slotOf(hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const index = this.slots[slot] ?? EMPTY_SLOT;
      if (index === EMPTY_SLOT || this.strings.equals(index, this.key, this.keyLength)) return slot;
    }
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY_SLOT);
    const mask = this.slots.length - 1;
    for (let index = 0; index < this.size; index++) {
      let slot = this.strings.hashOf(index) & mask;
      while (this.slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
      this.slots[slot] = index;
    }
  }
}
