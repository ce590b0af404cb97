/**
 * Seeded randomness for the engine. Everything random in a cluster (replica placement, member
 * ids, cluster and topic ids) is drawn from one of these, so a seed reproduces a run exactly.
 */

/** A small, fast, seedable generator (SplitMix32 over a 32-bit state). */
export class Random {
  private state: number;

  constructor(seed: number | string = 0) {
    this.state = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in `[0, bound)`. */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0) throw new RangeError(`bound must be a positive integer, got ${bound}`);
    return this.nextUint32() % bound;
  }

  /** `n` random bytes as lowercase hex. */
  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i += 4) out += this.nextUint32().toString(16).padStart(8, '0');
    return out.slice(0, bytes * 2);
  }

  /** A version-4-shaped UUID string, drawn from this generator. */
  uuid(): string {
    const h = this.hex(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** A 22-character URL-safe id, like Kafka's cluster and topic ids. */
  kafkaId(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let out = '';
    for (let i = 0; i < 22; i++) out += alphabet[this.int(64)];
    return out;
  }
}

function hashString(s: string): number {
  // FNV-1a: stable across platforms, enough to spread string seeds.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
