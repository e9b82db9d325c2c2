/**
 * The `toxiproxy` Backend: real TCP on loopback through a real Toxiproxy, in scenario time scaled by
 * `timeScale` (runtime.ts, scale.ts). Proxies get unique real names (prefix-pid-n-<name>) so test
 * files can share one Toxiproxy; the FaultProxy still answers to the scenario's name.
 *
 * Containers (docker-compose.yml, README): when Toxiproxy runs in Docker with published ports, set
 * FLATLINE_TOXIPROXY_LISTEN_HOST=0.0.0.0 (proxies listen on every interface of the container),
 * FLATLINE_TOXIPROXY_PORTS=26000-26031 (the published range; port 0 picks from it) and
 * FLATLINE_TOXIPROXY_UPSTREAM_HOST=host.docker.internal (how the container reaches servers on this
 * machine). Clients always dial 127.0.0.1.
 */
import type { Logger, Runtime } from '../../impl/runtime.ts';
import { silentLogger } from '../../impl/runtime.ts';
import type { Backend, BackendCapabilities, FaultProxy, ProxySpec } from '../backend.ts';
import { type HostProcessView, runIn } from '../process/context.ts';
import '../process/install.ts';
import { realClocks } from '../process/originals.ts';
import {
  FaultProxyError,
  mergeToxic,
  normalizeToxic,
  type Toxic,
  type ToxicInput,
  type ToxicPatch,
  type ToxicType,
} from '../toxics/vocabulary.ts';
import { ToxiproxyClient } from './client.ts';
import { ToxiproxyApiError } from './errors.ts';
import { startToxiproxy, type ToxiproxyServer } from './launcher.ts';
import { isSafeName, uniqueName } from './names.ts';
import { Resources, ScenarioClock, scaledRuntime } from './runtime.ts';
import { checkTimeScale, ToxicLedger, toRealAttributes } from './scale.ts';

export interface ToxiproxyBackendOptions {
  /** An existing Toxiproxy; default TOXIPROXY_URL, else a launched toxiproxy-server. */
  url?: string;
  /** A server obtained from startToxiproxy, shared with others; the backend does not stop it. */
  server?: ToxiproxyServer;
  /** Real ms per scenario ms (default 1). 0.01 runs a 30 s interval every 300 ms. */
  timeScale?: number;
  /** Prefix of the real proxy names (default "flatline"). */
  namePrefix?: string;
  /** Per-request timeout of the HTTP API (default 5000 ms). */
  requestTimeoutMs?: number;
  /** Logger handed to subjects through runtime(host) (default silent). */
  logger?: Logger;
  /** random() of the runtimes (default Math.random: the real backend is not reproducible anyway). */
  random?: () => number;
  /** Address proxies listen on inside Toxiproxy (env FLATLINE_TOXIPROXY_LISTEN_HOST, default 127.0.0.1). */
  proxyListenHost?: string;
  /** Ports to give proxies asked for port 0 (env FLATLINE_TOXIPROXY_PORTS "a-b"); default: Toxiproxy picks. */
  proxyPorts?: readonly [number, number];
  /** Host Toxiproxy dials for upstreams (env FLATLINE_TOXIPROXY_UPSTREAM_HOST, default 127.0.0.1). */
  upstreamHost?: string;
  /** Address servers made through runtime() listen on (env FLATLINE_BIND_HOST, default 127.0.0.1). */
  bindHost?: string;
}

/** A FaultProxy on real Toxiproxy; `realName` is the proxy's name on the server. */
export interface ToxiproxyFaultProxy extends FaultProxy {
  readonly realName: string;
}

export interface ToxiproxyBackend extends Backend {
  createProxy(spec: ProxySpec): Promise<ToxiproxyFaultProxy>;
  readonly kind: 'toxiproxy';
  readonly server: ToxiproxyServer;
  readonly client: ToxiproxyClient;
  /** Real milliseconds for a scenario duration. */
  toReal(ms: number): number;
  /** Removes every proxy this backend created (between tests); the backend stays usable. */
  removeProxies(): Promise<void>;
}

interface Address {
  host: string;
  port: number;
}

