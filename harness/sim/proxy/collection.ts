/**
 * ToxicCollection (Toxiproxy `toxic_collection.go`): a proxy's two chains (upstream, downstream),
 * each headed by a hidden noop, and the live links.
 *
 * A change is validated and applied to the chains at once (so the toxic list and new connections
 * see it immediately), and returns the work that applies it to each existing link of that
 * direction. That work runs under the collection lock, one change after the other in the order
 * they were made, as Toxiproxy's lock orders them; it normally completes at the same instant, but
 * waits when it must interrupt a stage that is busy (a reset_peer asleep, a toxic blocked on a full
 * downstream). Each change captures the positions it acts on, so queued work stays consistent.
 */
import {
  FaultProxyError,
  isToxicType,
  mergeToxic,
  normalizeToxic,
  type Stream,
  type Toxic,
  type ToxicPatch,
} from '../../toxics/vocabulary.ts';
import { Chan, type Gen, type Goroutine, join, type Scheduler, send } from './csp.ts';
import type { LinkHost, ToxicLink } from './link.ts';
import type { LiveToxic } from './stub.ts';
import { TOXIC_KINDS } from './toxics/index.ts';

/** A change made to the chains, and the work that brings each open link in line with it. */
export interface Change<R> {
  value: R;
  work: () => Gen<void>;
}

export interface CollectionHost {
  readonly sched: Scheduler;
  readonly proxyName: string;
  trace(kind: string, fields?: Record<string, unknown>): void;
}

const DIRECTIONS: readonly Stream[] = ['upstream', 'downstream'];

function hiddenNoop(): LiveToxic {
  return {
    name: '',
    type: 'noop',
    stream: 'downstream',
    toxicity: 0,
    attributes: {},
    index: 0,
    bufferSize: 0,
    hidden: true,
  };
}

export function toxicView(t: LiveToxic): Toxic {
  return {
    name: t.name,
    type: t.type,
    stream: t.stream,
    toxicity: t.toxicity,
    attributes: { ...t.attributes },
  } as Toxic;
}

/**
 * Inputs the real server accepts and then crashes on (a goroutine panic takes the whole server
 * down), rejected up front like a negative bandwidth rate.
 */
function checkCrashingAttributes(
  t: { type: string; attributes: Record<string, number> },
  proxy: string,
  name: string,
) {
  if (t.type !== 'slicer') return;
  const { average_size = 0, size_variation = 0 } = t.attributes;
  if (average_size < 1) {
    throw new FaultProxyError(
      'invalid_attribute',
      'slicer.average_size must be at least 1 (0 recurses forever and crashes Toxiproxy)',
      { proxy, toxic: name },
    );
  }
  if (size_variation > average_size) {
    throw new FaultProxyError(
      'invalid_attribute',
      `slicer.size_variation (${size_variation}) must not exceed average_size (${average_size}): Toxiproxy would slice out of bounds and crash`,
      { proxy, toxic: name },
    );
  }
}

export class ToxicCollection implements LinkHost {
  private readonly chains: Record<Stream, LiveToxic[]> = {
    upstream: [hiddenNoop()],
    downstream: [hiddenNoop()],
  };
  readonly links = new Map<string, ToxicLink>();
  private readonly mutex = new Chan<true>(1, 'collection-lock');
  readonly sched: Scheduler;

  constructor(private readonly host: CollectionHost) {
    this.sched = host.sched;
  }

  chain(direction: Stream): readonly LiveToxic[] {
    return this.chains[direction];
  }

  /** Every toxic, upstream chain first (Toxiproxy's order). */
  list(): Toxic[] {
    return DIRECTIONS.flatMap((d) => this.chains[d].slice(1).map(toxicView));
  }

  find(name: string): LiveToxic | undefined {
    for (const d of DIRECTIONS) {
      const t = this.chains[d].slice(1).find((x) => x.name === name);
      if (t) return t;
    }
    return undefined;
  }

  /** Runs `body` holding the collection lock (changes reach the links one at a time, in order). */
  *locked(body: () => Gen<void>): Gen<void> {
    yield* send(this.mutex, true);
    try {
      yield* body();
    } finally {
      this.sched.poll(this.mutex);
    }
  }

