/**
 * A typed layer over toxiproxy-node-client 4.1.0. It covers the client's gaps (TOXICS.md): every
 * toxic type typed, `noop` included and `down` excluded (down is `enabled: false`); errors that keep
 * Toxiproxy's message and status as FaultProxyErrors; a request timeout; listing toxics; partial
 * proxy updates. Inputs are validated locally first (normalizeToxic/mergeToxic from the shared spec),
 * so a mistake names the field instead of coming back as a bare 400. The client remembers which
 * proxies it created so a test can remove exactly those afterwards.
 */
import { Proxy as ClientProxy, Toxiproxy } from 'toxiproxy-node-client';
import type { ICreateToxicBody } from 'toxiproxy-node-client/dist/interfaces.js';
import {
  FaultProxyError,
  isToxicType,
  mergeToxic,
  normalizeToxic,
  type Toxic,
  type ToxicInput,
  type ToxicPatch,
  type ToxicType,
} from '../toxics/vocabulary.ts';
import { ToxiproxyApiError } from './errors.ts';
import { ToxiproxyHttp } from './http.ts';
import { isSafeName } from './names.ts';

export interface ProxyInfo {
  name: string;
  /** Resolved `host:port` (port 0 replaced by the one Toxiproxy bound). */
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: Toxic[];
}

export interface CreateProxyInput {
  name: string;
  /** `host:port`; port 0 lets Toxiproxy pick a free one. */
  listen: string;
  upstream: string;
  enabled?: boolean;
}

export interface UpdateProxyInput {
  enabled?: boolean;
  listen?: string;
  upstream?: string;
}

export interface ToxiproxyClientOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:8474. */
  url: string;
  /** Per-request timeout (default 5000 ms). Toxiproxy itself gives up on a route after 25 s. */
  requestTimeoutMs?: number;
}

function checkName(what: 'proxy' | 'toxic', name: unknown, proxy?: string): string {
  if (typeof name !== 'string' || !isSafeName(name)) {
    throw new FaultProxyError(
      'bad_request',
      `${what} name must be non-empty and use only letters, digits and . _ ~ - (it goes into the URL), got ${JSON.stringify(name)}`,
      what === 'toxic' ? { proxy } : {},
    );
  }
  return name;
}

function checkAddress(field: 'listen' | 'upstream', value: unknown, proxy: string): string {
  const match = typeof value === 'string' ? /^(.*):(\d{1,5})$/.exec(value) : null;
  const port = match ? Number(match[2]) : Number.NaN;
  const minPort = field === 'listen' ? 0 : 1;
  if (!match || port < minPort || port > 65535) {
    throw new FaultProxyError(
      'bad_request',
      `${field} must be "host:port" with port in ${minPort}..65535, got ${JSON.stringify(value)}`,
      { proxy },
    );
  }
  return value as string;
}

/** A toxic as the server reports it, checked against the shared vocabulary. */
function parseToxic(raw: unknown, proxy: string): Toxic {
  const t = raw as Partial<Toxic> | null;
  if (!t || typeof t.name !== 'string' || !isToxicType(t.type)) {
    throw new FaultProxyError('bad_request', `Toxiproxy reported an unknown toxic: ${JSON.stringify(raw)}`, {
      proxy,
      status: 502,
    });
  }
  return {
    name: t.name,
    type: t.type,
    stream: t.stream === 'upstream' ? 'upstream' : 'downstream',
    toxicity: typeof t.toxicity === 'number' ? t.toxicity : 1,
    attributes: { ...(t.attributes ?? {}) },
  } as Toxic;
}

function parseProxy(raw: unknown): ProxyInfo {
  const p = raw as {
    name?: unknown;
    listen?: unknown;
    upstream?: unknown;
    enabled?: unknown;
    toxics?: unknown;
  };
  if (!p || typeof p.name !== 'string' || typeof p.listen !== 'string' || typeof p.upstream !== 'string') {
    throw new FaultProxyError('bad_request', `Toxiproxy reported a malformed proxy: ${JSON.stringify(raw)}`, {
      status: 502,
    });
  }
  const name = p.name;
  return {
    name,
    listen: p.listen,
    upstream: p.upstream as string,
    enabled: p.enabled !== false,
    toxics: Array.isArray(p.toxics) ? p.toxics.map((t) => parseToxic(t, name)) : [],
  };
}

export class ToxiproxyClient {
  readonly url: string;
  readonly requestTimeoutMs: number;
  private readonly http: ToxiproxyHttp;
  private readonly client: Toxiproxy;
  private readonly created = new Set<string>();

  constructor(options: ToxiproxyClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    if (!Number.isFinite(this.requestTimeoutMs) || this.requestTimeoutMs <= 0) {
      throw new RangeError(`requestTimeoutMs must be a positive number, got ${options.requestTimeoutMs}`);
    }
    this.http = new ToxiproxyHttp(this.url, this.requestTimeoutMs);
    this.client = new Toxiproxy(this.url);
    this.client.api = this.http;
  }

  /** Names of proxies created through this client and not yet removed through it. */
  get createdProxies(): readonly string[] {
    return [...this.created];
  }

  /** GET /version, e.g. "2.12.0". */
  async version(): Promise<string> {
    const text = await this.client.getVersion();
    try {
      const version = (JSON.parse(text) as { version?: unknown }).version;
      if (typeof version === 'string') return version;
    } catch {}
    return text.trim();
  }