function parseAddress(field: 'listen' | 'upstream', value: unknown, proxy: string): Address {
  const match = typeof value === 'string' ? /^(.+):(\d{1,5})$/.exec(value) : null;
  const port = match ? Number(match[2]) : Number.NaN;
  const minPort = field === 'listen' ? 0 : 1;
  if (!match || port < minPort || port > 65535) {
    throw new FaultProxyError(
      'bad_request',
      `${field} must be "host:port" with port in ${minPort}..65535, got ${JSON.stringify(value)}`,
      { proxy },
    );
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function portOf(listen: string): number {
  return Number(/:(\d+)$/.exec(listen)?.[1] ?? 0);
}

function parsePortRange(text: string | undefined): readonly [number, number] | undefined {
  if (text === undefined || text === '') return undefined;
  const match = /^(\d+)-(\d+)$/.exec(text.trim());
  const [low, high] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
  if (!match || low < 1 || high > 65535 || low > high) {
    throw new RangeError(`FLATLINE_TOXIPROXY_PORTS must look like 26000-26031, got ${JSON.stringify(text)}`);
  }
  return [low, high];
}

/** Errors from the client name the real proxy; the caller knows it by its scenario name. */
function relabel(err: unknown, proxy: string): unknown {
  return err instanceof ToxiproxyApiError ? err.relabel(proxy) : err;
}

class RealFaultProxy implements ToxiproxyFaultProxy {
  private readonly ledger: ToxicLedger;
  private currentListen: string;
  private currentEnabled: boolean;

  constructor(
    private readonly backend: RealBackend,
    readonly name: string,
    readonly realName: string,
    readonly upstream: string,
    listen: string,
    enabled: boolean,
  ) {
    this.ledger = new ToxicLedger(backend.timeScale);
    this.currentListen = listen;
    this.currentEnabled = enabled;
  }

  get listen(): string {
    return this.currentListen;
  }

  get enabled(): boolean {
    return this.currentEnabled;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw relabel(err, this.name);
    }
  }

  /** A toxic as Toxiproxy holds it, in scenario units. */
  private toScenario(real: Toxic): Toxic {
    const attributes = this.ledger.read(real.name, real.type, real.attributes as Record<string, number>);
    return { ...real, attributes } as Toxic;
  }

  addToxic<T extends ToxicType>(input: ToxicInput<T>): Promise<Toxic<T>> {
    return this.call(async () => {
      const toxic = normalizeToxic(input, this.name);
      if (!isSafeName(toxic.name)) {
        throw new FaultProxyError(
          'bad_request',
          `toxic name must use only letters, digits and . _ ~ -, got ${JSON.stringify(toxic.name)}`,
          { proxy: this.name },
        );
      }
      const scenario = toxic.attributes as Record<string, number>;
      const real = toRealAttributes(toxic.type, scenario, this.backend.timeScale);
      const added = await this.backend.client.addToxic(this.realName, {
        ...toxic,
        attributes: real,
      } as ToxicInput);
      this.ledger.record(added.name, added.attributes as Record<string, number>, scenario);
      return this.toScenario(added) as Toxic<T>;
    });
  }

  updateToxic(name: string, patch: ToxicPatch): Promise<Toxic> {
    return this.call(async () => {
      const current = this.toScenario(await this.backend.client.getToxic(this.realName, name));
      const merged = mergeToxic(current, patch, this.name);
      const realPatch: ToxicPatch = {};
      if (patch.toxicity !== undefined) realPatch.toxicity = patch.toxicity;
      if (patch.attributes !== undefined) {
        realPatch.attributes = toRealAttributes(current.type, patch.attributes, this.backend.timeScale);
      }
      const updated = await this.backend.client.updateToxic(this.realName, name, realPatch);
      this.ledger.record(
        name,
        updated.attributes as Record<string, number>,
        merged.attributes as Record<string, number>,
      );
      return this.toScenario(updated);
    });
  }

  removeToxic(name: string): Promise<void> {
    return this.call(async () => {
      await this.backend.client.removeToxic(this.realName, name);
      this.ledger.forget(name);
    });
  }

  listToxics(): Promise<Toxic[]> {
    return this.call(async () =>
      (await this.backend.client.listToxics(this.realName)).map((t) => this.toScenario(t)),
    );
  }

  setEnabled(enabled: boolean): Promise<void> {
    return this.call(async () => {
      const updated = await this.backend.client.updateProxy(this.realName, { enabled });
      this.currentEnabled = updated.enabled;
      // A proxy created disabled on port 0 gets its port when first enabled.
      if (portOf(updated.listen) !== 0) this.currentListen = `127.0.0.1:${portOf(updated.listen)}`;
    });
  }

  remove(): Promise<void> {
    return this.call(async () => {
      await this.backend.client.removeProxy(this.realName);
      this.ledger.clear();
      this.backend.forget(this);
    });
  }
}

class RealBackend implements ToxiproxyBackend {
  readonly kind = 'toxiproxy' as const;
  readonly timeScale: number;
  /**
   * Real time and real TCP: no virtual clock, no host faults, no reproducible trace. Unmodified Node
   * code runs in host processes whose sockets are real loopback ones and whose timers and clocks run
   * on the scenario clock (every duration × timeScale).
   */
  readonly capabilities: BackendCapabilities = {
    hostProcesses: {
      run: <T>(host: string, runtime: Runtime, fn: () => T): T => runIn(this.process(host, runtime), fn),
    },
  };
  private readonly processes = new Map<string, HostProcessView>();

  private process(host: string, runtime: Runtime): HostProcessView {
    let view = this.processes.get(host);
    if (!view) {
      view = {
        host,
        simulated: false,
        runtime,
        monotonic: () => this.clock.now(),
        // Every host is this machine: its subjects are handed loopback addresses.
        lookup: (name) => (name === 'localhost' ? '127.0.0.1' : undefined),
        run: (fn) => fn(),
      };
      this.processes.set(host, view);
    }
    view.runtime = runtime;
    return view;
  }
  private readonly clock: ScenarioClock;
  private readonly resources = new Resources();
  private readonly runtimes = new Map<string, Runtime>();
  private readonly proxies = new Set<RealFaultProxy>();
  private readonly baseName: string;
  private portCursor = 0;
  private closing: Promise<void> | undefined;

  constructor(
    readonly server: ToxiproxyServer,
    private readonly ownsServer: boolean,
    readonly client: ToxiproxyClient,
    private readonly options: Required<
      Pick<ToxiproxyBackendOptions, 'proxyListenHost' | 'upstreamHost' | 'bindHost' | 'logger' | 'random'>
    > & { proxyPorts: readonly [number, number] | undefined; namePrefix: string; timeScale: number },
  ) {
    this.timeScale = options.timeScale;
    this.clock = new ScenarioClock(options.timeScale, Date.now());
    this.baseName = uniqueName(options.namePrefix);
  }

  runtime(host: string): Runtime {
    if (typeof host !== 'string' || host.length === 0) {
      throw new TypeError(`runtime(host) needs a non-empty host name, got ${JSON.stringify(host)}`);
    }
    let runtime = this.runtimes.get(host);
    if (!runtime) {
      runtime = scaledRuntime({
        clock: this.clock,
        resources: this.resources,
        bindHost: this.options.bindHost,
        logger: this.options.logger,
        random: this.options.random,
      });
      this.runtimes.set(host, runtime);
    }
    return runtime;
  }

  now(): number {
    return this.clock.now();
  }

  toReal(ms: number): number {
    return this.clock.toReal(ms);
  }

  async runFor(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`runFor(ms) needs a finite ms >= 0, got ${JSON.stringify(ms)}`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, this.clock.toReal(ms)));
  }

  async createProxy(spec: ProxySpec): Promise<ToxiproxyFaultProxy> {
    if (this.closing) throw new Error('this toxiproxy backend is closed');
    const name = spec?.name;
    if (typeof name !== 'string' || !isSafeName(name)) {
      throw new FaultProxyError(
        'bad_request',
        `proxy name must be non-empty and use only letters, digits and . _ ~ -, got ${JSON.stringify(name)}`,
      );
    }
    const listen = parseAddress('listen', spec.listen, name);
    const upstream = parseAddress('upstream', spec.upstream, name);
    const enabled = spec.enabled ?? true;
    const realName = `${this.baseName}-${name}`;
    const realUpstream = `${this.options.upstreamHost}:${upstream.port}`;
    const ports = listen.port === 0 && this.options.proxyPorts ? this.candidatePorts() : [listen.port];
    let lastError: unknown;
    for (const port of ports) {
      try {
        const created = await this.client.createProxy({
          name: realName,
          listen: `${this.options.proxyListenHost}:${port}`,
          upstream: realUpstream,
          enabled,
        });
        const proxy = new RealFaultProxy(
          this,
          name,
          realName,
          spec.upstream,
          `127.0.0.1:${portOf(created.listen)}`,
          created.enabled,
        );
        this.proxies.add(proxy);
        return proxy;
      } catch (err) {
        lastError = relabel(err, name);
        // In a fixed port range, a taken port just means: try the next one.
        if (!(err instanceof ToxiproxyApiError && err.kind === 'listen_failed' && ports.length > 1)) break;
      }
    }
    if (ports.length > 1 && lastError instanceof ToxiproxyApiError && lastError.kind === 'listen_failed') {
      const [low, high] = this.options.proxyPorts!;
      throw new FaultProxyError(
        'listen_failed',
        `no free port left in FLATLINE_TOXIPROXY_PORTS ${low}-${high}`,
        {
          proxy: name,
          status: 500,
        },
      );
    }
    throw lastError;
  }

  /** Every port of the configured range, starting after the last one handed out. */
  private candidatePorts(): number[] {
    const [low, high] = this.options.proxyPorts!;
    const size = high - low + 1;
    const ports: number[] = [];
    for (let i = 0; i < size; i++) ports.push(low + ((this.portCursor + i) % size));
    this.portCursor = (this.portCursor + 1) % size;
    return ports;
  }

  forget(proxy: RealFaultProxy): void {
    this.proxies.delete(proxy);
  }

  async removeProxies(): Promise<void> {
    this.proxies.clear();
    await this.client.removeCreatedProxies();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    let failure: unknown;
    try {
      await this.removeProxies();
    } catch (err) {
      failure = err;
    }
    await this.resources.closeAll();
    if (this.ownsServer) await this.server.close();
    // Leftover proxies matter only on a server that keeps running.
    if (failure !== undefined && !this.ownsServer) throw failure;
  }
}

