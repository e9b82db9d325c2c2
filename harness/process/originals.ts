/**
 * Node's own timers, clocks and net entry points, as they were before harness/process/install.ts put
 * dispatchers in their place. Harness code that must use the real ones whatever process it runs for
 * (the real backend's scaled runtime, which host processes on that backend dispatch to) takes them
 * from here; it is imported before the install, so these are the originals.
 */
import { createRequire } from 'node:module';

const net = createRequire(import.meta.url)('node:net') as typeof import('node:net');
export const realTimers = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
};

export const realClocks = {
  Date: globalThis.Date,
  performanceNow: performance.now.bind(performance),
  hrtime: process.hrtime,
  random: Math.random,
};

export const realNet = {
  createConnection: net.createConnection,
  createServer: net.createServer,
};

/** Servers a harness runtime made itself: their listen() is Node's, whatever process calls it. */
export const harnessServers = new WeakSet<object>();
