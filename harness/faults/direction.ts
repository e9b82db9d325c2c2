/** The scenario's client/server directions in the simulator's a/b terms (a = the client host). */
import type { Direction } from '../model/index.ts';

export function wireDirection(d: Direction): 'both' | 'a->b' | 'b->a' {
  return d === 'both' ? 'both' : d === 'client->server' ? 'a->b' : 'b->a';
}

/** Which legs a direction cuts. */
export function legs(d: Direction): { up: boolean; down: boolean } {
  return { up: d !== 'server->client', down: d !== 'client->server' };
}
