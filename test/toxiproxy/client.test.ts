/**
 * The typed layer over toxiproxy-node-client, against the real toxiproxy-server 2.12.0: every toxic
 * type with Toxiproxy's defaults, errors that keep the server's message and status, local
 * validation that names the field, request timeouts, and cleanup of exactly our own proxies.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../harness/cli/exit.ts';
import {
  FaultProxyError,
  TOXIC_ATTRIBUTES,
  TOXIC_TYPES,
  type ToxicType,
} from '../../harness/toxics/vocabulary.ts';
import { ToxiproxyClient } from '../../harness/toxiproxy/client.ts';
import { errorKind, ToxiproxyApiError } from '../../harness/toxiproxy/errors.ts';
import { freeLoopbackPort } from '../../harness/toxiproxy/launcher.ts';
import { uniqueName } from '../../harness/toxiproxy/names.ts';
import { toxics } from '../../harness/toxiproxy/toxics.ts';
import { describeToxiproxy, useToxiproxyClient, useToxiproxyServer } from './support.ts';

async function caught(promise: Promise<unknown>): Promise<FaultProxyError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FaultProxyError);
  return err as FaultProxyError;
}

describe('error kinds from Toxiproxy status + message (api.go messages)', () => {
  it.each([
    [404, 'proxy not found', 'proxy_not_found'],
    [404, 'toxic not found', 'toxic_not_found'],
    [409, 'proxy already exists', 'proxy_exists'],
    [409, 'toxic already exists', 'toxic_exists'],
    [400, 'invalid toxic type', 'invalid_type'],
    [400, 'stream was invalid, can be either upstream or downstream', 'invalid_stream'],
    [400, 'bad request body: json: cannot unmarshal string into Go struct field', 'bad_request'],
    [400, 'missing required field: upstream', 'bad_request'],
    [
      400,
      'bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64',
      'invalid_attribute',
    ],
    [500, 'listen tcp 127.0.0.1:1: bind: address already in use', 'listen_failed'],
    [503, 'Service Unavailable', 'unavailable'],
    // Not Toxiproxy's: a gateway or another server at its address is an infrastructure problem.
    [502, '<html>Bad Gateway</html>', 'unavailable'],
    [504, 'Gateway Timeout', 'unavailable'],
  ] as const)('HTTP %i "%s" → %s', (status, message, kind) => {
    expect(errorKind(status, message)).toBe(kind);
  });
});

describeToxiproxy('typed client on real Toxiproxy 2.12.0', () => {
  const server = useToxiproxyServer();
  const client = useToxiproxyClient(server);

  async function newProxy(upstreamPort = 9) {
    return client().createProxy({
      name: uniqueName('client-test'),
      listen: '127.0.0.1:0',
      upstream: `127.0.0.1:${upstreamPort}`,
    });
  }

  it('reports version 2.12.0', async () => {
    expect(await client().version()).toBe('2.12.0');
  });

  it('creates a proxy on a resolved port and lists it', async () => {
    const proxy = await newProxy();
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(proxy.enabled).toBe(true);
    const listed = await client().listProxies();
    expect(listed.map((p) => p.name)).toContain(proxy.name);
    expect(await client().getProxy(proxy.name)).toEqual(proxy);
  });

  describe.each(TOXIC_TYPES)('toxic %s', (type: ToxicType) => {
    // A slicer with average_size 0 (Toxiproxy's default) is accepted by the server but recurses
    // forever on the first chunk, so ours rejects it (tested below); start these from 1.
    const defaults = {
      ...(TOXIC_ATTRIBUTES[type] as Record<string, number>),
      ...(type === 'slicer' ? { average_size: 1 } : {}),
    };
    const only = type === 'slicer' ? { type, attributes: { average_size: 1 } } : { type };

    it('add with only the type: Toxiproxy defaults, name <type>_downstream, toxicity 1; list; remove', async () => {
      const proxy = await newProxy();
      const added = await client().addToxic(proxy.name, only);
      expect(added).toEqual({
        name: `${type}_downstream`,
        type,
        stream: 'downstream',
        toxicity: 1,
        attributes: defaults,
      });
      expect(await client().listToxics(proxy.name)).toEqual([added]);
      expect(await client().getToxic(proxy.name, added.name)).toEqual(added);
      await client().removeToxic(proxy.name, added.name);
      expect(await client().listToxics(proxy.name)).toEqual([]);
    });

    it('update merges attributes and toxicity into the live toxic', async () => {
      const proxy = await newProxy();
      await client().addToxic(proxy.name, { ...only, stream: 'upstream', name: 'x' });
      const changed = Object.fromEntries(
        Object.keys(defaults).map((key, i) => [key, key === 'size_variation' ? 3 : 7 + i]),
      );
      const updated = await client().updateToxic(proxy.name, 'x', { attributes: changed, toxicity: 0.5 });
      expect(updated).toEqual({
        name: 'x',
        type,
        stream: 'upstream',
        toxicity: 0.5,
        attributes: { ...defaults, ...changed },
      });
      expect(await client().getToxic(proxy.name, 'x')).toEqual(updated);
    });
  });

  it('a slicer that would crash the server (average_size 0, or size_variation > average_size) is rejected locally', async () => {
    const proxy = await newProxy();
    await expect(client().addToxic(proxy.name, { type: 'slicer' })).rejects.toMatchObject({
      kind: 'invalid_attribute',
      status: 400,
    });
    await expect(
      client().addToxic(proxy.name, { type: 'slicer', attributes: { average_size: 4, size_variation: 5 } }),
    ).rejects.toThrow(/size_variation \(5\) must not exceed average_size \(4\)/);
    expect(await client().listToxics(proxy.name)).toEqual([]);
  });

  it('typed constructors send exactly what the compiler checked (latency, reset_peer, limit_data, noop)', async () => {
    const proxy = await newProxy();
    await client().addToxic(proxy.name, toxics.latency({ latency: 120, jitter: 5 }, { stream: 'upstream' }));
    await client().addToxic(proxy.name, toxics.reset_peer({ timeout: 30 }));
    await client().addToxic(proxy.name, toxics.limit_data({ bytes: 64 }, { stream: 'upstream' }));
    await client().addToxic(proxy.name, toxics.noop({ name: 'quiet', toxicity: 0 }));
    const byName = Object.fromEntries((await client().listToxics(proxy.name)).map((t) => [t.name, t]));
    expect(byName.latency_upstream?.attributes).toEqual({ latency: 120, jitter: 5 });
    expect(byName.reset_peer_downstream?.attributes).toEqual({ timeout: 30 });
    expect(byName.limit_data_upstream?.attributes).toEqual({ bytes: 64 });
    expect(byName.quiet).toEqual({
      name: 'quiet',
      type: 'noop',
      stream: 'downstream',
      toxicity: 0,
      attributes: {},
    });
  });

  describe('errors keep the server message and status', () => {
    it('unknown toxic type (sent raw): 400 invalid_type "invalid toxic type"', async () => {
      const proxy = await newProxy();
      const err = await caught(client().request('POST', `/proxies/${proxy.name}/toxics`, { type: 'down' }));
      expect(err).toBeInstanceOf(ToxiproxyApiError);
      expect(err).toMatchObject({
        kind: 'invalid_type',
        status: 400,
        proxy: proxy.name,
        serverMessage: 'invalid toxic type',
      });
      expect(err.message).toContain('invalid toxic type');
      expect(err.message).toContain(`POST /proxies/${proxy.name}/toxics`);
    });

    it('bad stream (sent raw): 400 invalid_stream with the server wording', async () => {
      const proxy = await newProxy();
      const err = await caught(
        client().request('POST', `/proxies/${proxy.name}/toxics`, { type: 'noop', stream: 'sideways' }),
      );
      expect(err).toMatchObject({ kind: 'invalid_stream', status: 400 });
      expect((err as ToxiproxyApiError).serverMessage).toBe(
        'stream was invalid, can be either upstream or downstream',
      );
    });

    it('duplicate toxic: 409 toxic_exists "toxic already exists"', async () => {
      const proxy = await newProxy();
      await client().addToxic(proxy.name, toxics.latency({ latency: 1 }));
      const err = await caught(client().addToxic(proxy.name, toxics.latency({ latency: 2 })));
      expect(err).toMatchObject({ kind: 'toxic_exists', status: 409, serverMessage: 'toxic already exists' });
    });

    it('duplicate proxy: 409 proxy_exists "proxy already exists"', async () => {
      const proxy = await newProxy();
      const err = await caught(
        client().createProxy({ name: proxy.name, listen: '127.0.0.1:0', upstream: '127.0.0.1:9' }),
      );
      expect(err).toMatchObject({ kind: 'proxy_exists', status: 409, serverMessage: 'proxy already exists' });
    });

    it('unknown proxy: 404 proxy_not_found "proxy not found", naming the proxy', async () => {
      const err = await caught(client().addToxic('no-such-proxy', toxics.noop()));
      expect(err).toMatchObject({
        kind: 'proxy_not_found',
        status: 404,
        proxy: 'no-such-proxy',
        serverMessage: 'proxy not found',
      });
      expect(err.message).toContain('proxy "no-such-proxy"');
    });

    it('unknown toxic: 404 toxic_not_found', async () => {
      const proxy = await newProxy();
      const err = await caught(client().removeToxic(proxy.name, 'ghost'));
      expect(err).toMatchObject({
        kind: 'toxic_not_found',
        status: 404,
        toxic: 'ghost',
        serverMessage: 'toxic not found',
      });
    });

    it('listen port in use: 500 listen_failed with the bind error', async () => {
      // The port is taken inside Toxiproxy's own network namespace, so this holds in Docker too.
      const first = await newProxy();
      const err = await caught(
        client().createProxy({ name: uniqueName('busy'), listen: first.listen, upstream: '127.0.0.1:9' }),
      );
      expect(err).toMatchObject({ kind: 'listen_failed', status: 500 });
      expect((err as ToxiproxyApiError).serverMessage).toContain('address already in use');
    });
  });

  describe('local validation names the field before anything is sent', () => {
    it.each([
      [{ type: 'down' }, 'invalid_type', 'down'],
      [{ type: 'latency', stream: 'up' }, 'invalid_stream', 'up'],
      [{ type: 'latency', toxicity: 3 }, 'invalid_toxicity', 'toxicity'],
      [{ type: 'latency', attributes: { latncy: 5 } }, 'invalid_attribute', 'latncy'],
      [{ type: 'bandwidth', attributes: { rate: -1 } }, 'invalid_attribute', 'bandwidth.rate'],
      [{ type: 'timeout', attributes: { timeout: 1.5 } }, 'invalid_attribute', 'timeout.timeout'],
      [{ type: 'noop', name: 'a/b' }, 'bad_request', 'a/b'],
    ] as const)('%j → %s mentioning %s', async (input, kind, mention) => {
      const proxy = await newProxy();
      const err = await caught(client().addToxic(proxy.name, input as never));
      expect(err).not.toBeInstanceOf(ToxiproxyApiError);
      expect(err.kind).toBe(kind);
      expect(err.message).toContain(mention);
      // Nothing reached the server (Toxiproxy itself accepts toxicity 3).
      expect(await client().listToxics(proxy.name)).toEqual([]);
    });

    it('update with an attribute the type lacks: invalid_attribute, toxic unchanged', async () => {
      const proxy = await newProxy();
      const added = await client().addToxic(proxy.name, toxics.latency({ latency: 10 }));
      const err = await caught(client().updateToxic(proxy.name, added.name, { attributes: { rate: 5 } }));
      expect(err).toMatchObject({ kind: 'invalid_attribute', toxic: added.name });
      expect(err.message).toContain('latency has no attribute "rate"');
      expect(await client().getToxic(proxy.name, added.name)).toEqual(added);
    });

    it('bad addresses: bad_request naming listen / upstream', async () => {
      const name = uniqueName('addr');
      const a = await caught(client().createProxy({ name, listen: 'nowhere', upstream: '127.0.0.1:9' }));
      expect(a.message).toContain('listen must be "host:port"');
      const b = await caught(
        client().createProxy({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:70000' }),
      );
      expect(b.message).toContain('upstream must be "host:port"');
    });
  });

  it('partial proxy update keeps the other fields (disable, then enable on the same port)', async () => {
    const proxy = await newProxy();
    const disabled = await client().updateProxy(proxy.name, { enabled: false });
    expect(disabled).toMatchObject({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    const enabled = await client().updateProxy(proxy.name, { enabled: true });
    expect(enabled).toMatchObject({ enabled: true, listen: proxy.listen });
  });

  it('unique names differ per call and carry the pid', () => {
    const a = uniqueName('t');
    const b = uniqueName('t');
    expect(a).not.toBe(b);
    expect(a).toContain(`-${process.pid}-`);
    expect(() => uniqueName('bad/prefix')).toThrow(RangeError);
  });

  it('removeCreatedProxies removes only this client’s proxies on a shared server', async () => {
    const other = new ToxiproxyClient({ url: server().url });
    const foreign = await other.createProxy({
      name: uniqueName('foreign'),
      listen: '127.0.0.1:0',
      upstream: '127.0.0.1:9',
    });
    try {
      const mine = new ToxiproxyClient({ url: server().url });
      const own = await mine.createProxy({
        name: uniqueName('own'),
        listen: '127.0.0.1:0',
        upstream: '127.0.0.1:9',
      });
      expect(await mine.removeCreatedProxies()).toEqual([own.name]);
      const names = (await mine.listProxies()).map((p) => p.name);
      expect(names).toContain(foreign.name);
      expect(names).not.toContain(own.name);
      expect(mine.createdProxies).toEqual([]);
    } finally {
      await other.removeCreatedProxies();
    }
  });

  describe('request timeout and unreachable server', () => {
    let silent: net.Server;
    let silentPort: number;
    const held: net.Socket[] = [];
    beforeAll(async () => {
      // Accepts connections and never answers.
      silent = net.createServer((socket) => held.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      silentPort = (silent.address() as net.AddressInfo).port;
    });
    afterAll(async () => {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('a server that never answers: unavailable after requestTimeoutMs, not a hang', async () => {
      const slow = new ToxiproxyClient({ url: `http://127.0.0.1:${silentPort}`, requestTimeoutMs: 200 });
      const start = performance.now();
      const err = await caught(slow.listProxies());
      const elapsed = performance.now() - start;
      expect(err).toMatchObject({ kind: 'unavailable' });
      expect(err.message).toContain('did not answer within 200 ms');
      // No answer came, so no status is claimed (it once said HTTP 503).
      expect(err.message).toMatch(/\(no HTTP answer to GET \/proxies\)$/);
      expect(err.message).not.toMatch(/HTTP \d/);
      expect(exitCodeFor(err)).toBe(EXIT.unreachable);
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(2000);
    });

    it('a server that answers 200 with HTML, not JSON: unavailable (exit 3), its status, the body quoted short', async () => {
      const html = net.createServer((socket) => {
        socket.once('data', () => {
          const body = `<html>${'x'.repeat(5000)}</html>`;
          socket.end(
            `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          );
        });
      });
      await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
      try {
        const port = (html.address() as net.AddressInfo).port;
        const err = await caught(new ToxiproxyClient({ url: `http://127.0.0.1:${port}` }).listProxies());
        expect(err).toMatchObject({ kind: 'unavailable', status: 200 });
        expect(err.message).toMatch(
          /^Toxiproxy answered GET \/proxies with non-JSON: "<html>x+" \(HTTP 200 from GET \/proxies\)$/,
        );
        expect(err.message.length).toBeLessThan(300);
        expect(exitCodeFor(err)).toBe(EXIT.unreachable);
      } finally {
        await new Promise<void>((resolve) => html.close(() => resolve()));
      }
    });

    it('nothing listening: unavailable with ECONNREFUSED', async () => {
      const gone = new ToxiproxyClient({ url: `http://127.0.0.1:${await freeLoopbackPort()}` });
      const err = await caught(gone.version());
      expect(err).toMatchObject({ kind: 'unavailable' });
      expect(err.message).toContain('ECONNREFUSED');
    });
  });
});
