/**
 * The simulated Toxiproxy proxy: a process on its own sim host that listens on `listen` and, for
 * each accepted client, dials `upstream` through the simulated network. TCP ends at the proxy on
 * both sides (the client's keepalive and backpressure talk to the proxy), as with the real server.
 *
 * Sockets are opened with allowHalfOpen, because Toxiproxy keeps writing to a peer that sent its
 * FIN until its own close reaches it.
 *
 * Known gap: Toxiproxy's sockets inherit Go's default TCP keepalive (idle 15 s, then 9 probes 15 s
 * apart: a silent peer is dropped after 150 s). The sim's sockets only take the idle time and probe
 * 10 times 1 s apart (Node's fixed values), which would drop a silent peer after 25 s — further from
 * the real proxy than never — so keepalive stays off until the sim can set interval and count.
 */
import type { FaultProxy, ProxySpec } from '../../backend.ts';
import { FaultProxyError, type Toxic, type ToxicInput, type ToxicPatch } from '../../toxics/vocabulary.ts';
import type { SimRuntime } from '../runtime.ts';
import type { SimServer } from '../server.ts';
import type { Simulation } from '../simulation.ts';
import type { SimSocket } from '../socket.ts';
import type { Conn, Transport } from './conn.ts';
import { ProxyCore, type TraceFields } from './core.ts';
import { Chan, type Gen, recv } from './csp.ts';

/** Go's default TCP keepalive for listened and dialled connections (not applied yet: see above). */
export const GO_KEEPALIVE = { idleMs: 15_000, intervalMs: 15_000, probes: 9 } as const;

/** Where a proxy's process runs when `listen` names no sim host (loopback, wildcard, empty). */
export const DEFAULT_PROXY_HOST = 'toxiproxy';

const LOCAL_NAMES = new Set(['', '0.0.0.0', '::', '[::]', 'localhost', '127.0.0.1']);

export interface HostPort {
  host: string;
  port: number;
}

/** Splits `host:port` (port 0–65535); null if it is not one. */
export function parseHostPort(value: string): HostPort | null {
  const i = value.lastIndexOf(':');
  if (i < 0) return null;
  const host = value.slice(0, i);
  const portText = value.slice(i + 1);
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port > 65535) return null;
  return { host, port };
}

function socketTransport(socket: SimSocket): Transport {
  return {
    write(data, accepted) {
      socket.write(data, (err) => accepted(err));
      // The sim socket hands a chunk to its kernel synchronously when there is room.
      return socket.writableLength === 0;
    },
    close(reset) {
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    },
    pause: () => {
      socket.pause();
    },
    resume: () => {
      socket.resume();
    },
    unread: () => socket.readableLength,
  };
}

export class SimProxy implements FaultProxy {
  readonly name: string;
  readonly upstream: string;
  readonly hostName: string;
  private readonly core: ProxyCore;
  private readonly rt: SimRuntime;
  private server: SimServer | null = null;
  private listenPort: number;
  private listenText: string;
  private isEnabled = false;
  private removed = false;
  private crashed = false;
  /** Upstream dials in progress, so a stop can abandon them. */
  private readonly dialing = new Map<SimSocket, Chan<boolean>>();
  private readonly resource = {
    kill: () => this.onProcessDeath(),
    destroy: () => this.dispose(),
  };

  constructor(
    private readonly sim: Simulation,
    spec: ProxySpec,
    listen: HostPort,
    private readonly onRemoved: () => void,
  ) {
    this.name = spec.name;
    this.upstream = spec.upstream;
    this.hostName = LOCAL_NAMES.has(listen.host) ? DEFAULT_PROXY_HOST : listen.host;
    this.listenPort = listen.port;
    this.listenText = spec.listen;
    this.rt = sim.runtime(this.hostName);
    const rt = this.rt;
    const trace = sim.trace;
    const host = this.hostName;
    this.core = new ProxyCore(spec.name, {
      timers: {
        now: () => sim.now(),
        setTimeout: (cb, ms) => rt.setTimeout(cb, ms),
        clearTimeout: (h) => rt.clearTimeout(h as Parameters<SimRuntime['clearTimeout']>[0]),
      },
      random: sim.random(`proxy:${spec.name}`),
      trace: (kind: string, fields?: TraceFields) => trace.record({ kind, host, ...fields }),
    });
    sim.host(this.hostName).process.resources.add(this.resource);
  }

