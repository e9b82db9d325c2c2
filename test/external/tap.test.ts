/**
 * The tap (harness/external/tap.ts): a relay next to a program that records, in the program's own
 * terms, what it did and met — and passes everything on faithfully: bytes, a FIN as a FIN (half-close
 * kept), an RST as an RST. The "program" here is a plain socket the test drives; upstream is a plain
 * server.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openTap, type Tap } from '../../harness/external/tap.ts';
import { Recorder } from '../../harness/observe/recorder.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  // The tap first: an upstream server's close waits for the tap's connections to it.
  for (const x of open.splice(0).reverse()) await x.close();
});

async function upstreamServer(onSocket: (s: net.Socket) => void): Promise<net.Server> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  open.push({
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  });
  return server;
}

const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

async function setup(program: 'dials' | 'accepts', onUpstream: (s: net.Socket) => void) {
  const recorder = new Recorder(() => 0);
  const up = await upstreamServer(onUpstream);
  const tap: Tap = await openTap({
    recorder,
    side: program === 'dials' ? 'client' : 'server',
    host: program === 'dials' ? 'client' : 'server',
    program,
    upstream: { host: '127.0.0.1', port: port(up) },
  });
  open.push(tap);
  return { recorder, tap };
}

const kinds = (r: Recorder) =>
  r.events.map((e) => `${e.kind}${e.bytes ? `:${e.bytes}` : ''}${e.code ? `:${e.code}` : ''}`);

describe('tap in front of a dialling program (a client)', { timeout: 10_000 }, () => {
  it('records the dial, bytes each way, the program’s FIN and the peer’s answering FIN; passes the FIN on', async () => {
    let upstreamSawEnd = false;
    const { recorder, tap } = await setup('dials', (s) => {
      s.on('data', (d) => s.write(`echo:${d}`));
      s.on('end', () => {
        upstreamSawEnd = true;
        s.end();
      });
    });
    const client = net.connect({ ...tap.listen, allowHalfOpen: true });
    client.resume();
    await new Promise((r) => client.once('connect', r));
    const localPort = client.localPort;
    client.write('ping');
    await tick();
    client.end();
    await new Promise((r) => client.once('close', r));
    await tick();
    expect(upstreamSawEnd).toBe(true);
    expect(kinds(recorder)).toEqual([
      'dial',
      'connect',
      'data-out:4',
      'data-in:9',
      'local-end',
      'end',
      'close',
    ]);
    const c = [...recorder.connections.values()][0]!;
    expect(c.localPort).toBe(localPort);
    expect([c.bytesOut, c.bytesIn]).toEqual([4, 9]);
  });

  it('an RST from upstream reaches the program as an RST (ECONNRESET), recorded as an error it met', async () => {
    const { recorder, tap } = await setup('dials', (s) => s.on('data', () => s.resetAndDestroy()));
    const client = net.connect(tap.listen);
    const error = new Promise<NodeJS.ErrnoException>((r) => client.once('error', r));
    client.write('x');
    expect((await error).code).toBe('ECONNRESET');
    await tick();
    expect(kinds(recorder)).toContain('error:ECONNRESET');
    expect(kinds(recorder)).not.toContain('local-reset');
  });

  it('the program’s own RST is recorded as its local reset and passed upstream', async () => {
    let upstreamError: string | undefined;
    const { recorder, tap } = await setup('dials', (s) =>
      s.on('error', (e: NodeJS.ErrnoException) => (upstreamError = e.code)),
    );
    const client = net.connect(tap.listen);
    await new Promise((r) => client.once('connect', r));
    await tick();
    client.resetAndDestroy();
    await tick(100);
    expect(kinds(recorder)).toContain('local-reset:ECONNRESET');
    expect(upstreamError).toBe('ECONNRESET');
  });

  it('not listening: the program’s connect is refused, as behind a disabled proxy', async () => {
    const { tap } = await setup('dials', () => {});
    await tap.setListening(false);
    const client = net.connect(tap.listen);
    const error = await new Promise<NodeJS.ErrnoException>((r) => client.once('error', r));
    expect(error.code).toBe('ECONNREFUSED');
    await tap.setListening(true);
    const again = net.connect(tap.listen);
    await new Promise((r) => again.once('connect', r));
    again.destroy();
  });
});

describe('tap in front of an accepting program (a server)', { timeout: 10_000 }, () => {
  it('records the accept with the peer address the program sees, and the program’s FIN as its own', async () => {
    let serverPeer = 0;
    const { recorder, tap } = await setup('accepts', (s) => {
      serverPeer = s.remotePort!;
      s.end('bye');
    });
    const peer = net.connect({ ...tap.listen, allowHalfOpen: true });
    const got: Buffer[] = [];
    peer.on('data', (d) => got.push(d));
    await new Promise((r) => peer.once('end', r));
    peer.end();
    await tick(100);
    expect(Buffer.concat(got).toString()).toBe('bye');
    expect(kinds(recorder)).toEqual(['accept', 'data-out:3', 'local-end', 'end', 'close']);
    const c = [...recorder.connections.values()][0]!;
    expect(c.remotePort).toBe(serverPeer);
  });

  it('a death the program reports by address resolves to the connection, even when the report comes first', async () => {
    let serverPeer = 0;
    const { recorder, tap } = await setup('accepts', (s) => {
      serverPeer = s.remotePort!;
    });
    const peer = net.connect(tap.listen);
    await new Promise((r) => peer.once('connect', r));
    await tick();
    recorder.subjectEvent('server', 'server', {
      type: 'death',
      side: 'server',
      reason: 'read-deadline',
      peer: `127.0.0.1:${serverPeer}`,
    });
    const death = recorder.events.find((e) => e.kind === 'subject')!;
    expect(death.conn).toBe('server#1');
    // Reported before the relay saw the connection: claimed when it appears.
    const early = new Recorder(() => 0);
    early.subjectEvent('client', 'client', {
      type: 'death',
      side: 'client',
      reason: 'x',
      local: '127.0.0.1:5555',
      conn: 'c#1',
    });
    early.mirror('client', 'client', 'dial', {
      localAddress: '127.0.0.1',
      localPort: 5555,
      remoteAddress: '127.0.0.1',
      remotePort: 1,
    });
    expect(early.events[0]!.conn).toBe('client#1');
    expect(early.socketOf('client', 'c#1')).toBe('client#1');
    peer.destroy();
  });
});
