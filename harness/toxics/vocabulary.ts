/**
 * Toxiproxy's toxic vocabulary, shared by the simulated proxy (harness/sim/proxy) and the typed
 * layer over the real server (harness/toxiproxy). One definition, so a scenario validated here means
 * the same thing on both backends. Behaviour lives elsewhere; this is names, attributes, defaults
 * and the error meanings of Toxiproxy's HTTP API.
 */

export type Stream = 'upstream' | 'downstream';
export const STREAMS: readonly Stream[] = ['upstream', 'downstream'];

/** Attribute names and Toxiproxy's defaults (the Go zero values of each toxic's struct). */
export const TOXIC_ATTRIBUTES = {
  latency: { latency: 0, jitter: 0 },
  bandwidth: { rate: 0 },
  slow_close: { delay: 0 },
  timeout: { timeout: 0 },
  reset_peer: { timeout: 0 },
  slicer: { average_size: 0, size_variation: 0, delay: 0 },
  limit_data: { bytes: 0 },
  noop: {},
} as const satisfies Record<string, Record<string, number>>;

export type ToxicType = keyof typeof TOXIC_ATTRIBUTES;
export const TOXIC_TYPES = Object.keys(TOXIC_ATTRIBUTES) as ToxicType[];

export type ToxicAttributes<T extends ToxicType> = { [K in keyof (typeof TOXIC_ATTRIBUTES)[T]]: number };

/** A toxic as Toxiproxy reports it: every field present, defaults filled in. */
export interface Toxic<T extends ToxicType = ToxicType> {
  name: string;
  type: T;
  stream: Stream;
  toxicity: number;
  attributes: ToxicAttributes<T>;
}

/** What a caller may pass to addToxic: only `type` is required, as with Toxiproxy. */
export interface ToxicInput<T extends ToxicType = ToxicType> {
  type: T;
  name?: string;
  stream?: Stream;
  toxicity?: number;
  attributes?: Partial<ToxicAttributes<T>>;
}

export interface ToxicPatch {
  toxicity?: number;
  attributes?: Record<string, number>;
}

export type FaultProxyErrorKind =
  | 'bad_request'
  | 'invalid_type'
  | 'invalid_stream'
  | 'invalid_attribute'
  | 'invalid_toxicity'
  | 'proxy_not_found'
  | 'toxic_not_found'
  | 'proxy_exists'
  | 'toxic_exists'
  | 'listen_failed'
  | 'unavailable';

const STATUS: Record<FaultProxyErrorKind, number> = {
  bad_request: 400,
  invalid_type: 400,
  invalid_stream: 400,
  invalid_attribute: 400,
  invalid_toxicity: 400,
  proxy_not_found: 404,
  toxic_not_found: 404,
  proxy_exists: 409,
  toxic_exists: 409,
  listen_failed: 500,
  unavailable: 503,
};

/**
 * The error both backends throw for a rejected proxy/toxic operation. `status` is the HTTP status
 * Toxiproxy answers with for the same mistake, so tests can assert one meaning on both backends.
 */
export class FaultProxyError extends Error {
  readonly kind: FaultProxyErrorKind;
  readonly status: number;
  readonly proxy: string | undefined;
  readonly toxic: string | undefined;
  constructor(
    kind: FaultProxyErrorKind,
    message: string,
    where: { proxy?: string; toxic?: string; status?: number } = {},
  ) {
    const place = [where.proxy && `proxy "${where.proxy}"`, where.toxic && `toxic "${where.toxic}"`]
      .filter(Boolean)
      .join(', ');
    super(place ? `${place}: ${message}` : message);
    this.name = 'FaultProxyError';
    this.kind = kind;
    this.status = where.status ?? STATUS[kind];
    this.proxy = where.proxy;
    this.toxic = where.toxic;
  }
}

export function isToxicType(value: unknown): value is ToxicType {
  return typeof value === 'string' && Object.hasOwn(TOXIC_ATTRIBUTES, value);
}

function checkToxicity(toxicity: unknown, where: { proxy?: string; toxic?: string }): number {
  if (typeof toxicity !== 'number' || !Number.isFinite(toxicity) || toxicity < 0 || toxicity > 1) {
    throw new FaultProxyError(
      'invalid_toxicity',
      `toxicity must be a number in [0, 1], got ${JSON.stringify(toxicity)}`,
      where,
    );
  }
  return toxicity;
}

