/**
 * Backpressure through the modelled buffers: a receiver that does not read lets its kernel receive
 * buffer (128 KiB) fill, then stops acknowledging new data (zero window); the sender's kernel send
 * buffer (16 KiB) fills, its _write callbacks stop, writableLength reaches the high-water mark
 * (16 KiB) and write() returns false; 'drain' follows once the receiver reads again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../harness/sim/index.ts';
import type { SimSocket } from '../../harness/sim/socket.ts';
import { pair } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const KiB = 1024;

async function floodPausedReceiver(pauseOnConnect: boolean) {
  const p = pair();
  sim = p.sim;
  let receiver: SimSocket | undefined;
  p.server.net
    .createServer({ pauseOnConnect } as object, (s) => {
      receiver = s as unknown as SimSocket;
      if (!pauseOnConnect) s.pause();
    })
    .listen(80);
  const sender = p.client.net.createConnection(80, 'server');
  const chunk = Buffer.alloc(KiB, 7);
  let writes = 0;
  const falses: string[] = [];
  const write = () => {
    for (;;) {
      writes++;
      if (!sender.write(chunk)) {
        falses.push(`${p.sim.now()}:${writes}`);
        return;
      }
    }
  };
  sender.on('connect', write);
  sender.on('drain', write);
  await p.sim.runFor(5000);
  const delivered = p.sim.trace
    .events()
    .filter((e) => e.kind === 'data' && e.src === 'client:32768')
    .reduce((n, e) => n + (e.bytes as number), 0);
  return { p, sender, receiver: receiver as unknown as SimSocket, falses, delivered, writes: () => writes };
}

describe('backpressure', () => {
  it('receiver never reading (pauseOnConnect): write() is false after kernel 16 KiB + stream 16 KiB, drains per round trip until the 128 KiB window is full', async () => {
    const { p, sender, falses, delivered } = await floodPausedReceiver(true);
    expect(falses).toEqual([
      '10:32',
      '20:48',
      '30:64',
      '40:80',
      '50:96',
      '60:112',
      '70:128',
      '80:144',
      '90:160',
    ]);
    expect(delivered).toBe(128 * KiB);
    expect(sender.writableLength).toBe(16 * KiB);
    expect(sender.bytesWritten).toBe(160 * KiB);
    // Zero window: the sender probes with exponential backoff (persist timer, from an RTO of 210 ms).
    const probes = p.sim.trace
      .events()
      .filter((e) => e.kind === 'win-probe')
      .map((e) => e.t);
    expect(probes).toEqual([300, 720, 1560, 3240]);
  });

  it("resume() releases it: the window reopens and 'drain' fires again one round trip later", async () => {
    const { p, receiver, falses, writes } = await floodPausedReceiver(true);
    receiver.resume();
    const before = writes();
    const sender = p.sim.openSockets('client');
    expect(sender).toBe(1);
    await p.sim.runFor(15);
    expect(falses.at(-1)).toBe('5015:176');
    expect(writes()).toBe(before + 16);
    expect(receiver.bytesRead).toBeGreaterThanOrEqual(128 * KiB);
  });

  it('socket.pause() keeps reading into the readable buffer up to its 16 KiB high-water mark before the kernel fills (as Node)', async () => {
    const { falses, delivered, receiver } = await floodPausedReceiver(false);
    expect(delivered).toBe(144 * KiB);
    expect(receiver.readableLength).toBe(16 * KiB);
    expect(falses.at(-1)).toBe('100:176');
  });

  it('write callbacks stop while the kernel send buffer is full', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer({ pauseOnConnect: true } as object, () => {}).listen(80);
    const sender = p.client.net.createConnection(80, 'server');
    const done: number[] = [];
    sender.on('connect', () => {
      for (let i = 0; i < 200; i++) sender.write(Buffer.alloc(KiB), () => done.push(i));
    });
    await p.sim.runFor(1000);
    // 128 KiB reached the receiver's kernel, 16 KiB sit in the sender's kernel: 144 callbacks, no more.
    expect(done.length).toBe(144);
    expect(sender.writableLength).toBe(56 * KiB);
  });
});
