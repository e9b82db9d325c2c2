/**
 * One --subject value names one subject: a built-in name, else a module path. The registry is what
 * the next subject kinds (libraries, external processes) extend, so its order and errors are pinned.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../harness/cli/exit.ts';
import { SubjectError } from '../../harness/subjects/errors.ts';
import { referenceSubject } from '../../harness/subjects/reference.ts';
import { resolveSubject, SUBJECT_SOURCES, subjectNamed } from '../../harness/subjects/registry.ts';

describe('subject registry', () => {
  it('a built-in name is the built-in subject, a .yaml file external programs, anything else a module path', async () => {
    expect(await resolveSubject('reference')).toBe(referenceSubject);
    expect(subjectNamed('toString')).toBeUndefined();
    expect(SUBJECT_SOURCES.map((s) => s.kind)).toEqual(['built-in', 'external', 'module']);
    const external = await resolveSubject('examples/node-reference/subject.yaml');
    expect(external.external?.file).toMatch(/examples\/node-reference\/subject\.yaml$/);
    const mine = await resolveSubject('examples/my-subject.ts');
    expect(typeof mine.startServer).toBe('function');
    expect(mine).not.toBe(referenceSubject);
  });

  it('a path that does not load is a SubjectError naming it, exit 2', async () => {
    const err = await resolveSubject('./no/such/subject.ts').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubjectError);
    expect((err as Error).message).toMatch(/^--subject \.\/no\/such\/subject\.ts: cannot load the module/);
    expect(exitCodeFor(err)).toBe(EXIT.badInput);
  });
});
