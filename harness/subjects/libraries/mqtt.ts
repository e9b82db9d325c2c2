/**
 * MQTT: the mqtt.js 5 client against an aedes 1 broker, both unmodified. Their keepalive, read from
 * mqtt.js's KeepaliveManager.js and handlers/index.js and aedes's handlers (connect.js, index.js):
 * - the client (keep alive K s) runs an interval timer every ⌈K/2⌉ s from its last reschedule (the
 *   CONNACK, every PINGRESP, and each packet it sends); the 2nd tick sends PINGREQ, the 3rd — 1.5·K
 *   after the reschedule with no PINGRESP — ends the connection ("Keepalive timeout"). It then
 *   reconnects every reconnectPeriod.
 * - the broker arms a timer of K·1500 + 1 ms at CONNECT, refreshed by every packet it receives: a
 *   client silent that long is dropped ("keep alive timeout", [MQTT-3.1.2-24]).
 * BOUNDS.md ("Library subjects") gives the detection bounds this implies.
 */
import type { Server as NetServer } from 'node:net';
import { z } from 'zod';
import type { Address, ServerHandle, Subject, SubjectHandle } from '../../backend.ts';
import { duration } from '../../scenario/fields.ts';
import { EventRelay, listenOn, loadLibrary } from './common.ts';

export const mqttConfigSchema = z.strictObject({
  keepalive: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .default(60)
    .meta({ description: 'MQTT keep alive K, in seconds as the protocol has it (mqtt.js default 60)' }),
  reconnectPeriod: duration('mqtt.js: wait between reconnect attempts (default 1s)').default(1000),
  connectTimeout: duration('mqtt.js: longest a connect (to CONNACK) may take (default 30s)').default(30_000),
});
export type MqttConfig = z.output<typeof mqttConfigSchema>;

type AedesModule = typeof import('aedes');
type MqttModule = typeof import('mqtt');

export const mqttSubject: Subject<MqttConfig> = {
  name: 'mqtt',
  usesNode: true,
  async startServer(_runtime, address, _config): Promise<ServerHandle> {
    const { Aedes } = await loadLibrary<AedesModule>('mqtt', 'aedes', 'esm');
    const net = await import('node:net');
    const relay = new EventRelay();
    const broker = await Aedes.createBroker();
    broker.on('client', (client) => relay.emit({ type: 'connection', side: 'server', conn: client.id }));
    broker.on('keepaliveTimeout', (client) =>
      relay.emit({ type: 'death', side: 'server', conn: client.id, reason: 'heartbeat-timeout' }),
    );
    broker.on('clientError', (client, err) =>
      relay.emit({ type: 'error', side: 'server', conn: client.id, message: err.message }),
    );
    const server: NetServer = net.createServer(broker.handle as (socket: unknown) => void);
    const bound = await listenOn(server, address);
    return {
      address: bound,
      onEvent: relay.onEvent,
      close: async () => {
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
  async startClient(runtime, target: Address, config): Promise<SubjectHandle> {
    const mqtt = await loadLibrary<MqttModule>('mqtt', 'mqtt');
    const relay = new EventRelay();
    const client = mqtt.connect(`mqtt://${target.host}:${target.port}`, {
      keepalive: config.keepalive,
      reconnectPeriod: config.reconnectPeriod,
      connectTimeout: config.connectTimeout,
      // A client id of its own (the default is random): the broker sees the same id on each reconnect.
      clientId: `flatline-${Math.floor(runtime.random() * 1e9).toString(36)}`,
    });
    let closing = false;
    client.on('connect', () => relay.emit({ type: 'ready', side: 'client' }));
    client.on('reconnect', () => relay.emit({ type: 'reconnect', side: 'client' }));
    client.on('error', (err: Error) => {
      if (/keepalive timeout/i.test(err.message))
        relay.emit({ type: 'death', side: 'client', reason: 'heartbeat-timeout' });
    });
    client.on('close', () => {
      if (!closing) relay.emit({ type: 'closed', side: 'client' });
    });
    return {
      onEvent: relay.onEvent,
      close: async () => {
        closing = true;
        await client.endAsync(true);
      },
    };
  },
};
