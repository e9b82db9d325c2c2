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

export function createSimNet(ctx: SimContext, host: SimHost, proc: HostProcess): SimNet {
  class HostSocket extends SimSocket {
    constructor(options: SimSocketOptions = {}) {
      super(ctx, host, proc, options);
    }
  }
  class HostServer extends SimServer {
    constructor(
      options?: SimServerOptions | ((socket: SimSocket) => void),
      listener?: (socket: SimSocket) => void,
    ) {
      let opts: SimServerOptions = {};
      let onConnection = listener;
      if (typeof options === 'function') onConnection = options;
      else if (options) opts = options;
      super(ctx, host, proc, opts);
      if (onConnection) this.on('connection', onConnection);
    }
  }

  function createConnection(...args: unknown[]): SimSocket {
    const { options } = normalizeConnectArgs(args);
    const socket = new HostSocket(socketOptions(options));
    if (options.timeout) socket.setTimeout(options.timeout);
    return socket.connect(...args);
  }

  function createServer(
    options?: SimServerOptions | ((socket: SimSocket) => void),
    listener?: (socket: SimSocket) => void,
  ): SimServer {
    return new HostServer(options, listener);
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
