/** Public surface of the reference heartbeat implementation. */
export { AdaptiveInterval, type LoadLevel, type LoadSignal } from './adaptive.ts';
export {
  type BackoffPolicy,
  createBackoff,
  decorrelatedBackoff,
  equalJitterBackoff,
  fullJitterBackoff,
  grpcBackoff,
  nominalWait,
  seedBackoff,
  type WaitRange,
} from './backoff.ts';
export {
  type AttemptFailure,
  attemptFailureFor,
  type CloseReason,
  DEATH_REASONS,
  type DeathReason,
  deathReasonFor,
  type ErrorInfo,
} from './classify.ts';
export {
  type ClientEvents,
  type ClientStats,
  type ClientStatus,
  HeartbeatClient,
  type HeartbeatClientOptions,
  type SessionContext,
} from './client.ts';
export * from './config.ts';
export {
  ConfigError,
  FrameTooLargeError,
  ProtocolError,
  type ProtocolErrorKind,
  StateError,
} from './errors.ts';
export { type HealthState, HealthTracker, type MissOutcome } from './health.ts';
export {
  type BusinessContext,
  type BusinessHandler,
  type Death,
  HeartbeatManager,
  type HeartbeatManagerOptions,
  type ManagerEvents,
  type StateChange,
} from './heartbeat.ts';
export { createLog, type Log } from './log.ts';
export * from './protocol.ts';
export * from './runtime.ts';
export {
  type ConnectionLevel,
  HeartbeatServer,
  type HeartbeatServerOptions,
  type ListenAddress,
  type ServerEvents,
  type ServerStats,
} from './server.ts';
export { type ConnectionStats, heartbeatCostPerMinute, type RttStats, type Traffic } from './traffic.ts';
