/**
 * Every kind of subject one `--subject` value can name, in one list. A value is tried against each
 * source in order; the first that takes it makes the Subject. Today: the built-in subjects by name
 * (`reference`, the libraries), a subject file of external programs (`./subject.yaml`), and a user's
 * module by path (`./my-subject.ts`).
 */
import type { z } from 'zod';
import type { Subject } from '../backend.ts';
import { SubjectError } from './errors.ts';
import { grpcConfigSchema, grpcSubject } from './libraries/grpc.ts';
import { mqttConfigSchema, mqttSubject } from './libraries/mqtt.ts';
import { natsConfigSchema, natsSubject } from './libraries/nats.ts';
import { socketIoConfigSchema, socketIoSubject } from './libraries/socketio.ts';
import { loadModuleSubject } from './module.ts';
import { referenceSubject } from './reference.ts';
import { referenceConfigSchema } from './reference-config.ts';

/**
 * Subjects a scenario can name without --subject, each with the schema of its `config`: the
 * reference implementation (F18's settings) and unmodified libraries (their own documented settings).
 */
const BUILT_IN: Readonly<Record<string, { subject: Subject<never>; config: z.ZodType }>> = {
  reference: { subject: referenceSubject as Subject<never>, config: referenceConfigSchema },
  'socket.io': { subject: socketIoSubject as Subject<never>, config: socketIoConfigSchema },
  mqtt: { subject: mqttSubject as Subject<never>, config: mqttConfigSchema },
  grpc: { subject: grpcSubject as Subject<never>, config: grpcConfigSchema },
  nats: { subject: natsSubject as Subject<never>, config: natsConfigSchema },
};

export const BUILT_IN_SUBJECTS: Readonly<Record<string, Subject<never>>> = Object.fromEntries(
  Object.entries(BUILT_IN).map(([name, b]) => [name, b.subject]),
);

/** The schema of a built-in subject's config, or undefined (a user's subject gets its config as written). */
export function subjectConfigSchema(name: string): z.ZodType | undefined {
  return Object.hasOwn(BUILT_IN, name) ? BUILT_IN[name]!.config : undefined;
}

/** A built-in subject by name, or undefined. */
export function subjectNamed(name: string): Subject<never> | undefined {
  return Object.hasOwn(BUILT_IN_SUBJECTS, name) ? BUILT_IN_SUBJECTS[name] : undefined;
}

/** One kind of subject: which `--subject` values it takes, and how it makes a Subject of one. */
export interface SubjectSource {
  readonly kind: string;
  /** What a value of this kind looks like, for help and errors. */
  readonly form: string;
  takes(value: string): boolean;
  load(value: string): Promise<Subject<never>>;
}

const builtIn: SubjectSource = {
  kind: 'built-in',
  form: `a built-in name (${Object.keys(BUILT_IN_SUBJECTS).join(', ')})`,
  takes: (value) => subjectNamed(value) !== undefined,
  load: async (value) => subjectNamed(value)!,
};

const subjectFile: SubjectSource = {
  kind: 'external',
  form: 'a subject file describing programs in any language (./subject.yaml, docs/external-subjects.md)',
  takes: (value) => /\.ya?ml$/i.test(value),
  load: async (value) => {
    const { loadExternalSubject } = await import('../external/subject.ts');
    return loadExternalSubject(value);
  },
};

const userModule: SubjectSource = {
  kind: 'module',
  form: 'a path to a JS/TS module exporting a Subject (./my-subject.ts)',
  // Anything that is not a name of another source is a path (the loader says if it is not one).
  takes: () => true,
  load: (value) => loadModuleSubject(value),
};

export const SUBJECT_SOURCES: readonly SubjectSource[] = [builtIn, subjectFile, userModule];

/** The Subject a `--subject` value names. */
export async function resolveSubject(value: string): Promise<Subject<never>> {
  const source = SUBJECT_SOURCES.find((s) => s.takes(value));
  if (!source) {
    throw new SubjectError(
      `--subject ${value}: not a subject; give ${SUBJECT_SOURCES.map((s) => s.form).join(', or ')}`,
    );
  }
  return source.load(value);
}
