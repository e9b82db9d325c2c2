/**
 * Node's own timers and clocks, as they were before harness/process/install.ts put dispatchers in
 * their place. Harness code that must use the real ones whatever process it runs for (the real
 * backend's scaled timers, say) takes them from here; it is imported before the install, so these
 * are the originals.
 */
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
