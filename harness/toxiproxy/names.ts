/**
 * Proxy names that cannot collide between test files running in parallel against one shared
 * Toxiproxy (TOXIPROXY_URL): a prefix, this process's pid, and a per-process counter.
 */
let counter = 0;

/** Characters that survive a URL path segment unescaped; Toxiproxy's router cannot match others. */
const SAFE_NAME = /^[A-Za-z0-9._~-]+$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

/** `<prefix>-<pid>-<n>`, unique within this process and across processes on one machine. */
export function uniqueName(prefix = 'flatline'): string {
  if (!isSafeName(prefix)) {
    throw new RangeError(`name prefix ${JSON.stringify(prefix)} may only use letters, digits and . _ ~ -`);
  }
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}
