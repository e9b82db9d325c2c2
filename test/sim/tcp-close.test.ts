/**
 * Closing on virtual time, as Node and Linux do it: end() sends a FIN and the peer sees 'end'
 * (allowHalfOpen honoured); destroy() sends a FIN unless received data was left unread (then an RST);
 * resetAndDestroy() always sends an RST, and the peer sees ECONNRESET then close(true).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../harness/sim/index.ts';
import type { SimSocket } from '../../harness/sim/socket.ts';
import { type Pair, pair, recordEvents } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Connects client→server:80; resolves at t=15 with both sockets (server got the connection). */
async function connected(
  p: Pair,
  serverOpts: { allowHalfOpen?: boolean } = {},
  clientOpts: { allowHalfOpen?: boolean } = {},
) {
  let serverSocket: SimSocket | undefined;
  p.server.net
    .createServer(serverOpts, (s) => {
      serverSocket = s as unknown as SimSocket;
    })
    .listen(80);
  const client = p.client.net.createConnection({
    host: 'server',
    port: 80,
    ...clientOpts,
  }) as unknown as SimSocket;
  await p.sim.runFor(15);
  if (!serverSocket) throw new Error('no connection');
  return { client, server: serverSocket };
}

describe('FIN', () => {
  it("end() on the server: the client reads the data, sees 'end' one way later, ends too (no allowHalfOpen) and both close", async () => {
    const p = pair();
    sim = p.sim;
    const { client, server } = await connected(p);
    const cl = recordEvents(client, () => p.sim.now());
    const sl = recordEvents(server, () => p.sim.now());
    server.end('bye');
    await p.sim.runFor(100);
    expect(cl).toEqual(['20 data:bye', '20 end', '20 finish', '20 close:false']);
    expect(sl).toEqual(['15 finish', '25 end', '25 close:false']);
    expect(client.bytesRead).toBe(3);
    expect(server.bytesWritten).toBe(3);
    expect(p.sim.openSockets()).toBe(0);
    expect(p.sim.pendingTimers()).toBe(0);
  });

  it("with allowHalfOpen the client sees 'end' and may keep writing; the server still reads", async () => {
    const p = pair();
    sim = p.sim;
    const { client, server } = await connected(p, {}, { allowHalfOpen: true });
    const cl = recordEvents(client, () => p.sim.now());
    const sl = recordEvents(server, () => p.sim.now());
    server.end();
    await p.sim.runFor(10);
    expect(cl).toEqual(['20 end']);
    client.write('still here');
    await p.sim.runFor(10);
    expect(sl).toEqual(['15 finish', '30 data:still here']);
    client.end();
    await p.sim.runFor(20);
    expect(cl).toEqual(['20 end', '35 finish', '35 close:false']);
    expect(sl).toEqual(['15 finish', '30 data:still here', '40 end', '40 close:false']);
  });

  it('destroy() with nothing unread sends a FIN, not an RST (as real Node)', async () => {
    const p = pair();
    sim = p.sim;
    const { client, server } = await connected(p);
    const cl = recordEvents(client, () => p.sim.now());
    const sl = recordEvents(server, () => p.sim.now());
    server.destroy();
    await p.sim.runFor(100);
    expect(sl).toEqual(['15 close:false']);
    expect(cl).toEqual(['20 end', '20 finish', '20 close:false']);
    expect(p.sim.trace.events().some((e) => e.kind === 'rst')).toBe(false);
  });

  it('destroy() with received data left unread in the kernel sends an RST: the peer gets ECONNRESET', async () => {
    const p = pair();
    sim = p.sim;
    // pauseOnConnect: the server never starts reading, so what arrives stays in its kernel.
    const { client, server } = await connected(p, { pauseOnConnect: true } as { allowHalfOpen?: boolean });
    client.write('unread');
    await p.sim.runFor(50);
    const cl = recordEvents(client, () => p.sim.now());
    server.destroy();
    await p.sim.runFor(100);
    expect(cl).toEqual(['70 error:ECONNRESET', '70 close:true']);
  });
});

