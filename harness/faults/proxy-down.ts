/**
 * The proxy disabled (Toxiproxy `enabled: false`): it closes every connection at once and refuses new
 * ones until enabled again. The close reaches each side after its leg's delay (the server shares the
 * proxy's rack: 0).
 */
import fc from 'fast-check';
import { z } from 'zod';
import { defineFault } from './kind.ts';
import { exact } from './mechanisms.ts';

export interface ProxyDownFault {
  type: 'proxy-down';
}

export const proxyDown = defineFault({
  type: 'proxy-down',
  summary: 'disables the proxy: connections close, new ones are refused',
  example: { type: 'proxy-down' },
  placement: 'proxy',
  schema: z.strictObject({ type: z.literal('proxy-down') }).meta({
    description: 'disable the proxy (Toxiproxy enabled: false): connections close, new ones are refused',
  }),
  normalize: (): ProxyDownFault => ({ type: 'proxy-down' }),
  toInput: (f) => ({ ...f }),
  holds: () => ({
    keys: ['the proxy switch'],
    path: ['at'],
    message: (_shared, other) => `the proxy is already down from ${other} at this time`,
  }),
  classify: () => 'dead',
  target: () => 'proxy',
  arbitraries: { 'proxy-down': fc.constant({ type: 'proxy-down' as const }) },
  async apply(target) {
    const proxy = target.proxy!;
    await proxy.setEnabled(false);
    return () => proxy.setEnabled(true);
  },
  detection: (_entry, m) => ({
    client: [exact(m.dd, 'proxy disabled, its close reaches the client after d_d', m.jd)],
    server: [exact(0, 'proxy disabled, its close reaches the server at once')],
  }),
});
