/**
 * The run's one seeded generator, split per component by name. A component's stream depends only on
 * (seed, name), so adding a component (a new host, a new proxy) never shifts another one's draws.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** FNV-1a over the name, mixed with the seed: a stable 32-bit seed per (seed, component). */
export function componentSeed(seed: number, component: string): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  for (let i = 0; i < component.length; i++) {
    h ^= component.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so that seeds 1 and 2 with the same name do not give neighbouring states.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export class RandomSource {
  private readonly streams = new Map<string, () => number>();
  constructor(readonly seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${String(seed)}`);
  }

  /** Uniform in [0, 1); the same function (and so the same stream) for the same component name. */
  stream(component: string): () => number {
    let s = this.streams.get(component);
    if (!s) {
      const rng = xoroshiro128plus(componentSeed(this.seed, component));
      s = () => uniformFloat64(rng);
      this.streams.set(component, s);
    }
    return s;
  }
}

/** An integer uniform in [min, max] drawn from a [0, 1) source. */
export function uniformIntFrom(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
