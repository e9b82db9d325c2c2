/** Small pieces the client and the server share about their endpoints and sockets. */
import type { Socket } from 'node:net';
import { ConfigError } from './errors.ts';

/** For promises whose failure is already reported elsewhere (a close racing a close). */
export function swallow(): void {}

/** Connection ids (`<id>#<n>`) travel in the hello, which limits them to 128 characters. */
export function checkIdPrefix(id: unknown, where: string): void {
  if (id === undefined) return;
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) {
    throw new ConfigError('id', 'must be a string of 1–100 characters', id, where);
  }
}

export function waitClosed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
