/**
 * Records when each host dials, on the backend's clock. The ScenarioResult keeps only the attempts
 * that connected, but parity needs every attempt of the simulator run — refused ones included — to
 * recognize a reconnect attempt that sits right at a heal (compare.ts).
 */
import type { Runtime } from '../../impl/runtime.ts';
import type { Backend } from '../backend.ts';

export interface DialTap<B extends Backend> {
  /** The backend to run on: `backend` with every runtime's dials recorded. */
  backend: B;
  /** Dial instants per host, in backend ms (subtract the run's start for scenario times). */
  dials: Map<string, number[]>;
}

/**
 * Wraps a backend whose members are own properties (the sim backend is a plain object, and the
 * runner looks for its `sim` member, which a spread keeps). Only `runtime(host)` changes.
 */
export function tapDials<B extends Backend>(backend: B): DialTap<B> {
  const dials = new Map<string, number[]>();
  const runtime = (host: string): Runtime => {
    const inner = backend.runtime(host);
    const tap = <F extends (...args: never[]) => unknown>(dial: F): F =>
      ((...args: Parameters<F>) => {
        const list = dials.get(host) ?? [];
        list.push(backend.now());
        dials.set(host, list);
        return dial(...args);
      }) as F;
    return {
      ...inner,
      net: {
        ...inner.net,
        createConnection: tap(inner.net.createConnection),
        connect: tap(inner.net.connect),
      },
    };
  };
  return { backend: { ...backend, runtime }, dials };
}
