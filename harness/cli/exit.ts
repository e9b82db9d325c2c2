/**
 * Exit codes of every flatline command, and the mapping from an error to one. Bad input names the
 * file and line (ScenarioError's message already does); unreachable infrastructure says how to get it.
 */

import { VirtualEscapeError } from '../process/errors.ts';
import { RunError, ScenarioError } from '../scenario/errors.ts';
import { SubjectError } from '../subjects/errors.ts';
import { FaultProxyError } from '../toxics/vocabulary.ts';
import { ToxiproxyLaunchError } from '../toxiproxy/launcher.ts';

export const EXIT = { pass: 0, fail: 1, badInput: 2, unreachable: 3, interrupted: 130 } as const;

/** Errors the user can fix in what they passed us. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function exitCodeFor(error: unknown): number {
  if (
    error instanceof ScenarioError ||
    error instanceof RunError ||
    error instanceof UsageError ||
    error instanceof SubjectError ||
    error instanceof VirtualEscapeError
  )
    return EXIT.badInput;
  if (error instanceof ToxiproxyLaunchError) return EXIT.unreachable;
  if (error instanceof FaultProxyError)
    return error.status === 503 || error.kind === 'unavailable' ? EXIT.unreachable : EXIT.badInput;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') return EXIT.unreachable;
  if (code === 'ENOENT') return EXIT.badInput;
  return EXIT.fail;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `\n  caused by: ${error.cause.message}` : '';
    return `${error.name === 'Error' ? 'error' : error.name}: ${error.message}${cause}`;
  }
  return `error: ${String(error)}`;
}