  get listen(): string {
    return this.listenText;
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  private check(): void {
    if (this.removed) throw new FaultProxyError('proxy_not_found', 'proxy not found', { proxy: this.name });
    if (this.crashed) {
      throw new FaultProxyError('unavailable', `the proxy's host '${this.hostName}' crashed`, {
        proxy: this.name,
      });
    }
  }

  /** Listens (again) on the resolved address; a taken port is `listen_failed` (500). */
  async start(): Promise<void> {
    if (this.isEnabled) return;
    const server = this.rt.net.createServer({ allowHalfOpen: true }) as unknown as SimServer;
    server.on('connection', (socket: SimSocket) => this.onConnection(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
        server.listen(this.listenPort, '0.0.0.0');
      });
    } catch (err) {
      server.close();
      throw new FaultProxyError('listen_failed', `listen ${this.listenText}: ${(err as Error).message}`, {
        proxy: this.name,
      });
    }
    server.on('error', (err: Error) => this.core.trace('proxy.listener.error', { error: err.message }));
    const port = server.address()?.port ?? this.listenPort;
    this.listenPort = port;
    this.listenText = `${this.hostName}:${port}`;
    this.server = server;
    this.isEnabled = true;
    this.core.startAccepting();
    this.core.trace('proxy.enabled', { listen: this.listenText, upstream: this.upstream });
  }

  /** Closes the listener (new connects are refused) and every open connection. Toxics are kept. */
  stop(): void {
    if (!this.isEnabled) return;
    this.isEnabled = false;
    this.server?.close();
    this.server = null;
    this.core.stopAccepting();
    for (const [socket, done] of [...this.dialing]) {
      socket.destroy();
      if (done.length === 0 && !done.closed) this.core.sched.offer(done, false);
    }
    this.dialing.clear();
    this.core.closeAll();
    this.core.trace('proxy.disabled', {});
  }

  private onConnection(socket: SimSocket): void {
    const id = this.core.nextConnId();
    const client = this.core.conn(socketTransport(socket), `${id}/client`);
    this.attach(socket, client);
    this.core.accept(id, client, `${socket.remoteAddress}:${socket.remotePort}`, () => this.dial(id));
  }

  private attach(socket: SimSocket, conn: Conn): void {
    socket.on('data', (data: Buffer) => conn.deliver(data));
    socket.on('end', () => conn.eof());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.core.trace('proxy.socket.error', { conn: conn.label, code: err.code ?? err.message });
    });
    socket.on('close', () => conn.lost());
  }

  /** Go's blocking net.Dial, as a goroutine step: the connected upstream, or null. */
  private *dial(id: string): Gen<Conn | null> {
    const done = new Chan<boolean>(1, `${id}:dial`);
    const target = parseHostPort(this.upstream);
    if (!target) {
      this.core.trace('proxy.dial', { conn: id, upstream: this.upstream, ok: false, code: 'EINVAL' });
      return null;
    }
    let socket: SimSocket;
    try {
      socket = this.rt.net.createConnection({
        host: target.host || 'localhost',
        port: target.port,
        allowHalfOpen: true,
      }) as unknown as SimSocket;
    } catch (err) {
      this.core.trace('proxy.dial', { conn: id, upstream: this.upstream, ok: false, code: String(err) });
      return null;
    }
    const conn = this.core.conn(socketTransport(socket), `${id}/upstream`);
    let connected = false;
    const sched = this.core.sched;
    socket.once('connect', () => {
      connected = true;
      this.core.trace('proxy.dial', { conn: id, upstream: this.upstream, ok: true });
      sched.offer(done, true);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) return;
      this.core.trace('proxy.dial', {
        conn: id,
        upstream: this.upstream,
        ok: false,
        code: err.code ?? err.message,
      });
      if (done.length === 0 && !done.closed) sched.offer(done, false);
    });
    this.attach(socket, conn);
    this.dialing.set(socket, done);
    const ok = yield* recv(done);
    this.dialing.delete(socket);
    return ok ? conn : null;
  }

  // --- FaultProxy ---

  async addToxic(toxic: ToxicInput): Promise<Toxic> {
    this.check();
    return this.core.addToxic(toxic);
  }

  async updateToxic(name: string, patch: ToxicPatch): Promise<Toxic> {
    this.check();
    return this.core.updateToxic(name, patch);
  }

  async removeToxic(name: string): Promise<void> {
    this.check();
    return this.core.removeToxic(name);
  }

  async listToxics(): Promise<Toxic[]> {
    this.check();
    return this.core.listToxics();
  }

  /** Removes every toxic (Toxiproxy's ResetToxics; part of POST /reset). */
  async resetToxics(): Promise<void> {
    this.check();
    return this.core.resetToxics();
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.check();
    if (typeof enabled !== 'boolean') {
      throw new FaultProxyError('bad_request', `enabled must be a boolean, got ${JSON.stringify(enabled)}`, {
        proxy: this.name,
      });
    }
    if (enabled) await this.start();
    else this.stop();
  }

  async remove(): Promise<void> {
    this.check();
    this.dispose();
  }

  /** Stops the proxy and everything it runs; the name is free again. */
  private dispose(): void {
    if (this.removed) return;
    this.stop();
    this.core.dispose();
    this.removed = true;
    this.sim.host(this.hostName).process.resources.delete(this.resource);
    this.onRemoved();
  }

  /** The proxy's host crashed: its sockets and timers vanished with the process. */
  private onProcessDeath(): void {
    this.crashed = true;
    this.isEnabled = false;
    this.server = null;
    this.core.sched.killAll();
  }
}
