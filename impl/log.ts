/**
 * F17: structured logs through the Runtime's logger — one record per event, stamped with the
 * runtime's clock (virtual on the simulator), the service and the connection id.
 */
import { type ErrorInfo, errorInfo } from './classify.ts';
import type { LogLevel, LogRecord, Runtime } from './runtime.ts';

export interface Log {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>, err?: unknown): void;
  error(msg: string, fields?: Record<string, unknown>, err?: unknown): void;
  /** The same log with a connection id attached to every record. */
  forConn(conn: string): Log;
}

export function createLog(runtime: Runtime, service: string, conn?: string): Log {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>, err?: unknown) => {
    const record: LogRecord = { ts: runtime.now(), level, service, msg };
    if (conn !== undefined) record.conn = conn;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        // The record's own keys are not overwritten by a caller's field of the same name.
        if (!(k in record)) record[k] = v;
      }
    }
    if (err !== undefined) record.err = errorInfo(err) satisfies ErrorInfo;
    try {
      runtime.logger.log(record);
    } catch {
      // A broken logger must not take a connection down with it.
    }
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields, err) => emit('warn', msg, fields, err),
    error: (msg, fields, err) => emit('error', msg, fields, err),
    forConn: (c) => createLog(runtime, service, c),
  };
}