/**
 * A Backend on real Toxiproxy: the one at `url`/TOXIPROXY_URL, the `server` given, or a private
 * toxiproxy-server launched for this backend and stopped by its close().
 */
export async function createToxiproxyBackend(
  options: ToxiproxyBackendOptions = {},
): Promise<ToxiproxyBackend> {
  const env = process.env;
  const timeScale = checkTimeScale(options.timeScale ?? 1);
  const settings = {
    timeScale,
    namePrefix: options.namePrefix ?? 'flatline',
    proxyListenHost: options.proxyListenHost ?? env.FLATLINE_TOXIPROXY_LISTEN_HOST ?? '127.0.0.1',
    proxyPorts: options.proxyPorts ?? parsePortRange(env.FLATLINE_TOXIPROXY_PORTS),
    upstreamHost: options.upstreamHost ?? env.FLATLINE_TOXIPROXY_UPSTREAM_HOST ?? '127.0.0.1',
    bindHost: options.bindHost ?? env.FLATLINE_BIND_HOST ?? '127.0.0.1',
    logger: options.logger ?? silentLogger,
    random: options.random ?? realClocks.random,
  };
  if (!isSafeName(settings.namePrefix)) {
    throw new RangeError(
      `namePrefix ${JSON.stringify(settings.namePrefix)} may only use letters, digits and . _ ~ -`,
    );
  }
  if (settings.proxyPorts) parsePortRange(`${settings.proxyPorts[0]}-${settings.proxyPorts[1]}`);
  const server =
    options.server ?? (await startToxiproxy(options.url === undefined ? {} : { url: options.url }));
  const client = new ToxiproxyClient({ url: server.url, requestTimeoutMs: options.requestTimeoutMs });
  return new RealBackend(server, options.server === undefined, client, settings);
}
