/**
 * A user's own heartbeat, as it might ship: plain `node:net`, global timers and Date.now(), and not
 * one import from flatline. The server answers each "ping" line with "pong" and drops a client that
 * has been silent for `idleTimeout`; the client pings every `interval`, gives up on a pong missing
 * for `pongTimeout`, and dials again after `retryDelay`. flatline runs it unchanged through
 * subject.ts.
 */
import net from 'node:net';

export interface ServiceConfig {
  interval: number;
  pongTimeout: number;
  idleTimeout: number;
  retryDelay: number;
}

export type Report = (event: {
  type: string;
  side: 'client' | 'server';
  reason?: string;
  rtt?: number;
}) => void;

export function startServer(port: number, host: string, config: ServiceConfig, report: Report) {
  const server = net.createServer((socket) => {
    let idle = setTimeout(drop, config.idleTimeout);
    function drop() {
      report({ type: 'death', side: 'server', reason: 'read-deadline' });
      socket.destroy();
    }
    socket.on('data', (chunk) => {
      clearTimeout(idle);
      idle = setTimeout(drop, config.idleTimeout);
      for (const line of chunk.toString().split('\n')) if (line === 'ping') socket.write('pong\n');
    });
    socket.on('close', () => clearTimeout(idle));
    socket.on('error', () => {});
  });
  return new Promise<{ port: number; close(): Promise<void> }>((resolve) => {
    server.listen(port, host, () => {
      const { port: bound } = server.address() as net.AddressInfo;
      resolve({
        port: bound,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

export function startClient(port: number, host: string, config: ServiceConfig, report: Report) {
  let stopped = false;
  let current: { socket: net.Socket; stop(): void } | undefined;
  let retry: NodeJS.Timeout | undefined;
  function connect() {
    const socket = net.connect(port, host);
    let ticker: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let over = false;
    const stop = () => {
      clearInterval(ticker);
      clearTimeout(deadline);
    };
    const fail = (reason: string) => {
      if (over) return;
      over = true;
      stop();
      socket.destroy();
      if (stopped) return;
      report({ type: 'death', side: 'client', reason });
      retry = setTimeout(connect, config.retryDelay);
    };
    current = { socket, stop };
    socket.on('connect', () => {
      report({ type: 'ready', side: 'client' });
      ticker = setInterval(() => {
        const sent = Date.now();
        socket.write('ping\n');
        deadline ??= setTimeout(() => fail('heartbeat-timeout'), config.pongTimeout);
        socket.once('data', () => {
          clearTimeout(deadline);
          deadline = undefined;
          report({ type: 'pong', side: 'client', rtt: Date.now() - sent });
        });
      }, config.interval);
    });
    socket.on('close', () => fail('fin'));
    socket.on('error', () => {});
  }
  connect();
  return {
    close: async () => {
      stopped = true;
      clearTimeout(retry);
      current?.stop();
      current?.socket.destroy();
    },
  };
}
