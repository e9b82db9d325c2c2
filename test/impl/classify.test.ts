import { describe, expect, it } from 'vitest';
import { attemptFailureFor, DEATH_REASONS, deathReasonFor, errorInfo } from '../../impl/classify.ts';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code} happened`), { code });
}

describe('F15 failure classification of socket errors', () => {
  it.each([
    ['ECONNRESET', 'reset'],
    ['ECONNABORTED', 'reset'],
    ['EPIPE', 'write-error'],
    ['ERR_STREAM_WRITE_AFTER_END', 'write-error'],
    ['ETIMEDOUT', 'keepalive'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['EWHATEVER', 'socket-error'],
  ])('an established connection failing with %s dies of %s', (code, reason) => {
    expect(deathReasonFor(errno(code))).toBe(reason);
    expect(DEATH_REASONS).toContain(reason);
  });

  it('an unknown error during a heartbeat write is a write-error', () => {
    expect(deathReasonFor(errno('EWHATEVER'), true)).toBe('write-error');
    expect(deathReasonFor(errno('ECONNRESET'), true)).toBe('reset');
  });

  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ETIMEDOUT', 'connect-timeout'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENOTFOUND', 'dns'],
    ['ECONNRESET', 'reset'],
    ['EINVAL', 'socket-error'],
  ])('a connect attempt failing with %s is %s', (code, reason) => {
    expect(attemptFailureFor(errno(code))).toBe(reason);
  });

  it('keeps the code and message of an error, and copes with non-errors', () => {
    expect(errorInfo(errno('EPIPE'))).toEqual({ code: 'EPIPE', message: 'EPIPE happened' });
    expect(errorInfo(new Error('plain'))).toEqual({ message: 'plain' });
    expect(errorInfo('a string')).toEqual({ message: 'a string' });
  });
});
