/**
 * The transport under toxiproxy-node-client, replaced: the client's own HttpClient has no request
 * timeout, turns every HTTP error into "Request failed with status code N" (dropping Toxiproxy's
 * message), and sends updates as POST, which 2.12.0 logs as deprecated. This subclass keeps the
 * client's interface, so its Toxiproxy/Proxy/Toxic classes work unchanged on top of it.
 */
import { HttpClient, type HttpResponse } from 'toxiproxy-node-client/dist/HttpClient.js';
import { errorFromResponse, errorFromTransport } from './errors.ts';

/** POSTs to these paths are updates; Toxiproxy 2.12.0 wants PATCH for them. */
const UPDATE_PATH = /^\/proxies\/[^/]+(?:\/toxics\/[^/]+)?$/;

export class ToxiproxyHttp extends HttpClient {
  constructor(
    /** Base URL without a trailing slash, e.g. http://127.0.0.1:8474. */
    readonly baseUrl: string,
    readonly timeoutMs: number,
  ) {
    super();
  }

  override async get<T>(url: string): Promise<HttpResponse<T>> {
    return { data: (await this.send('GET', url)) as T };
  }

  override async post<T>(url: string, body?: unknown): Promise<HttpResponse<T>> {
    const path = this.pathOf(url);
    return { data: (await this.send(UPDATE_PATH.test(path) ? 'PATCH' : 'POST', url, body)) as T };
  }

  override async delete(url: string): Promise<void> {
    await this.send('DELETE', url);
  }

  override async getText(url: string): Promise<string> {
    return (await this.exchange('GET', url)).text;
  }

  /** A request whose JSON answer is parsed; an empty answer (204) is undefined. */
  async send(method: string, url: string, body?: unknown): Promise<unknown> {
    const { text, path, status } = await this.exchange(method, url, body);
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      // Whatever answered is not a working Toxiproxy: an infrastructure problem (exit 3), with the
      // status it really sent. Only a printable prefix of the body is echoed.
      throw errorFromResponse(
        status,
        `Toxiproxy answered ${method} ${path} with non-JSON: ${JSON.stringify(text.slice(0, 120))}`,
        method,
        path,
        'unavailable',
      );
    }
  }

  private pathOf(url: string): string {
    return url.startsWith(this.baseUrl) ? url.slice(this.baseUrl.length) || '/' : new URL(url).pathname;
  }

  private async exchange(
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ text: string; path: string; status: number }> {
    const path = this.pathOf(url);
    const init: RequestInit = { method, signal: AbortSignal.timeout(this.timeoutMs) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, init);
      text = await response.text();
    } catch (err) {
      throw errorFromTransport(err, this.baseUrl, method, path, this.timeoutMs);
    }
    if (!response.ok) throw errorFromResponse(response.status, text, method, path);
    return { text, path, status: response.status };
  }
}