  async listProxies(): Promise<ProxyInfo[]> {
    const all = (await this.http.send('GET', `${this.url}/proxies`)) as Record<string, unknown>;
    return Object.values(all ?? {})
      .map(parseProxy)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async getProxy(name: string): Promise<ProxyInfo> {
    checkName('proxy', name);
    return parseProxy(await this.http.send('GET', `${this.url}/proxies/${name}`));
  }

  async createProxy(input: CreateProxyInput): Promise<ProxyInfo> {
    const name = checkName('proxy', input.name);
    const body = {
      name,
      listen: checkAddress('listen', input.listen, name),
      upstream: checkAddress('upstream', input.upstream, name),
      enabled: input.enabled ?? true,
    };
    const created = await this.client.createProxy(body);
    this.created.add(name);
    // createProxy's answer carries the resolved listen address; toxics are empty on creation.
    return {
      name: created.name,
      listen: created.listen,
      upstream: created.upstream,
      enabled: created.enabled,
      toxics: [],
    };
  }

  /** Creates or replaces several proxies at once (POST /populate). */
  async populate(inputs: CreateProxyInput[]): Promise<ProxyInfo[]> {
    const body = inputs.map((input) => {
      const name = checkName('proxy', input.name);
      return {
        name,
        listen: checkAddress('listen', input.listen, name),
        upstream: checkAddress('upstream', input.upstream, name),
        enabled: input.enabled ?? true,
      };
    });
    const proxies = await this.client.populate(body);
    for (const input of body) this.created.add(input.name);
    return Promise.all(Object.keys(proxies).map((name) => this.getProxy(name)));
  }

  /** Partial update: Toxiproxy keeps the fields you leave out. */
  async updateProxy(name: string, patch: UpdateProxyInput): Promise<ProxyInfo> {
    checkName('proxy', name);
    const body: UpdateProxyInput = {};
    if (patch.enabled !== undefined) {
      if (typeof patch.enabled !== 'boolean') {
        throw new FaultProxyError(
          'bad_request',
          `enabled must be a boolean, got ${JSON.stringify(patch.enabled)}`,
          {
            proxy: name,
          },
        );
      }
      body.enabled = patch.enabled;
    }
    if (patch.listen !== undefined) body.listen = checkAddress('listen', patch.listen, name);
    if (patch.upstream !== undefined) body.upstream = checkAddress('upstream', patch.upstream, name);
    return parseProxy(await this.http.send('PATCH', `${this.url}/proxies/${name}`, body));
  }

  async removeProxy(name: string): Promise<void> {
    checkName('proxy', name);
    await this.handle(name).remove();
    this.created.delete(name);
  }

  /** Enables every proxy and removes every toxic, for every user of this server. */
  async reset(): Promise<void> {
    await this.client.reset();
  }

  async listToxics(proxy: string): Promise<Toxic[]> {
    checkName('proxy', proxy);
    const raw = await this.http.send('GET', `${this.url}/proxies/${proxy}/toxics`);
    return (Array.isArray(raw) ? raw : []).map((t) => parseToxic(t, proxy));
  }

  async getToxic(proxy: string, name: string): Promise<Toxic> {
    checkName('proxy', proxy);
    checkName('toxic', name, proxy);
    const toxic = await this.handle(proxy).getToxic<Record<string, number>>(name);
    return parseToxic(toxic.toJson(), proxy);
  }

  /** Validates and fills defaults locally (name `<type>_<stream>`, toxicity 1), then adds. */
  async addToxic<T extends ToxicType>(proxy: string, input: ToxicInput<T>): Promise<Toxic<T>> {
    checkName('proxy', proxy);
    const toxic = normalizeToxic(input, proxy);
    checkName('toxic', toxic.name, proxy);
    const added = await this.handle(proxy).addToxic(
      toxic as unknown as ICreateToxicBody<Record<string, number>>,
    );
    return parseToxic(added.toJson(), proxy) as Toxic<T>;
  }

  /** Merges `patch` into the live toxic, after checking it against the toxic's type. */
  async updateToxic(proxy: string, name: string, patch: ToxicPatch): Promise<Toxic> {
    const current = await this.getToxic(proxy, name);
    mergeToxic(current, patch, proxy);
    const body: ToxicPatch = {};
    if (patch.attributes !== undefined) body.attributes = patch.attributes;
    if (patch.toxicity !== undefined) body.toxicity = patch.toxicity;
    const raw = await this.http.send('PATCH', `${this.url}/proxies/${proxy}/toxics/${name}`, body);
    return parseToxic(raw, proxy);
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    checkName('proxy', proxy);
    checkName('toxic', name, proxy);
    await this.http.send('DELETE', `${this.url}/proxies/${proxy}/toxics/${name}`);
  }

  /**
   * A raw request to the API, unvalidated: for what the typed methods refuse to send (tests of the
   * server's own errors). Errors are still ToxiproxyApiErrors.
   */
  async request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    if (!path.startsWith('/'))
      throw new RangeError(`request path must start with "/", got ${JSON.stringify(path)}`);
    return this.http.send(method, `${this.url}${path}`, body);
  }

  /**
   * Removes every proxy this client created that still exists (one already gone is fine) and
   * returns their names. Other users' proxies on a shared server are never touched.
   */
  async removeCreatedProxies(): Promise<string[]> {
    const names = [...this.created];
    const results = await Promise.allSettled(names.map((name) => this.removeProxy(name)));
    const failures: unknown[] = [];
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      if (result.reason instanceof ToxiproxyApiError && result.reason.kind === 'proxy_not_found') {
        this.created.delete(names[i]!);
        return;
      }
      failures.push(result.reason);
    });
    if (failures.length > 0) {
      throw new AggregateError(failures, `could not remove ${failures.length} proxy(ies) on ${this.url}`);
    }
    return names;
  }

  /** The node client's Proxy for `name`; only its name matters for the paths it builds. */
  private handle(name: string): ClientProxy {
    return new ClientProxy(this.client, { name, listen: '', upstream: '', enabled: true, toxics: [] });
  }
}
