/**
 * Heartbeat overhead (F20) and the words for it. A result counts each side's writes per
 * connection-hour: the client's pings and the server's pongs. Sweeps judge, rank and show their sum
 * ("both ways", which is what a ping and its pong cost by design); run reports show both sides and
 * the sum. Every view labels its numbers with these constants, so a client-only figure is never
 * read as the two-way one.
 */
import type { Overhead } from '../result.ts';

/** Column and unit label of the two-way figure. */
export const MSG_BOTH_WAYS = 'msg/conn·h both ways';
/** Unit labels of one side's figure. */
export const MSG_CLIENT = 'client msg/conn·h';
export const MSG_SERVER = 'server msg/conn·h';

/** The traffic both ways: client writes plus server writes. */
export function bothWays(o: { client: Overhead; server: Overhead }): Overhead {
  return {
    messagesPerHour: o.client.messagesPerHour + o.server.messagesPerHour,
    bytesPerHour: o.client.bytesPerHour + o.server.bytesPerHour,
  };
}

/** "client 730 + server 710": where a two-way message count comes from. */
export function messageSplit(o: { client: Overhead; server: Overhead }): string {
  return `client ${o.client.messagesPerHour} + server ${o.server.messagesPerHour}`;
}
