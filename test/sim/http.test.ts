/**
 * Proof that the simulated sockets are faithful streams: Node's own http client and server run over
 * the simulated net (the client through an Agent's createConnection, the server fed with
 * `server.emit('connection', simSocket)`), with keep-alive reuse and Node's server keep-alive
 * timeout playing out on the virtual clock.
 */
import * as http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Simulation } from '../../harness/sim/index.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function setup() {
  sim = new Simulation({ seed: 3, latency: 5 });
  const s = sim;
  const serverRt = s.runtime('server');
  const clientRt = s.runtime('client');
  const httpServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      res.setHeader('x-virtual-time', String(s.now()));
      res.end(`hello ${req.method} ${req.url}${body ? ` ${body}` : ''}`);
    });
  });
  const connections: number[] = [];
  serverRt.net
    .createServer((socket) => {
      connections.push(s.now());
      httpServer.emit('connection', socket);
    })
    .listen(80);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  // The Agent asks its createConnection for every new socket.
  (agent as unknown as { createConnection: unknown }).createConnection = (opts: {
    port: number;
    host: string;
  }) => clientRt.net.createConnection({ port: opts.port, host: opts.host });
  const get = (path: string, method = 'GET', body?: string) =>
    new Promise<{ status: number; body: string; at: number; headers: http.IncomingHttpHeaders }>(
      (resolve, reject) => {
        const req = http.request({ agent, host: 'server', port: 80, path, method }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text, at: s.now(), headers: res.headers }),
          );
        });
        req.on('error', reject);
        req.end(body);
      },
    );
  return { sim: s, agent, httpServer, connections, get };
}

describe('node:http over the simulated net', () => {
  it('serves a request: status, body, and the timing of one handshake plus one round trip', async () => {
    const { sim: s, get, agent, httpServer } = setup();
    const pending = get('/a');
    await s.runFor(100);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello GET /a');
    // SYN 0 → connect 10, request arrives 15 (server handles it at 15), response back at 20.
    expect(res.headers['x-virtual-time']).toBe('15');
    expect(res.at).toBe(20);
    agent.destroy();
    httpServer.close();
  });

  it('reuses the kept-alive connection for the next request (no second handshake), with a request body', async () => {
    const { sim: s, get, agent, connections, httpServer } = setup();
    const first = get('/one');
    await s.runFor(100);
    await first;
    const second = get('/two', 'POST', 'payload');
    await s.runFor(100);
    const res = await second;
    expect(res.body).toBe('hello POST /two payload');
    expect(res.at).toBe(110);
    expect(connections).toEqual([15]);
    expect(s.trace.events().filter((e) => e.kind === 'syn').length).toBe(1);
    agent.destroy();
    httpServer.close();
  });

  it("Node's server keep-alive timeout (5 s + 1 s) closes the idle connection on the virtual clock", async () => {
    const { sim: s, get, agent, httpServer } = setup();
    const first = get('/x');
    await s.runFor(100);
    await first;
    await s.runFor(10_000);
    const fins = s.trace
      .events()
      .filter((e) => e.kind === 'fin')
      .map((e) => `${e.t} ${e.src}`);
    // The response went out at 15. Node 20.20's server ends an idle keep-alive socket
    // keepAliveTimeout (5000) + 1000 ms after it (real loopback measures ~6013 ms); the client follows.
    expect(fins).toEqual(['6015 server:80', '6020 client:32768']);
    expect(s.openSockets()).toBe(0);
    agent.destroy();
    httpServer.close();
  });
});
