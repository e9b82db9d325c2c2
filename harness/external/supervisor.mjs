/**
 * Runs one command as its child and guarantees the child dies with the process that started this
 * supervisor, however that process ends — including SIGKILL, which no handler can see. The parent
 * holds the write end of our stdin; when the parent dies the kernel closes it, we read EOF, and stop
 * the child. Plain JS (no tsx) so it starts fast and needs no loader. Used for toxiproxy-server and
 * for external-process subjects.
 *
 *   node supervisor.mjs [--group] [--subject-stdio] [--events-fd] <grace-ms> <command> [args...]
 *
 * --group          the child leads its own process group, and every signal goes to the whole group:
 *                  a `go run` or a shell script dies with everything it started. After the child
 *                  exits, whatever is left of its group is killed too.
 * --subject-stdio  the child's stdout goes to our fd 3 and its stderr to our stderr (the parent reads
 *                  them as they come, with no copy through this process); without it both go to our
 *                  stderr.
 * --events-fd      also hand our fd 4 to the child as its fd 3 (a subject's event channel).
 *
 * stdout is a control channel of JSON lines: {"event":"spawned","pid":N},
 * {"event":"error","code":"ENOENT","message":"..."},
 * {"event":"exit","code":N|null,"signal":S|null,"escalated":bool} (escalated: SIGTERM was not
 * enough and the grace ran out, so SIGKILL ended it).
 * Closing our stdin, SIGTERM, SIGINT or SIGHUP all stop the child: SIGTERM first (with SIGCONT, so a
 * stopped group can act on it), SIGKILL after <grace-ms>. We exit once the child has exited (so it is
 * reaped, never left a zombie).
 */
import { spawn } from 'node:child_process';

const argv = process.argv.slice(2);
const flags = new Set();
while (argv[0]?.startsWith('--')) flags.add(argv.shift());
const [graceArg, command, ...args] = argv;
const graceMs = Number(graceArg);
if (!command || !Number.isFinite(graceMs) || graceMs < 0) {
  process.stderr.write(
    'usage: node supervisor.mjs [--group] [--subject-stdio] [--events-fd] <grace-ms> <command> [args...]\n',
  );
  process.exit(2);
}
const group = flags.has('--group');

// The parent may already be gone when we report; a broken pipe must not crash us before cleanup.
process.stdout.on('error', () => {});

function send(message, then) {
  try {
    process.stdout.write(`${JSON.stringify(message)}\n`, then);
  } catch {
    then?.();
  }
}

const stdio = flags.has('--subject-stdio') ? ['ignore', 3, 2] : ['ignore', 2, 2];
if (flags.has('--events-fd')) stdio.push(4);
const child = spawn(command, args, { stdio, detached: group });
let stopping = false;
let escalated = false;
let killTimer;

/** Signals the child, or its whole group; a group or child already gone is not an error. */
function signal(name) {
  try {
    if (group && child.pid) process.kill(-child.pid, name);
    else child.kill(name);
  } catch {}
}

function stop() {
  if (stopping) return;
  stopping = true;
  // Nothing to stop: it has exited, or never started (its spawn error ends us).
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  signal('SIGTERM');
  if (group) signal('SIGCONT');
  killTimer = setTimeout(() => {
    escalated = true;
    signal('SIGKILL');
  }, graceMs);
}

child.on('spawn', () => send({ event: 'spawned', pid: child.pid }));
child.on('error', (err) => {
  // Spawn failures (ENOENT, EACCES) arrive here and no 'exit' follows.
  send({ event: 'error', code: err.code ?? null, message: err.message }, () => process.exit(1));
});
child.on('exit', (code, sig) => {
  clearTimeout(killTimer);
  // What the child started in its group must not outlive it.
  if (group) signal('SIGKILL');
  send({ event: 'exit', code, signal: sig, escalated }, () => process.exit(0));
  // If stdout is a broken pipe the callback may never run.
  setTimeout(() => process.exit(0), 1000).unref();
});

process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(name, stop);
