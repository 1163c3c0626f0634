// Seeded randomness for test generators: identical on every platform, never Math.random.

// mulberry32: tiny, fast, good enough for test generation.
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p) {
    return this.next() < p;
  }
  pick(items) {
    return items[this.int(0, items.length - 1)];
  }
  // Up to n distinct items, in random order.
  sample(items, n) {
    const pool = [...items];
    const out = [];
    while (out.length < n && pool.length) out.push(pool.splice(this.int(0, pool.length - 1), 1)[0]);
    return out;
  }
  // Ids from 1..n, each with probability p.
  subset(n, p) {
    const out = [];
    for (let i = 1; i <= n; i++) if (this.chance(p)) out.push(i);
    return out;
  }
}
