/**
 * The reference heartbeat server as a long-running process (docker-compose's `reference` service):
 * listens on HOST:PORT (default 0.0.0.0:7000), answers heartbeats, echoes business messages, logs
 * JSON lines to stdout, and shuts down gracefully on SIGINT/SIGTERM (F16).
 *
 *   HOST=127.0.0.1 PORT=7000 npm run serve
 */
import { jsonLineLogger, realRuntime } from './runtime.ts';
import { HeartbeatServer } from './server.ts';

const host = process.env.HOST ?? '0.0.0.0';
const port = Number(process.env.PORT ?? 7000);
if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(
    `serve: PORT must be an integer in [0, 65535], got ${JSON.stringify(process.env.PORT)}\n`,
  );
  process.exit(2);
}

const runtime = realRuntime({ logger: jsonLineLogger((line) => process.stdout.write(line), 'info') });
const server = new HeartbeatServer({
  runtime,
  onMessage: (payload, ctx) => {
    ctx.reply({ echo: payload });
  },
});
const bound = await server.listen(port, host);
runtime.logger.log({ ts: runtime.now(), level: 'info', service: 'serve', msg: 'listening', ...bound });

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  runtime.logger.log({ ts: runtime.now(), level: 'info', service: 'serve', msg: 'stopping', signal });
  await server.close();
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
