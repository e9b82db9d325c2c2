/**
 * gRPC: @grpc/grpc-js 1.14, server and client, unmodified, over HTTP/2 on the host processes. Its
 * keepalive, read from grpc-js's transport.js (client) and server.js:
 * - the client (grpc.keepalive_time_ms I, grpc.keepalive_timeout_ms T) arms a timer of I when the
 *   transport is up; at its end it sends an HTTP/2 PING and arms T; the PING ack restarts I (a
 *   pong-driven pinger with period I + r). No ack within T closes the transport: the channel goes
 *   IDLE, and the subject asks it to connect again (gRPC's own connection backoff: 1 s × 1.6, ±20 %,
 *   up to 120 s).
 * - the server pings on the same rule when grpc.keepalive_time_ms is set on it.
 * BOUNDS.md ("Library subjects") gives the detection bounds this implies.
 */
import { z } from 'zod';
import type { Address, ServerHandle, Subject, SubjectHandle } from '../../backend.ts';
import { duration } from '../../scenario/fields.ts';
import { EventRelay, loadLibrary } from './common.ts';

export const grpcConfigSchema = z.strictObject({
  keepaliveTime: duration(
    'client grpc.keepalive_time_ms: a PING this long after the last ack (default 10s)',
  ).default(10_000),
  keepaliveTimeout: duration(
    'client grpc.keepalive_timeout_ms: how long to wait for the ack (default 5s)',
  ).default(5000),
  serverKeepaliveTime: duration(
    'server grpc.keepalive_time_ms (default: the server does not ping)',
  ).optional(),
  serverKeepaliveTimeout: duration('server grpc.keepalive_timeout_ms (default 20s)').default(20_000),
});
export type GrpcConfig = z.output<typeof grpcConfigSchema>;

type Grpc = typeof import('@grpc/grpc-js');

const identity = (x: Buffer) => x;
const SERVICE = {
  ping: {
    path: '/flatline.Heartbeat/Ping',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** grpc-js's connectivity states by number. */
const STATE = ['IDLE', 'CONNECTING', 'READY', 'TRANSIENT_FAILURE', 'SHUTDOWN'];

export const grpcSubject: Subject<GrpcConfig> = {
  name: 'grpc',
  usesNode: true,
  async startServer(_runtime, address, config): Promise<ServerHandle> {
    const grpc = await loadLibrary<Grpc>('grpc', '@grpc/grpc-js');
    const relay = new EventRelay();
    const server = new grpc.Server({
      ...(config.serverKeepaliveTime === undefined
        ? {}
        : {
            'grpc.keepalive_time_ms': config.serverKeepaliveTime,
            'grpc.keepalive_timeout_ms': config.serverKeepaliveTimeout,
          }),
      // Accept the client's keepalive PINGs whatever their rate (the default answers frequent PINGs
      // with GOAWAY "too_many_pings"): the keepalive under test is the client's.
      'grpc.http2.min_ping_interval_without_data_ms': 0,
      'grpc.keepalive_permit_without_calls': 1,
    });
    server.addService(SERVICE, {
      ping: (_call: unknown, cb: (e: null, r: Buffer) => void) => cb(null, Buffer.from('pong')),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `${address.host}:${address.port}`,
        grpc.ServerCredentials.createInsecure(),
        (err, p) => (err ? reject(err) : resolve(p)),
      ),
    );
    return {
      address: { host: address.host, port },
      onEvent: relay.onEvent,
      close: async () => {
        server.forceShutdown();
      },
    };
  },
  async startClient(_runtime, target: Address, config): Promise<SubjectHandle> {
    const grpc = await loadLibrary<Grpc>('grpc', '@grpc/grpc-js');
    const relay = new EventRelay();
    const Client = grpc.makeGenericClientConstructor(SERVICE, 'Heartbeat');
    const client = new Client(`${target.host}:${target.port}`, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': config.keepaliveTime,
      'grpc.keepalive_timeout_ms': config.keepaliveTimeout,
      'grpc.keepalive_permit_without_calls': 1,
    });
    const channel = client.getChannel();
    let closing = false;
    let last = channel.getConnectivityState(true);
    const watch = () => {
      if (closing) return;
      const state = channel.getConnectivityState(false);
      if (state === grpc.connectivityState.READY) relay.emit({ type: 'ready', side: 'client' });
      else if (last === grpc.connectivityState.READY) {
        relay.emit({ type: 'state', side: 'client', state: STATE[state] ?? String(state) });
      }
      // An idle channel waits for a call; a heartbeat wants the connection back at once.
      if (state === grpc.connectivityState.IDLE) channel.getConnectivityState(true);
      last = state;
      channel.watchConnectivityState(state, Number.POSITIVE_INFINITY, watch);
    };
    channel.watchConnectivityState(last, Number.POSITIVE_INFINITY, watch);
    return {
      onEvent: relay.onEvent,
      close: async () => {
        closing = true;
        client.close();
      },
    };
  },
};
