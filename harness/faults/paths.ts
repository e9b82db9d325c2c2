/**
 * The client↔server paths a direct-topology fault acts on (one per client host), and the scenario's
 * directions in the simulator's a/b terms (a = the client host).
 */
import type { Direction } from '../model/index.ts';
import type { FaultTarget, Heal } from './kind.ts';

/** Opens a fault on the path of every client to the server; the heal undoes them all. */
export function onEveryPath(target: FaultTarget, open: (client: string, server: string) => () => void): Heal {
  const undo = target.clientHosts.map((c) => open(c, target.serverHost));
  return async () => {
    for (const u of undo) u();
  };
}

export function wireDirection(d: Direction): 'both' | 'a->b' | 'b->a' {
  return d === 'both' ? 'both' : d === 'client->server' ? 'a->b' : 'b->a';
}

/** Which legs a direction cuts. */
export function legs(d: Direction): { up: boolean; down: boolean } {
  return { up: d !== 'server->client', down: d !== 'client->server' };
}
