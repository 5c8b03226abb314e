/** A small seeded PRNG (mulberry32), so bulk cases are reproducible from their seed. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  integer(minInclusive: number, maxInclusive: number): number {
    return minInclusive + Math.floor(this.next() * (maxInclusive - minInclusive + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Text mixing ASCII with characters that need escaping somewhere (COPY, CSV, JSON, SQL). */
  text(maxLength: number): string {
    const alphabet = ['a', 'b', 'Z', '0', ' ', '\t', '\n', '\\', '"', "'", ',', ';', 'ü', '日', '😀', '\r', '|', '{', '}'];
    const length = this.integer(0, maxLength);
    let text = '';
    for (let index = 0; index < length; index += 1) text += this.pick(alphabet);
    return text;
  }
}