function checkAttributes(
  type: ToxicType,
  attributes: Record<string, unknown>,
  where: { proxy?: string; toxic?: string },
): void {
  const known = TOXIC_ATTRIBUTES[type] as Record<string, number>;
  for (const [key, value] of Object.entries(attributes)) {
    if (!Object.hasOwn(known, key)) {
      const expected = Object.keys(known);
      throw new FaultProxyError(
        'invalid_attribute',
        `${type} has no attribute "${key}" (expected ${expected.length ? expected.join(', ') : 'none'})`,
        where,
      );
    }
    // Toxiproxy's attributes are Go int64s; a negative bandwidth rate even crashes the real server.
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new FaultProxyError(
        'invalid_attribute',
        `${type}.${key} must be a non-negative integer, got ${JSON.stringify(value)}`,
        where,
      );
    }
  }
}

/**
 * Values Toxiproxy accepts but cannot survive: a slicer with average_size 0 recurses forever, and
 * one whose size_variation exceeds average_size slices out of range. Rejected on both backends.
 */
function checkCombination(toxic: Toxic, where: { proxy?: string; toxic?: string }): Toxic {
  if (toxic.type === 'slicer') {
    const a = toxic.attributes as ToxicAttributes<'slicer'>;
    if (a.average_size < 1) {
      throw new FaultProxyError(
        'invalid_attribute',
        'slicer.average_size must be at least 1 (0 never stops slicing)',
        where,
      );
    }
    if (a.size_variation > a.average_size) {
      throw new FaultProxyError(
        'invalid_attribute',
        `slicer.size_variation (${a.size_variation}) must not exceed average_size (${a.average_size})`,
        where,
      );
    }
  }
  return toxic;
}

/** Validates an addToxic request and fills in Toxiproxy's defaults (name `<type>_<stream>`). */
export function normalizeToxic(input: unknown, proxy?: string): Toxic {
  if (typeof input !== 'object' || input === null) {
    throw new FaultProxyError('bad_request', 'toxic must be an object', { proxy });
  }
  const raw = input as Record<string, unknown>;
  const where = { proxy, toxic: typeof raw.name === 'string' ? raw.name : undefined };
  if (!isToxicType(raw.type)) {
    throw new FaultProxyError(
      'invalid_type',
      `invalid toxic type ${JSON.stringify(raw.type)} (expected one of ${TOXIC_TYPES.join(', ')})`,
      where,
    );
  }
  const stream = raw.stream ?? 'downstream';
  if (stream !== 'upstream' && stream !== 'downstream') {
    throw new FaultProxyError(
      'invalid_stream',
      `stream must be upstream or downstream, got ${JSON.stringify(stream)}`,
      where,
    );
  }
  const name = raw.name ?? `${raw.type}_${stream}`;
  if (typeof name !== 'string' || name.length === 0) {
    throw new FaultProxyError(
      'bad_request',
      `toxic name must be a non-empty string, got ${JSON.stringify(name)}`,
      where,
    );
  }
  const toxicity = checkToxicity(raw.toxicity ?? 1, { proxy, toxic: name });
  const attributes = (raw.attributes ?? {}) as Record<string, unknown>;
  if (typeof attributes !== 'object' || attributes === null) {
    throw new FaultProxyError('invalid_attribute', 'attributes must be an object', { proxy, toxic: name });
  }
  checkAttributes(raw.type, attributes, { proxy, toxic: name });
  return checkCombination(
    {
      name,
      type: raw.type,
      stream,
      toxicity,
      attributes: { ...TOXIC_ATTRIBUTES[raw.type], ...(attributes as Record<string, number>) },
    } as Toxic,
    { proxy, toxic: name },
  );
}

/** Validates an update and returns the merged toxic (Toxiproxy merges attributes into the live one). */
export function mergeToxic(current: Toxic, patch: ToxicPatch, proxy?: string): Toxic {
  const where = { proxy, toxic: current.name };
  const attributes = patch.attributes ?? {};
  checkAttributes(current.type, attributes, where);
  return checkCombination(
    {
      ...current,
      toxicity: patch.toxicity === undefined ? current.toxicity : checkToxicity(patch.toxicity, where),
      attributes: { ...current.attributes, ...attributes } as Toxic['attributes'],
    },
    where,
  );
}