  add(input: unknown): Change<Toxic> {
    const proxy = this.host.proxyName;
    this.checkDuplicateFirst(input);
    const t = normalizeToxic(input, proxy);
    if (this.find(t.name)) {
      throw new FaultProxyError('toxic_exists', 'toxic already exists', { proxy, toxic: t.name });
    }
    checkCrashingAttributes(t, proxy, t.name);
    const chain = this.chains[t.stream];
    const live: LiveToxic = {
      name: t.name,
      type: t.type,
      stream: t.stream,
      toxicity: t.toxicity,
      attributes: { ...(t.attributes as Record<string, number>) },
      index: chain.length,
      bufferSize: TOXIC_KINDS[t.type].bufferSize,
    };
    const prev = chain[chain.length - 1]!;
    chain.push(live);
    this.host.trace('proxy.toxic.add', { toxic: toxicView(live) });
    const links = this.linksOf(t.stream);
    return {
      value: toxicView(live),
      work: () => this.eachLink(links, (link) => link.addToxic(live, prev), 'add'),
    };
  }

  /** Toxiproxy checks a duplicate name before it parses attributes: a duplicate is 409 even with bad attributes. */
  private checkDuplicateFirst(input: unknown): void {
    if (typeof input !== 'object' || input === null) return;
    const raw = input as Record<string, unknown>;
    const stream = raw.stream ?? 'downstream';
    if (!isToxicType(raw.type) || (stream !== 'upstream' && stream !== 'downstream')) return;
    const name = raw.name ?? `${raw.type}_${stream}`;
    if (typeof name === 'string' && name.length > 0 && this.find(name)) {
      throw new FaultProxyError('toxic_exists', 'toxic already exists', {
        proxy: this.host.proxyName,
        toxic: name,
      });
    }
  }

  update(name: string, patch: ToxicPatch): Change<Toxic> {
    const proxy = this.host.proxyName;
    const live = this.find(name);
    if (!live) throw new FaultProxyError('toxic_not_found', 'toxic not found', { proxy, toxic: name });
    if (typeof patch !== 'object' || patch === null) {
      throw new FaultProxyError('bad_request', 'toxic update must be an object', { proxy, toxic: name });
    }
    const merged = mergeToxic(toxicView(live), patch, proxy);
    checkCrashingAttributes(merged as { type: string; attributes: Record<string, number> }, proxy, name);
    // Toxiproxy decodes the update into the live toxic every connection shares: running stages see
    // the new values at their next read of them, and the interrupt restarts (and re-rolls) them.
    live.toxicity = merged.toxicity;
    Object.assign(live.attributes, merged.attributes);
    this.host.trace('proxy.toxic.update', { toxic: toxicView(live) });
    const index = live.index;
    const links = this.linksOf(live.stream);
    return {
      value: toxicView(live),
      work: () => this.eachLink(links, (link) => link.updateToxic(live, index), 'update'),
    };
  }

  remove(name: string): Change<void> {
    const live = this.find(name);
    if (!live) {
      throw new FaultProxyError('toxic_not_found', 'toxic not found', {
        proxy: this.host.proxyName,
        toxic: name,
      });
    }
    return { value: undefined, work: this.chainRemove(live) };
  }

  /** Removes every toxic, upstream chain first, one after the other as Toxiproxy does. */
  reset(): Change<void> {
    const steps: Array<() => Gen<void>> = [];
    for (const d of DIRECTIONS) {
      while (this.chains[d].length > 1) steps.push(this.chainRemove(this.chains[d][1]!));
    }
    return {
      value: undefined,
      work: function* () {
        for (const step of steps) yield* step();
      },
    };
  }

  private chainRemove(live: LiveToxic): () => Gen<void> {
    const chain = this.chains[live.stream];
    const index = live.index;
    const prev = chain[index - 1]!;
    chain.splice(index, 1);
    for (let i = index; i < chain.length; i++) chain[i]!.index = i;
    live.index = -1;
    this.host.trace('proxy.toxic.remove', { toxic: toxicView(live) });
    const links = this.linksOf(live.stream);
    return () => this.eachLink(links, (link) => link.removeToxic(live, index, prev), 'remove');
  }

  private linksOf(direction: Stream): ToxicLink[] {
    return [...this.links.values()].filter((l) => l.direction === direction);
  }

  /** Applies the work to each link still open, concurrently, and waits for all (a WaitGroup). */
  private *eachLink(links: ToxicLink[], work: (link: ToxicLink) => Gen<void>, what: string): Gen<void> {
    const started: Goroutine[] = [];
    for (const link of links) {
      if (this.links.get(link.name) !== link) continue;
      started.push(this.sched.go(work(link), `${link.name}:${what}`, link.group));
    }
    for (const g of started) yield* join(g);
  }

  /** `StartLink`: builds the link from the chain as it is now and starts it. */
  startLink(
    link: ToxicLink,
    source: Parameters<ToxicLink['start']>[0],
    dest: Parameters<ToxicLink['start']>[1],
  ) {
    link.start(source, dest);
    this.links.set(link.name, link);
  }

  writerDone(link: ToxicLink): void {
    this.links.delete(link.name);
  }

  removeLink(name: string): void {
    this.links.delete(name);
  }
}
