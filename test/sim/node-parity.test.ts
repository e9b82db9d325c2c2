/**
 * The simulated sockets against real node:net on loopback (127.0.0.1): the same scenario runs on
 * both and must produce the same event sequence on each side (names, error codes, close flags).
 * Timing is not compared (loopback has no latency); each step waits long enough on both.
 */
import * as realNet from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Simulation } from '../../harness/sim/index.ts';
import { recordEvents } from './helpers.ts';

type AnySocket = realNet.Socket;
type AnyServer = realNet.Server;

interface Env {
  serverNet: typeof realNet;
  clientNet: typeof realNet;
  /** The host clients dial. */
  target: string;
  /** Where servers listen. */
  bind: string | undefined;
  wait(ms: number): Promise<void>;
  close(): Promise<void>;
}

function realEnv(): Env {
  return {
    serverNet: realNet,
    clientNet: realNet,
    target: '127.0.0.1',
    bind: '127.0.0.1',
    wait: (ms) => new Promise((r) => setTimeout(r, ms)),
    close: async () => {},
  };
}

function simEnv(): Env {
  const sim = new Simulation({ seed: 7, latency: 3 });
  const server = sim.runtime('server');
  const client = sim.runtime('client');
  return {
    serverNet: server.net as unknown as typeof realNet,
    clientNet: client.net as unknown as typeof realNet,
    target: 'server',
    bind: undefined,
    wait: (ms) => sim.runFor(ms),
    close: () => sim.close(),
  };
}

type Scenario = (env: Env) => Promise<{ client: string[]; server: string[] }>;

async function listen(
  env: Env,
  opts: realNet.ServerOpts,
  onConn: (s: AnySocket) => void,
): Promise<{ server: AnyServer; port: number }> {
  const server = env.serverNet.createServer(opts, onConn);
  server.listen(0, env.bind);
  await env.wait(20);
  const addr = server.address() as realNet.AddressInfo;
  return { server, port: addr.port };
}

async function both(scenario: Scenario): Promise<void> {
  const real = realEnv();
  const sim = simEnv();
  try {
    const [r, s] = [await scenario(real), await scenario(sim)];
    expect(s).toEqual(r);
  } finally {
    await real.close();
    await sim.close();
  }
}

const envs: Env[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

describe('event order matches real node:net', () => {
  it('refused connect: error ECONNREFUSED, close(true)', () =>
    both(async (env) => {
      const c = env.clientNet.createConnection({ host: env.target, port: 1 });
      const client = recordEvents(c);
      await env.wait(50);
      return { client, server: [] };
    }));

  it("FIN: server end('bye') — data, end, finish, close on the client; finish, end, close on the server", () =>
    both(async (env) => {
      let server: string[] = [];
      const { server: srv, port } = await listen(env, {}, (s) => {
        server = recordEvents(s);
        s.end('bye');
      });
      const c = env.clientNet.createConnection({ host: env.target, port });
      const client = recordEvents(c);
      await env.wait(60);
      srv.close();
      return { client, server };
    }));

  it('FIN with allowHalfOpen on the client: end only, no automatic end()', () =>
    both(async (env) => {
      let server: string[] = [];
      const { server: srv, port } = await listen(env, {}, (s) => {
        server = recordEvents(s);
        s.end();
      });
      const c = env.clientNet.createConnection({ host: env.target, port, allowHalfOpen: true });
      const client = recordEvents(c);
      await env.wait(60);
      c.destroy();
      await env.wait(30);
      srv.close();
      return { client, server };
    }));

  it('RST: resetAndDestroy on the server after the first data — ECONNRESET then close(true) on the client', () =>
    both(async (env) => {
      let server: string[] = [];
      const { server: srv, port } = await listen(env, {}, (s) => {
        server = recordEvents(s);
        s.on('data', () => s.resetAndDestroy());
      });
      const c = env.clientNet.createConnection({ host: env.target, port });
      const client = recordEvents(c);
      c.on('connect', () => c.write('x'));
      await env.wait(60);
      srv.close();
      return { client, server };
    }));

  it('destroy() with unread data (pauseOnConnect) resets the peer', () =>
    both(async (env) => {
      let server: string[] = [];
      let sock: AnySocket | undefined;
      const { server: srv, port } = await listen(env, { pauseOnConnect: true }, (s) => {
        server = recordEvents(s);
        sock = s;
      });
      const c = env.clientNet.createConnection({ host: env.target, port });
      const client = recordEvents(c);
      c.on('connect', () => c.write('unread'));
      await env.wait(40);
      sock?.destroy();
      await env.wait(40);
      srv.close();
      return { client, server };
    }));

  it('destroy() with nothing unread: the peer sees a FIN (end), not an RST', () =>
    both(async (env) => {
      let server: string[] = [];
      const { server: srv, port } = await listen(env, {}, (s) => {
        server = recordEvents(s);
        process.nextTick(() => s.destroy());
      });
      const c = env.clientNet.createConnection({ host: env.target, port });
      const client = recordEvents(c);
      await env.wait(60);
      srv.close();
      return { client, server };
    }));

  it('write after own destroy, after own end, before a refused connect', () =>
    both(async (env) => {
      const { server: srv, port } = await listen(env, {}, () => {});
      const a = env.clientNet.createConnection({ host: env.target, port });
      const la = recordEvents(a);
      a.on('connect', () => {
        a.destroy();
        a.write('x', (e) => la.push(`cb:${(e as NodeJS.ErrnoException).code}`));
      });
      const b = env.clientNet.createConnection({ host: env.target, port });
      const lb = recordEvents(b);
      b.on('connect', () => {
        b.end();
        b.write('y', (e) => lb.push(`cb:${(e as NodeJS.ErrnoException).code}`));
      });
      const c = env.clientNet.createConnection({ host: env.target, port: 1 });
      const lc = recordEvents(c);
      c.write('early', (e) => lc.push(`cb:${(e as NodeJS.ErrnoException).code}`));
      await env.wait(60);
      srv.close();
      return { client: [...la, '|', ...lb, '|', ...lc], server: [] };
    }));

  it("listen on a port in use: EADDRINUSE with Node's message shape", () =>
    both(async (env) => {
      const { server: first, port } = await listen(env, {}, () => {});
      const second = env.serverNet.createServer();
      const out: string[] = [];
      second.on('error', (e: NodeJS.ErrnoException) =>
        out.push(`${e.code} ${e.syscall} ${e.errno} ${e.message.replace(/ \S+$/, '')}`),
      );
      second.listen(port, env.bind);
      await env.wait(20);
      first.close();
      return { client: [], server: out };
    }));
});

describe('argument errors match node:net (thrown synchronously, same class, code and message)', () => {
  const sim = new Simulation({ seed: 1 });
  const simNet = sim.runtime('a').net;
  const cases: Array<[string, (net: typeof realNet) => unknown]> = [
    ['port out of range', (net) => net.createConnection({ port: 70000, host: '127.0.0.1' })],
    ['negative port', (net) => net.createConnection({ port: -1 })],
    ['non-numeric port string', (net) => net.createConnection({ port: 'abc' as unknown as number })],
    ['missing port', (net) => net.createConnection({ host: '127.0.0.1' } as realNet.NetConnectOpts)],
    ['listen port out of range', (net) => net.createServer().listen(70000)],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const capture = (net: typeof realNet) => {
        try {
          make(net);
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          return { name: err.name, code: err.code, message: err.message };
        }
        return null;
      };
      const real = capture(realNet);
      expect(real).not.toBeNull();
      expect(capture(simNet as unknown as typeof realNet)).toEqual(real);
    });
  }
});
