/**
 * The `net`-shaped module a process on a simulated host gets: createServer, createConnection/connect,
 * isIP/isIPv4/isIPv6 and the Socket/Server classes, all bound to that host's current process.
 */
import * as nodeNet from 'node:net';
import type { NetModule } from '../../impl/runtime.ts';
import type { SimContext } from './context.ts';
import type { SimHost } from './host.ts';
import type { HostProcess } from './process.ts';
import { SimServer, type SimServerOptions } from './server.ts';
import { normalizeConnectArgs, type SimConnectOptions, SimSocket, type SimSocketOptions } from './socket.ts';

export interface SimNet extends NetModule {
  Socket: new (options?: SimSocketOptions) => SimSocket;
  Server: new (options?: SimServerOptions, listener?: (socket: SimSocket) => void) => SimServer;
  isIPv4: typeof nodeNet.isIPv4;
  isIPv6: typeof nodeNet.isIPv6;
}

/**
 * Every host's sockets are instances of the one SimSocket class (and servers of SimServer): a class
 * per host would give each run's sockets their own hidden class, and Node's stream code, which every
 * socket goes through, would deoptimize and recompile for each new run. A host's `net.Socket` is a
 * constructor function sharing SimSocket's prototype: `new net.Socket()` makes a SimSocket bound to
 * the host, and a subclass (`class S extends net.Socket`) gets its own prototype through new.target.
 */
export function createSimNet(ctx: SimContext, host: SimHost, proc: HostProcess): SimNet {
  type ServerArgs = [
    SimServerOptions | ((socket: SimSocket) => void) | undefined,
    ((socket: SimSocket) => void)?,
  ];
  const newServer = (args: ServerArgs, newTarget?: new (...args: never[]) => unknown): SimServer => {
    const [options, listener] = args;
    let opts: SimServerOptions = {};
    let onConnection = listener;
    if (typeof options === 'function') onConnection = options;
    else if (options) opts = options;
    const server =
      newTarget === undefined
        ? new SimServer(ctx, host, proc, opts)
        : (Reflect.construct(SimServer, [ctx, host, proc, opts], newTarget) as SimServer);
    if (onConnection) server.on('connection', onConnection);
    return server;
  };
  function HostSocket(options: SimSocketOptions = {}): SimSocket {
    if (new.target === undefined || new.target === HostSocket) return new SimSocket(ctx, host, proc, options);
    return Reflect.construct(SimSocket, [ctx, host, proc, options], new.target) as SimSocket;
  }
  HostSocket.prototype = SimSocket.prototype;
  function HostServer(...args: ServerArgs): SimServer {
    if (new.target === undefined || new.target === HostServer) return newServer(args);
    return newServer(args, new.target as unknown as new (...args: never[]) => unknown);
  }
  HostServer.prototype = SimServer.prototype;

  function createConnection(...args: unknown[]): SimSocket {
    const { options } = normalizeConnectArgs(args);
    const socket = new SimSocket(ctx, host, proc, socketOptions(options));
    if (options.timeout) socket.setTimeout(options.timeout);
    return socket.connect(...args);
  }

  function createServer(
    options?: SimServerOptions | ((socket: SimSocket) => void),
    listener?: (socket: SimSocket) => void,
  ): SimServer {
    return newServer([options, listener]);
  }

  const net = {
    createConnection,
    connect: createConnection,
    createServer,
    isIP: nodeNet.isIP,
    isIPv4: nodeNet.isIPv4,
    isIPv6: nodeNet.isIPv6,
    Socket: HostSocket,
    Server: HostServer,
  };
  // The simulated classes have the net.Socket/net.Server surface but not their exact TS types.
  return net as unknown as SimNet;
}

function socketOptions(o: SimConnectOptions): SimSocketOptions {
  const out: SimSocketOptions = {};
  if (typeof o.allowHalfOpen === 'boolean') out.allowHalfOpen = o.allowHalfOpen;
  if (typeof o.highWaterMark === 'number') out.highWaterMark = o.highWaterMark;
  if (typeof o.readableHighWaterMark === 'number') out.readableHighWaterMark = o.readableHighWaterMark;
  if (typeof o.writableHighWaterMark === 'number') out.writableHighWaterMark = o.writableHighWaterMark;
  return out;
}
