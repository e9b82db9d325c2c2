/**
 * Toxiproxy's HTTP errors as FaultProxyErrors (harness/toxics/vocabulary.ts), keeping the server's own
 * message and status. The kind is read from the status and the message, which Toxiproxy 2.12.0 takes
 * from a fixed list (api.go: "proxy not found", "toxic already exists", ...).
 */
import { FaultProxyError, type FaultProxyErrorKind } from '../toxics/vocabulary.ts';

/** A FaultProxyError raised by the real server (or by failing to reach it). */
export class ToxiproxyApiError extends FaultProxyError {
  /** Toxiproxy's `error` field verbatim (or the transport failure), without our context. */
  readonly serverMessage: string;
  /** `METHOD /path` of the request that failed. */
  readonly request: string;
  constructor(
    kind: FaultProxyErrorKind,
    serverMessage: string,
    where: { proxy?: string; toxic?: string; status?: number },
    request: string,
    options?: { cause?: unknown },
  ) {
    // A request that got no answer has no status: say so, never a status nobody sent.
    super(
      kind,
      `${serverMessage} (${where.status === undefined ? `no HTTP answer to ${request}` : `HTTP ${where.status} from ${request}`})`,
      where,
    );
    this.name = 'ToxiproxyApiError';
    this.serverMessage = serverMessage;
    this.request = request;
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }

  /** The same error naming the proxy as the caller knows it (the backend prefixes real names). */
  relabel(proxy: string): ToxiproxyApiError {
    return new ToxiproxyApiError(
      this.kind,
      this.serverMessage,
      { proxy, toxic: this.toxic, status: this.status },
      this.request,
      { cause: this.cause },
    );
  }
}

/** Toxiproxy's meaning of a failed response: its status plus the words of its message. */
export function errorKind(status: number, message: string): FaultProxyErrorKind {
  const text = message.toLowerCase();
  switch (status) {
    case 404:
      return text.includes('toxic') ? 'toxic_not_found' : 'proxy_not_found';
    case 409:
      return text.includes('toxic') ? 'toxic_exists' : 'proxy_exists';
    case 400:
      if (text.includes('invalid toxic type')) return 'invalid_type';
      if (text.startsWith('stream was invalid')) return 'invalid_stream';
      // json decode errors name the Go field: "... Go struct field LatencyToxic.attributes.latency ..."
      if (text.includes('.toxicity')) return 'invalid_toxicity';
      if (text.includes('.attributes')) return 'invalid_attribute';
      return 'bad_request';
    case 500:
      // The only 500s Toxiproxy sends are failures to listen (proxy start or re-enable).
      return 'listen_failed';
    case 503:
      return 'unavailable';
    default:
      // Toxiproxy sends no other 5xx: a 502 or 504 is something else answering at its address (a
      // gateway, another server), which is the infrastructure's fault, not the request's.
      return status >= 500 ? 'unavailable' : 'bad_request';
  }
}

/** Which proxy/toxic a request path is about: /proxies/{proxy}/toxics/{toxic}. */
export function placeOf(path: string): { proxy?: string; toxic?: string } {
  const match = /^\/proxies\/([^/]+)(?:\/toxics(?:\/([^/]+))?)?/.exec(path);
  if (!match) return {};
  const place: { proxy?: string; toxic?: string } = { proxy: decodeURIComponent(match[1]!) };
  if (match[2] !== undefined) place.toxic = decodeURIComponent(match[2]);
  return place;
}

/** The error for an HTTP answer that is not 2xx. Toxiproxy's body is `{"error": "...", "status": N}`. */
export function errorFromResponse(
  status: number,
  body: string,
  method: string,
  path: string,
  kind?: FaultProxyErrorKind,
): ToxiproxyApiError {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
  } catch {}
  if (message === '') message = `empty response`;
  return new ToxiproxyApiError(
    kind ?? errorKind(status, message),
    message,
    { ...placeOf(path), status },
    `${method} ${path}`,
  );
}

/** The error for a request that got no HTTP answer at all (refused, reset, timed out). */
export function errorFromTransport(
  err: unknown,
  url: string,
  method: string,
  path: string,
  timeoutMs: number,
) {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
  const message = timedOut
    ? `Toxiproxy at ${url} did not answer within ${timeoutMs} ms`
    : `cannot reach Toxiproxy at ${url}: ${e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)}`;
  return new ToxiproxyApiError('unavailable', message, placeOf(path), `${method} ${path}`, {
    cause: err,
  });
}
