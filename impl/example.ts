/**
 * Runnable example: a heartbeat server and client on loopback, logging every heartbeat as a JSON
 * line until interrupted. Ctrl-C (SIGINT) or SIGTERM stops both cleanly; the process then exits on
 * its own because nothing is left running.
 *
 *   npm run example                  # 1 s interval
 *   npm run example -- --interval 250
 */
import { HeartbeatClient } from './client.ts';
import { jsonLineLogger, realRuntime } from './runtime.ts';
import { HeartbeatServer } from './server.ts';

function intervalFromArgs(argv: readonly string[]): number {
  const i = argv.indexOf('--interval');
  const raw = i >= 0 ? argv[i + 1] : process.env.HEARTBEAT_INTERVAL;
  if (raw === undefined) return 1_000;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms < 10) {
    process.stderr.write(`example: --interval must be an integer ≥ 10 (ms), got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return ms;
}

const interval = intervalFromArgs(process.argv.slice(2));
const runtime = realRuntime({ logger: jsonLineLogger((line) => process.stdout.write(line), 'info') });
const say = (msg: string, fields: Record<string, unknown> = {}) =>
  runtime.logger.log({ ts: runtime.now(), level: 'info', service: 'example', msg, ...fields });

// Scaled-down seed ratios: pong timeout I/6 (5 s of 30 s), read deadline 1.5·I (45 s of 30 s).
const pongTimeout = Math.max(5, Math.round(interval / 6));
const common = { interval, pongTimeout, writeDeadline: pongTimeout, keepAlive: 2 * interval };

const server = new HeartbeatServer({
  runtime,
  config: { ...common, readDeadline: Math.round(1.5 * interval) },
  onMessage: (payload, ctx) => {
    ctx.reply({ echo: payload });
  },
});
const { port } = await server.listen(0, '127.0.0.1');

const client = new HeartbeatClient({
  host: '127.0.0.1',
  port,
  runtime,
  config: { ...common, backoff: { base: interval, cap: 10 * interval, jitter: interval } },
});
client.on('pong', ({ conn, seq, rtt }) => {
  say('heartbeat', { conn, seq, rtt });
  if (seq % 5 === 0) client.send({ type: 'status', seq });
});
client.on('message', ({ conn, payload }) => say('business reply', { conn, payload }));
client.start();
say('running; press Ctrl-C to stop', { port, interval });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping', { signal });
  await client.stop();
  await server.close();
  const { totals } = client.stats();
  say('stopped cleanly', { heartbeat: totals.heartbeat, business: totals.business });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
function onSignal(signal: NodeJS.Signals): void {
  void shutdown(signal);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
