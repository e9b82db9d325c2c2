/**
 * The harness's vocabulary, in one place, so that a name means one thing everywhere:
 *
 * - **Side**: the role of a process in the heartbeat, `client` or `server`. A scenario says "the
 *   server crashes"; a detection is "the client's".
 * - **HostName**: one simulated machine: `client`, `client-3`, `server`, `toxiproxy`. A side has one
 *   host per process (N clients are N hosts); a fault on side `client` acts on every client host.
 * - **Direction**: which way bytes travel on the client↔server path.
 * - **Convention**: BOUNDS.md's drop convention (C1 cut, C2 send-time).
 * - **BackendKind**: the backend a run is on; **BackendChoice** is what a command accepts, which adds
 *   `both` (parity: the same scenario on each backend, compared).
 * - **Bound**: a closed-form interval from BOUNDS.md with the formula that gave it.
 * - **FaultClass**: whether a fault kills the path (`dead`: detecting it is the point) or only slows
 *   it (`benign`: any detection is a mistake).
 */

export type Side = 'client' | 'server';
export const SIDES: readonly Side[] = ['client', 'server'];

export type HostName = string;

export type Direction = 'both' | 'client->server' | 'server->client';
export const DIRECTIONS: readonly Direction[] = ['both', 'client->server', 'server->client'];

export type Convention = 'C1' | 'C2';

export type BackendKind = 'sim' | 'toxiproxy';
export type BackendChoice = BackendKind | 'both';

/** A closed-form bound from BOUNDS.md: measured values are checked against [min, max]. */
export interface Bound {
  min: number;
  max: number;
  /** The formula with its numbers, e.g. "[T − ρ, T − ρ + I) = [4990, 34990)". */
  why: string;
}

export type FaultClass = 'dead' | 'benign';
