import { describe, expect, it } from 'vitest';
import {
  resolveClientConfig,
  resolveHeartbeatSettings,
  resolveServerConfig,
  SEED_DEFAULTS,
} from '../../impl/config.ts';
import { ConfigError } from '../../impl/errors.ts';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('F18 everything configurable, with the seed defaults', () => {
  it('uses the seed values when nothing is given', () => {
    const server = resolveServerConfig();
    expect(server).toMatchObject({
      interval: 30_000,
      pongTimeout: 5_000,
      writeDeadline: 5_000,
      readDeadline: 45_000,
      keepAlive: 60_000,
      missThreshold: 3,
      suspectAfter: 2,
      warnConnections: 1_000,
      dangerConnections: 2_000,
    });
    const client = resolveClientConfig();
    expect(client).toMatchObject({
      interval: 30_000,
      pongTimeout: 5_000,
      keepAlive: 60_000,
      missThreshold: 3,
    });
    // F3: the client relies on its pings, not on a read timeout.
    expect(client.readDeadline).toBe(0);
    expect(client.backoff).toEqual({
      policy: 'seed',
      base: 1_000,
      cap: 60_000,
      multiplier: 2,
      jitter: 1_000,
      jitterFraction: 0.2,
      maxAttempts: 10,
    });
    expect(client.adaptive).toMatchObject({ enabled: false, busyInterval: 1_000, idleInterval: 5_000 });
  });

  it('takes gRPC preset values for the grpc policy unless overridden', () => {
    expect(resolveClientConfig({ backoff: { policy: 'grpc' } }).backoff).toMatchObject({
      base: 1_000,
      cap: 120_000,
      multiplier: 1.6,
      jitterFraction: 0.2,
    });
    expect(resolveClientConfig({ backoff: { policy: 'grpc', cap: 30_000 } }).backoff.cap).toBe(30_000);
  });

  it('overrides any field and keeps the rest', () => {
    const s = resolveHeartbeatSettings({ interval: 1_000, pongTimeout: 200 });
    expect(s).toEqual({ ...SEED_DEFAULTS, interval: 1_000, pongTimeout: 200 });
  });

  it('lowers the default suspectAfter with a lower missThreshold', () => {
    expect(resolveHeartbeatSettings({ missThreshold: 1 }).suspectAfter).toBe(1);
  });

  it.each([
    [{ interval: -1 }, 'interval'],
    [{ pongTimeout: 0 }, 'pongTimeout'],
    [{ pongTimeout: 1.5 }, 'pongTimeout'],
    [{ readDeadline: '45s' }, 'readDeadline'],
    [{ missThreshold: 0 }, 'missThreshold'],
    [{ missThreshold: 2, suspectAfter: 3 }, 'suspectAfter'],
    [{ keepalive: 60_000 }, 'keepalive'],
    [{ probeOnSuspect: 'yes' }, 'probeOnSuspect'],
  ])('names the bad field in %j', (input, field) => {
    const err = configError(() => resolveHeartbeatSettings(input));
    expect(err.field).toBe(field);
    expect(err.message).toContain(`"${field}"`);
  });

  it.each([
    [{ backoff: { policy: 'linear' } }, 'backoff.policy'],
    [{ backoff: { base: 5_000, cap: 1_000 } }, 'backoff.cap'],
    [{ backoff: { maxAttempts: 0 } }, 'backoff.maxAttempts'],
    [{ backoff: { jitterFraction: 2 } }, 'backoff.jitterFraction'],
    [{ backoff: { retries: 3 } }, 'backoff.retries'],
    [{ adaptive: { busyAbove: 0.2, idleBelow: 0.5 } }, 'adaptive.idleBelow'],
    [{ connectTimeout: 0 }, 'connectTimeout'],
    [{ maxConnections: 5 }, 'maxConnections'],
  ])('names the bad client field in %j', (input, field) => {
    expect(configError(() => resolveClientConfig(input)).field).toBe(field);
  });

  it('names the bad server field', () => {
    expect(configError(() => resolveServerConfig({ warnConnections: 10, dangerConnections: 5 })).field).toBe(
      'dangerConnections',
    );
    expect(configError(() => resolveServerConfig({ connectTimeout: 5 })).field).toBe('connectTimeout');
    expect(configError(() => resolveServerConfig(null)).message).toContain('must be an object');
  });

  it('accepts Infinity for maxAttempts', () => {
    expect(
      resolveClientConfig({ backoff: { maxAttempts: Number.POSITIVE_INFINITY } }).backoff.maxAttempts,
    ).toBe(Number.POSITIVE_INFINITY);
  });
});
