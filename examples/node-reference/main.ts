/**
 * The reference heartbeat (impl/) as a standalone program, so flatline can run it as an external
 * process exactly like a Go or Rust binary — and show the same verdicts as when it runs in-process.
 *
 *   node --import tsx main.ts server <host:port>
 *   node --import tsx main.ts client <host:port>
 *
 * Settings come from flatline's environment (docs/external-subjects.md): FLATLINE_CONFIG, the
 * scenario's reference config in scenario ms, and FLATLINE_TIME_SCALE, real ms per scenario ms; the
 * program runs its timers on that scaled clock (the subject file says `time: scaled`). Events go to
 * stdout as JSON lines, each naming its connection by address (`local` for the client's own end,
 * `peer` for the server's view of the client) so flatline can tie it to what it saw at the proxy.
 * SIGTERM closes gracefully and exits 0.
 */

import type { SubjectEvent, SubjectHandle } from '../../harness/backend.ts';
import { Recorder } from '../../harness/observe/recorder.ts';
import { referenceSubject } from '../../harness/subjects/reference.ts';
import { REFERENCE_DEFAULTS, type ReferenceConfig } from '../../harness/subjects/reference-config.ts';
import { Resources, ScenarioClock, scaledRuntime } from '../../harness/toxiproxy/runtime.ts';
import { silentLogger } from '../../impl/runtime.ts';

function fail(message: string): never {
  process.stderr.write(`node-reference: ${message}\n`);
  process.exit(2);
}

const [role, where] = process.argv.slice(2);
if ((role !== 'server' && role !== 'client') || !where || !/^.+:\d+$/.test(where)) {
  fail('usage: main.ts server|client <host:port>');
}
const i = where.lastIndexOf(':');
const address = { host: where.slice(0, i), port: Number(where.slice(i + 1)) };
const timeScale = Number(process.env.FLATLINE_TIME_SCALE ?? '1');
if (!(timeScale > 0))
  fail(`FLATLINE_TIME_SCALE must be a positive number, got ${process.env.FLATLINE_TIME_SCALE}`);
let config: ReferenceConfig = REFERENCE_DEFAULTS;
try {
  if (process.env.FLATLINE_CONFIG) config = JSON.parse(process.env.FLATLINE_CONFIG) as ReferenceConfig;
} catch (e) {
  fail(`FLATLINE_CONFIG is not JSON: ${(e as Error).message}`);
}

const resources = new Resources();
const runtime = scaledRuntime({
  clock: new ScenarioClock(timeScale, Date.now()),
  resources,
  bindHost: address.host,
  logger: silentLogger,
  random: Math.random,
});
// The recorder ties the reference's connection ids to its sockets, whose addresses go in each event.
const host = role;
const recorder = new Recorder(() => runtime.now());
const observed = recorder.observe(runtime, role, host);

function write(e: SubjectEvent): void {
  recorder.subjectEvent(role as 'server' | 'client', host, e);
  const socket = typeof e.conn === 'string' ? recorder.socketOf(host, e.conn) : undefined;
  const c = socket ? recorder.connections.get(socket) : undefined;
  const line: Record<string, unknown> = { ...e };
  if (c?.localPort !== undefined) line.local = `${c.localAddress}:${c.localPort}`;
  if (c?.remotePort !== undefined) line.peer = `${c.remoteAddress}:${c.remotePort}`;
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const handle: SubjectHandle =
  role === 'server'
    ? await referenceSubject.startServer(observed, address, config)
    : await referenceSubject.startClient(observed, address, config);
handle.onEvent?.(write);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await handle.close();
  await resources.closeAll();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
