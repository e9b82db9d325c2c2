/** The simulated network core of flatline (see README.md for the model and its deliberate differences). */
export type { TimerRef, TimerTarget } from './clock.ts';
export { DEFAULT_TCP, type TcpParams } from './context.ts';
export { type ErrnoCode, SimError, type SimErrorCode, type SystemError } from './errors.ts';
export type {
  Convention,
  LossHandle,
  LossOptions,
  NatHandle,
  NatOptions,
  PartitionDirection,
  PartitionHandle,
  PartitionOptions,
} from './faults.ts';
export { hostAddress, SimHost } from './host.ts';
export type { SimNet } from './net.ts';
export { componentSeed } from './rng.ts';
export type { SimRuntime } from './runtime.ts';
export { SimServer, type SimServerOptions } from './server.ts';
export {
  type LatencyOptions,
  type SimFaults,
  type SimTrace,
  Simulation,
  type SimulationOptions,
} from './simulation.ts';
export { SimSocket, type SimSocketOptions } from './socket.ts';
export type { TraceEvent, TraceEventInput, TraceValue } from './trace.ts';
