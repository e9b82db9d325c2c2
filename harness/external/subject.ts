/**
 * `--subject path/to/subject.yaml`: a heartbeat in any language, as a Subject whose server and
 * clients are OS processes (process.ts) started from the file's commands with the run's addresses and
 * settings filled in (placeholders.ts). The runner starts it through `external` and observes it with
 * taps (tap.ts); startServer/startClient exist only to say so.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ExternalHandle, ExternalProcesses, ExternalStart, Subject } from '../backend.ts';
import { SubjectError } from '../subjects/errors.ts';
import { type LoadedSubjectFile, loadSubjectFile } from './load.ts';
import { fill, placeholderValues } from './placeholders.ts';
import { SubjectProcess } from './process.ts';
import type { BuildSpec } from './schema.ts';

/** Builds already done in this flatline process, by subject file. */
const built = new Map<string, Promise<void>>();

function runBuild(loaded: LoadedSubjectFile, build: BuildSpec): Promise<void> {
  const cwd = path.resolve(loaded.dir, build.cwd ?? '.');
  const what = [build.command, ...build.args].join(' ');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(build.command, build.args, {
      cwd,
      env: { ...process.env, ...build.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new SubjectError(
          `subject file ${loaded.file}: the build (${what}) took longer than ${build.timeout} ms`,
        ),
      );
    }, build.timeout);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new SubjectError(
          `subject file ${loaded.file}: cannot run the build (${what}) in ${cwd}: ${e.code === 'ENOENT' ? 'command not found' : e.message}`,
        ),
      );
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new SubjectError(
            `subject file ${loaded.file}: the build (${what}) failed with ${signal ?? `exit code ${code}`}:\n${output.trimEnd()}`,
          ),
        );
    });
  });
}

/** The Subject a loaded subject file describes. */
export function externalSubject(loaded: LoadedSubjectFile): Subject<never> {
  const { spec, file } = loaded;
  const external: ExternalProcesses = {
    file,
    time: spec.time,
    ...(spec.config ? { config: spec.config } : {}),
    prepare() {
      if (!spec.build) return Promise.resolve();
      const key = path.resolve(file);
      let done = built.get(key);
      if (!done) {
        done = runBuild(loaded, spec.build);
        built.set(key, done);
        done.catch(() => built.delete(key));
      }
      return done;
    },
    async start(o: ExternalStart): Promise<ExternalHandle> {
      const p = o.side === 'server' ? spec.server : spec.client;
      const values = placeholderValues({
        side: o.side,
        host: o.host,
        scale: spec.time === 'scaled' ? o.timeScale : 1,
        timeScale: o.timeScale,
        config: o.config,
        ...(o.listen ? { listen: o.listen } : {}),
        ...(o.upstream ? { upstream: o.upstream } : {}),
      });
      const env: Record<string, string> = {
        FLATLINE_SUBJECT: spec.name,
        FLATLINE_SIDE: o.side,
        FLATLINE_HOST: o.host,
        FLATLINE_TIME: spec.time,
        FLATLINE_TIME_SCALE: values.timeScale!,
        FLATLINE_CONFIG: values.config!,
        FLATLINE_EVENTS: p.events,
        ...(o.listen ? { FLATLINE_LISTEN: values.listen! } : {}),
        ...(o.upstream ? { FLATLINE_UPSTREAM: values.upstream! } : {}),
      };
      for (const [k, v] of Object.entries(p.env)) env[k] = fill(v, values);
      const proc = await SubjectProcess.start({
        file,
        label: o.host,
        spec: p,
        command: fill(p.command, values),
        args: p.args.map((a) => fill(a, values)),
        env,
        cwd: path.resolve(loaded.dir, p.cwd ?? '.'),
        ...(o.listen ? { listen: o.listen } : {}),
        onEvent: (e) => o.onEvent({ ...e, side: o.side }),
        onFailure: o.onFailure,
      });
      return {
        process: {
          crash: () => proc.kill(),
          pause: () => proc.pause(),
          resume: () => proc.resume(),
        },
        stop: () => proc.stop(),
        close: async () => {
          await proc.stop();
        },
        ignoredStop: () => proc.ignoredStop(),
      };
    },
  };
  const direct = (): never => {
    throw new SubjectError(
      `subject file ${file}: an external subject runs as OS processes; the runner starts it (flatline run … --subject ${file} --backend toxiproxy)`,
    );
  };
  return {
    name: spec.name,
    ...(spec.pinger === 'server' ? { pinger: 'server' as const } : {}),
    external,
    startServer: direct,
    startClient: direct,
  };
}

export async function loadExternalSubject(file: string): Promise<Subject<never>> {
  return externalSubject(await loadSubjectFile(file));
}