describe('RST', () => {
  it('resetAndDestroy(): the peer sees error ECONNRESET ("read ECONNRESET") then close(true); the resetting side only close(false)', async () => {
    const p = pair();
    sim = p.sim;
    const { client, server } = await connected(p);
    const cl = recordEvents(client, () => p.sim.now());
    const sl = recordEvents(server, () => p.sim.now());
    let err: NodeJS.ErrnoException | undefined;
    client.on('error', (e) => {
      err = e;
    });
    server.resetAndDestroy();
    await p.sim.runFor(100);
    expect(sl).toEqual(['15 close:false']);
    expect(cl).toEqual(['20 error:ECONNRESET', '20 close:true']);
    expect(err?.message).toBe('read ECONNRESET');
    expect(err).toMatchObject({ errno: -104, syscall: 'read' });
    expect(
      p.sim.trace
        .events()
        .filter((e) => e.kind === 'rst')
        .map((e) => e.t),
    ).toEqual([15]);
  });

  it('resetAndDestroy() while connecting waits for the connection, then resets it', async () => {
    const p = pair();
    sim = p.sim;
    const sl: string[] = [];
    p.server.net.createServer((s) => sl.push(...recordEvents(s, () => p.sim.now()))).listen(80);
    const client = p.client.net.createConnection(80, 'server') as unknown as SimSocket;
    const cl = recordEvents(client, () => p.sim.now());
    client.resetAndDestroy();
    await p.sim.runFor(100);
    expect(cl).toEqual(['10 connect', '10 ready', '10 close:false']);
    expect(
      p.sim.trace
        .events()
        .filter((e) => e.kind === 'rst')
        .map((e) => `${e.t} ${e.src}`),
    ).toEqual(['10 client:32768']);
  });

  it('a packet for a connection the peer no longer has is answered with an RST', async () => {
    const p = pair();
    sim = p.sim;
    const { client } = await connected(p, { allowHalfOpen: true }, { allowHalfOpen: true });
    p.sim.faults.crash('server');
    p.sim.faults.restart('server');
    const cl = recordEvents(client, () => p.sim.now());
    client.write('hello?');
    await p.sim.runFor(100);
    expect(cl).toEqual(['25 error:ECONNRESET', '25 close:true']);
  });
});

describe('writing after the end', () => {
  it("after the peer's FIN (no allowHalfOpen): the write callback gets EPIPE 'This socket has been ended by the other party'", async () => {
    const p = pair();
    sim = p.sim;
    const { client, server } = await connected(p);
    server.destroy();
    await p.sim.runFor(50);
    const errors: string[] = [];
    client.write('late', (e) => errors.push(`${(e as NodeJS.ErrnoException).code} ${e?.message}`));
    await p.sim.runFor(10);
    expect(errors).toEqual(['EPIPE This socket has been ended by the other party']);
  });

  it('after its own destroy(): ERR_STREAM_DESTROYED to the callback, no error event', async () => {
    const p = pair();
    sim = p.sim;
    const { client } = await connected(p);
    const cl = recordEvents(client);
    client.destroy();
    client.write('x', (e) => cl.push(`cb:${(e as NodeJS.ErrnoException).code}`));
    await p.sim.runFor(10);
    expect(cl).toEqual(['cb:ERR_STREAM_DESTROYED', 'close:false']);
  });

  it('after its own end(): ERR_STREAM_WRITE_AFTER_END to the callback and as an error, then close(true)', async () => {
    const p = pair();
    sim = p.sim;
    const { client } = await connected(p);
    const cl = recordEvents(client);
    client.end();
    client.write('y', (e) => cl.push(`cb:${(e as NodeJS.ErrnoException).code}`));
    await p.sim.runFor(10);
    expect(cl).toEqual(['cb:ERR_STREAM_WRITE_AFTER_END', 'error:ERR_STREAM_WRITE_AFTER_END', 'close:true']);
  });

  it('with allowHalfOpen, writing to a peer that has fully closed: the data draws an RST, the next write fails with ECONNRESET/EPIPE', async () => {
    const p = pair();
    sim = p.sim;
    const { client, server } = await connected(p, {}, { allowHalfOpen: true });
    server.destroy();
    await p.sim.runFor(50);
    const cl = recordEvents(client, () => p.sim.now());
    client.write('one');
    await p.sim.runFor(50);
    client.write('two', (e) => cl.push(`${p.sim.now()} cb:${(e as NodeJS.ErrnoException).code}`));
    await p.sim.runFor(10);
    // Linux: RST in CLOSE_WAIT → EPIPE on the next write.
    expect(cl).toEqual(['115 cb:EPIPE', '115 error:EPIPE', '115 close:true']);
  });
});
