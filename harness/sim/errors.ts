/**
 * Errors the simulator raises: its own typed SimError for misuse of the harness API, and errors
 * shaped exactly like Node's (same class, message, code, errno, syscall, address/port) for what a
 * subject sees through the simulated `net` module.
 */

export type SimErrorCode =
  | 'SIM_UNKNOWN_HOST'
  | 'SIM_HOST_DOWN'
  | 'SIM_HOST_UP'
  | 'SIM_BAD_ARGUMENT'
  | 'SIM_CLOSED'
  | 'SIM_UNSUPPORTED'
  | 'SIM_TOO_MANY_HOSTS';

/** Misuse of the simulator's own API (fault on an unknown host, bad latency…). */
export class SimError extends Error {
  override readonly name = 'SimError';
  constructor(
    readonly code: SimErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Linux errno values as libuv reports them (negative), for the codes the simulator produces. */
export const ERRNO = {
  EPIPE: -32,
  EADDRINUSE: -98,
  EADDRNOTAVAIL: -99,
  ECONNRESET: -104,
  ETIMEDOUT: -110,
  ECONNREFUSED: -111,
  EHOSTUNREACH: -113,
  ECANCELED: -125,
  ENOTFOUND: -3008,
} as const;

export type ErrnoCode = keyof typeof ERRNO;

const DESCRIPTION: Record<ErrnoCode, string> = {
  EPIPE: 'broken pipe',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'host is unreachable',
  ECANCELED: 'operation canceled',
  ENOTFOUND: 'unknown node or service',
};

export type SystemError = NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };

function systemError(message: string, code: ErrnoCode, syscall: string): SystemError {
  const e = new Error(message) as SystemError;
  e.errno = ERRNO[code];
  e.code = code;
  e.syscall = syscall;
  return e;
}

/** `errnoException`: "read ECONNRESET", "write EPIPE". */
export function errnoError(code: ErrnoCode, syscall: string): SystemError {
  return systemError(`${syscall} ${code}`, code, syscall);
}

/** `exceptionWithHostPort` (connect): "connect ECONNREFUSED 192.0.2.2:8080". */
export function connectError(code: ErrnoCode, address: string, port: number): SystemError {
  const e = systemError(`connect ${code} ${address}:${port}`, code, 'connect');
  e.address = address;
  e.port = port;
  return e;
}

/** `uvExceptionWithHostPort` (listen): "listen EADDRINUSE: address already in use 0.0.0.0:80". */
export function listenError(code: ErrnoCode, address: string, port: number): SystemError {
  const e = systemError(`listen ${code}: ${DESCRIPTION[code]} ${address}:${port}`, code, 'listen');
  e.address = address;
  e.port = port;
  return e;
}

/** The dns error Node gives for a name that does not resolve. */
export function notFoundError(hostname: string): SystemError {
  const e = systemError(`getaddrinfo ENOTFOUND ${hostname}`, 'ENOTFOUND', 'getaddrinfo');
  e.hostname = hostname;
  return e;
}

type NodeCodedError = Error & { code: string };

function coded<E extends Error>(e: E, code: string): E & NodeCodedError {
  Object.defineProperty(e, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return e as E & NodeCodedError;
}

function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${String(value)}`;
  if (typeof value === 'function') return ` Received function ${value.name}`;
  if (typeof value === 'object') return ' Received an instance of Object';
  let shown = String(value);
  if (typeof value === 'string') shown = `'${value.length > 28 ? `${value.slice(0, 25)}...` : value}'`;
  return ` Received type ${typeof value} (${shown})`;
}

/** Node's ERR_SOCKET_BAD_PORT (RangeError). `name` is "Port" or "options.port" as Node words it. */
export function badPortError(name: string, value: unknown): RangeError & NodeCodedError {
  return coded(
    new RangeError(`${name} should be >= 0 and < 65536.${describeReceived(value)}.`),
    'ERR_SOCKET_BAD_PORT',
  );
}

export function invalidArgTypeError(
  name: string,
  expected: string,
  value: unknown,
): TypeError & NodeCodedError {
  return coded(
    new TypeError(`The "${name}" argument must be of type ${expected}.${describeReceived(value)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function missingArgsError(): TypeError & NodeCodedError {
  return coded(
    new TypeError('The "options" or "port" or "path" argument must be specified'),
    'ERR_MISSING_ARGS',
  );
}

export function invalidIpError(value: string): TypeError & NodeCodedError {
  return coded(new TypeError(`Invalid IP address: ${value}`), 'ERR_INVALID_IP_ADDRESS');
}

export function serverAlreadyListenError(): Error & NodeCodedError {
  return coded(
    new Error('Listen method has been called more than once without closing.'),
    'ERR_SERVER_ALREADY_LISTEN',
  );
}

export function serverNotRunningError(): Error & NodeCodedError {
  return coded(new Error('Server is not running.'), 'ERR_SERVER_NOT_RUNNING');
}

export function closedBeforeConnectionError(): Error & NodeCodedError {
  return coded(
    new Error('Socket closed before the connection was established'),
    'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
  );
}

/** What `write()` gives after the peer's FIN on a socket that does not allow half-open. */
export function endedByOtherPartyError(): Error & NodeCodedError {
  return coded(new Error('This socket has been ended by the other party'), 'EPIPE');
}

export function socketClosedError(): Error & NodeCodedError {
  return coded(new Error('Socket is closed'), 'ERR_SOCKET_CLOSED');
}

export function outOfRangeError(name: string, range: string, value: unknown): RangeError & NodeCodedError {
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}
