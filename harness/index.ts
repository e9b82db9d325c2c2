/**
 * `flatline`: the seams a user's code meets. A Subject (your heartbeat's server and client) runs
 * against a Runtime on a Backend (the simulator or real Toxiproxy); scenarios inject faults and
 * judge detection and reconnects; properties search for counterexamples. The narrower entry
 * points: flatline/scenario, flatline/property, flatline/vitest, flatline/backends,
 * flatline/toxiproxy, flatline/reports, flatline/reference (impl/).
 */

export type { Runtime } from '../impl/runtime.ts';
export type {
  Address,
  Backend,
  ExternalProcesses,
  FaultProxy,
  ServerHandle,
  Subject,
  SubjectEvent,
  SubjectHandle,
} from './backend.ts';
export { type BackendOptions, createBackend, DEFAULT_TIME_SCALE } from './backends.ts';
export type { BackendKind, Side } from './model/index.ts';
export type { Detection, ExpectationVerdict, Reconnect, ScenarioResult, SweepResult } from './result.ts';
export * from './scenario/index.ts';
export { SubjectError } from './subjects/errors.ts';
export { referenceSubject } from './subjects/reference.ts';
export { REFERENCE_DEFAULTS, type ReferenceConfig } from './subjects/reference-config.ts';
export { resolveSubject } from './subjects/registry.ts';
