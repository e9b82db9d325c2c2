/**
 * Runs one command (toxiproxy-server) as its child and guarantees the child dies with the process
 * that started this supervisor, however that process ends — including SIGKILL, which no handler can
 * see. The parent holds the write end of our stdin; when the parent dies the kernel closes it, we
 * read EOF, and stop the child. Plain JS (no tsx) so it starts fast and needs no loader.
 *
 *   node supervisor.mjs <grace-ms> <command> [args...]
 *
 * stdout is a control channel of JSON lines: {"event":"spawned","pid":N},
 * {"event":"error","code":"ENOENT","message":"..."}, {"event":"exit","code":N|null,"signal":S|null}.
 * The child's stdout and stderr go to our stderr, so the parent can read the command's logs.
 * Closing our stdin, SIGTERM, SIGINT or SIGHUP all stop the child: SIGTERM first, SIGKILL after
 * <grace-ms>. We exit once the child has exited (so it is reaped, never left a zombie).
 */
import { spawn } from 'node:child_process';

const [graceArg, command, ...args] = process.argv.slice(2);
const graceMs = Number(graceArg);
if (!command || !Number.isFinite(graceMs) || graceMs < 0) {
  process.stderr.write('usage: node supervisor.mjs <grace-ms> <command> [args...]\n');
  process.exit(2);
}

// The parent may already be gone when we report; a broken pipe must not crash us before cleanup.
process.stdout.on('error', () => {});

function send(message, then) {
  try {
    process.stdout.write(`${JSON.stringify(message)}\n`, then);
  } catch {
    then?.();
  }
}

const child = spawn(command, args, { stdio: ['ignore', 2, 2] });
let stopping = false;
let killTimer;

function stop() {
  if (stopping) return;
  stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
}

child.on('spawn', () => send({ event: 'spawned', pid: child.pid }));
child.on('error', (err) => {
  // Spawn failures (ENOENT, EACCES) arrive here and no 'exit' follows.
  send({ event: 'error', code: err.code ?? null, message: err.message }, () => process.exit(1));
});
child.on('exit', (code, signal) => {
  clearTimeout(killTimer);
  send({ event: 'exit', code, signal }, () => process.exit(0));
  // If stdout is a broken pipe the callback may never run.
  setTimeout(() => process.exit(0), 1000).unref();
});

process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, stop);
