/**
 * The subject file: a heartbeat written in any language, run as OS processes behind a real Toxiproxy.
 * It says how to start the server and each client (command, args, cwd, env), how flatline knows a
 * process is ready, where the addresses and settings go (placeholders), whether the program takes
 * scaled durations, and whether it reports events (docs/external-subjects.md). JSON Schema:
 * scenarios/subject.schema.json, generated from this file.
 */
import { z } from 'zod';
import { duration } from '../scenario/fields.ts';
import { referenceConfigSchema } from '../subjects/reference-config.ts';
import { PLACEHOLDERS, placeholdersIn } from './placeholders.ts';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

const readySchema = z
  .union([
    z.literal('port').meta({ description: 'the server’s {listen} port accepts connections (server only)' }),
    z.literal('spawn').meta({ description: 'ready as soon as the process is running' }),
    z
      .strictObject({ log: z.string().min(1).meta({ description: 'a regular expression' }) })
      .meta({ description: 'a line of its output (stdout or stderr) matches this regular expression' }),
    z
      .strictObject({ event: z.string().min(1) })
      .meta({ description: 'it reports an event of this type on its event channel (e.g. listening)' }),
  ])
  .meta({ description: 'how flatline knows the process is ready' });

const commonFields = {
  command: z.string().min(1).meta({ description: 'the program: a path (relative to cwd) or a name on PATH' }),
  args: z.array(z.string()).default([]).meta({ description: 'its arguments; {placeholders} are filled in' }),
  cwd: z
    .string()
    .optional()
    .meta({ description: 'working directory, relative to the subject file (default: the file’s directory)' }),
  env: z.record(z.string(), z.string()).default({}).meta({
    description: 'extra environment variables (added to flatline’s own); {placeholders} are filled in',
  }),
};

const processSchema = z.strictObject({
  ...commonFields,
  ready: readySchema.optional(),
  readyTimeout: duration('longest wait for readiness, in real time (default 10s)').default(10_000),
  events: z.enum(['none', 'stdout', 'fd3']).default('none').meta({
    description:
      'where the program writes JSON-lines events: none (observed from the proxy side only), stdout, or file descriptor 3',
  }),
  stop: z
    .strictObject({
      signal: z.enum(SIGNALS).default('SIGTERM'),
      grace: duration('how long it may take to exit after the signal before SIGKILL (real time)').default(
        5000,
      ),
    })
    .default({ signal: 'SIGTERM', grace: 5000 })
    .meta({ description: 'how flatline stops it at the end of a run' }),
});

const buildSchema = z
  .strictObject({
    ...commonFields,
    timeout: duration('longest the build may take (real time, default 5m)').default(300_000),
  })
  .meta({ description: 'run once before the first process starts (e.g. go build); must exit 0' });

export const subjectFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1).meta({ description: 'the subject’s name in reports' }),
    description: z.string().optional(),
    time: z.enum(['scaled', 'real']).meta({
      description:
        'scaled: the program takes every duration from flatline, multiplied by the time scale (runs fast); real: it runs at real time, so the run’s time scale is 1',
    }),
    pinger: z
      .enum(['client', 'server'])
      .default('client')
      .meta({ description: 'which side sends the heartbeat’s pings (for reports)' }),
    config: referenceConfigSchema.optional().meta({
      description:
        'the heartbeat settings the program really runs with, in the scenario config’s vocabulary; when given, they replace the scenario’s config for placeholders and bounds (a program with its own fixed settings)',
    }),
    build: buildSchema.optional(),
    server: processSchema,
    client: processSchema,
  })
  .superRefine((f, ctx) => {
    const check = (
      where: 'server' | 'client' | 'build',
      p: { command: string; args: string[]; env: Record<string, string> },
    ) => {
      const allowed = where === 'build' ? new Set<string>() : PLACEHOLDERS[where];
      const fields: [(string | number)[], string][] = [
        [['command'], p.command],
        ...p.args.map((a, i): [(string | number)[], string] => [['args', i], a]),
        ...Object.entries(p.env).map(([k, v]): [(string | number)[], string] => [['env', k], v]),
      ];
      for (const [path, text] of fields) {
        for (const name of placeholdersIn(text)) {
          if (allowed.has(name)) continue;
          ctx.addIssue({
            code: 'custom',
            path: [where, ...path],
            message:
              where === 'build'
                ? `{${name}}: the build runs once, before any run, and takes no placeholders`
                : `unknown placeholder {${name}} for the ${where}; known: ${[...allowed].map((n) => `{${n}}`).join(', ')}`,
          });
        }
      }
    };
    check('server', f.server);
    check('client', f.client);
    if (f.build) check('build', f.build);
    const mentions = (p: { args: string[]; env: Record<string, string> }, names: string[]): boolean =>
      [...p.args, ...Object.values(p.env)].some((t) => placeholdersIn(t).some((n) => names.includes(n)));
    if (!mentions(f.server, ['listen', 'listenPort'])) {
      ctx.addIssue({
        code: 'custom',
        path: ['server', 'args'],
        message:
          'nothing tells the server where to listen: put {listen} (host:port) or {listenPort} in its args or env (flatline also sets FLATLINE_LISTEN)',
      });
    }
    if (!mentions(f.client, ['upstream', 'upstreamPort'])) {
      ctx.addIssue({
        code: 'custom',
        path: ['client', 'args'],
        message:
          'nothing tells the client where to connect: put {upstream} (host:port) or {upstreamPort} in its args or env (flatline also sets FLATLINE_UPSTREAM)',
      });
    }
    if (f.client.ready === 'port') {
      ctx.addIssue({
        code: 'custom',
        path: ['client', 'ready'],
        message:
          'ready: port is for servers (a client listens on nothing); use spawn, {log: …} or {event: …}',
      });
    }
    for (const side of ['server', 'client'] as const) {
      const ready = f[side].ready;
      if (ready && typeof ready === 'object' && 'event' in ready && f[side].events === 'none') {
        ctx.addIssue({
          code: 'custom',
          path: [side, 'ready'],
          message: `ready: {event: ${ready.event}} needs an event channel: set events to stdout or fd3`,
        });
      }
      if (ready && typeof ready === 'object' && 'log' in ready) {
        try {
          new RegExp(ready.log);
        } catch (e) {
          ctx.addIssue({ code: 'custom', path: [side, 'ready', 'log'], message: (e as Error).message });
        }
      }
    }
  });

export type SubjectFileInput = z.input<typeof subjectFileSchema>;
export type SubjectFile = z.output<typeof subjectFileSchema>;
export type ProcessSpec = SubjectFile['server'];
export type BuildSpec = NonNullable<SubjectFile['build']>;
