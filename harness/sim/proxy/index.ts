/**
 * The simulated Toxiproxy: `createSimProxy(sim, spec)` starts a proxy on its own sim host (the host
 * named in `spec.listen`, or `toxiproxy` when `listen` is loopback or a wildcard), and the
 * per-Simulation registry gives Toxiproxy's server-wide operations (`POST /reset`, unique names).
 * Semantics: /work/shared/design/TOXICS.md; mechanics: ./core.ts, ./link.ts, ./toxics/.
 */
import type { FaultProxy, ProxySpec } from '../../backend.ts';
import { FaultProxyError } from '../../toxics/vocabulary.ts';
import type { Simulation } from '../simulation.ts';
import { DEFAULT_PROXY_HOST, parseHostPort, SimProxy } from './proxy.ts';

export { DEFAULT_PROXY_HOST, GO_KEEPALIVE, SimProxy } from './proxy.ts';

const registries = new WeakMap<Simulation, Map<string, SimProxy>>();

function registry(sim: Simulation): Map<string, SimProxy> {
  let r = registries.get(sim);
  if (!r) {
    r = new Map();
    registries.set(sim, r);
  }
  return r;
}

/**
 * Creates (and, unless `enabled: false`, starts) a proxy. Errors as Toxiproxy's API: a missing name
 * or upstream is 400, a name in use 409, a listen failure (port taken, bad address) 500.
 */
export async function createSimProxy(sim: Simulation, spec: ProxySpec): Promise<SimProxy> {
  if (typeof spec !== 'object' || spec === null) {
    throw new FaultProxyError('bad_request', 'proxy spec must be an object');
  }
  const { name, upstream } = spec;
  if (typeof name !== 'string' || name.length === 0) {
    throw new FaultProxyError('bad_request', 'missing required field: name');
  }
  if (typeof upstream !== 'string' || upstream.length === 0) {
    throw new FaultProxyError('bad_request', 'missing required field: upstream', { proxy: name });
  }
  if (spec.enabled !== undefined && typeof spec.enabled !== 'boolean') {
    throw new FaultProxyError(
      'bad_request',
      `enabled must be a boolean, got ${JSON.stringify(spec.enabled)}`,
      {
        proxy: name,
      },
    );
  }
  const proxies = registry(sim);
  if (proxies.has(name)) throw new FaultProxyError('proxy_exists', 'proxy already exists', { proxy: name });
  const listenSpec = typeof spec.listen === 'string' && spec.listen.length > 0 ? spec.listen : ':0';
  const listen = parseHostPort(listenSpec);
  if (!listen) {
    throw new FaultProxyError(
      'listen_failed',
      `listen ${JSON.stringify(spec.listen)}: not a host:port address`,
      {
        proxy: name,
      },
    );
  }
  if (
    /^\d{1,3}(\.\d{1,3}){3}$/.test(listen.host) &&
    listen.host !== '127.0.0.1' &&
    listen.host !== '0.0.0.0'
  ) {
    throw new FaultProxyError(
      'listen_failed',
      `listen ${spec.listen}: give the sim host's name (or 127.0.0.1 / 0.0.0.0 for the '${DEFAULT_PROXY_HOST}' host), not its address`,
      { proxy: name },
    );
  }
  const proxy = new SimProxy(sim, { ...spec, listen: listenSpec }, listen, () => {
    if (proxies.get(name) === proxy) proxies.delete(name);
  });
  proxies.set(name, proxy);
  if (spec.enabled !== false) {
    try {
      await proxy.start();
    } catch (err) {
      await proxy.remove();
      throw err;
    }
  }
  return proxy;
}

/** The proxy called `name` in this simulation (404 if there is none). */
export function getSimProxy(sim: Simulation, name: string): SimProxy {
  const p = registry(sim).get(name);
  if (!p) throw new FaultProxyError('proxy_not_found', 'proxy not found', { proxy: name });
  return p;
}

/** Every proxy of this simulation, in creation order. */
export function listSimProxies(sim: Simulation): SimProxy[] {
  return [...registry(sim).values()];
}

/**
 * Toxiproxy's `POST /reset`: enables every proxy and removes every toxic (so `timeout` toxics close
 * their connections). Stops at the first proxy that cannot listen again, as the real server does.
 */
export async function resetAll(sim: Simulation): Promise<void> {
  for (const proxy of listSimProxies(sim)) {
    await proxy.setEnabled(true);
    await proxy.resetToxics();
  }
}

/** Removes every proxy of this simulation (Toxiproxy's `Clear`). */
export async function removeAll(sim: Simulation): Promise<void> {
  for (const proxy of listSimProxies(sim)) await proxy.remove();
}

export type { FaultProxy };
