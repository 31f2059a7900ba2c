// When a stream is logged, and at which level (HAProxy's strm_log and stream_free), and the
// fixed line of a connection that fails before it becomes a stream.
import { dateLog } from './dates.ts';
import { LOG_ERR, LOG_INFO } from './levels.ts';
import type { LogRecord } from './record.ts';
import { isErrorStream } from './termination.ts';

/** The proxy options that decide whether and how a stream is logged. */
export interface StreamLogPolicy {
  /** The frontend's mode ('http': a status ≥ 500 is an error). */
  readonly mode: 'tcp' | 'http';
  /** `option dontlognull`: a stream that received nothing from the client is not logged. */
  readonly dontlognull?: boolean;
  /** `option dontlog-normal`: only streams with an error are logged. */
  readonly dontlogNormal?: boolean;
  /** `option log-separate-errors`: errors are logged at level err instead of info. */
  readonly separateErrors?: boolean;
  /**
   * `http-request|tcp-request … set-log-level <level>` ran: the level to use (0…7), or
   * 'silent' (nothing logged). Undefined: the policy's level.
   */
  readonly levelOverride?: number | 'silent' | undefined;
}

/**
 * The level a stream's line is sent at, or undefined when it is not logged at all
 * (dontlognull with nothing received, dontlog-normal on a normal stream, set-log-level silent).
 */
export function streamLogLevel(
  r: Pick<LogRecord, 'termCause' | 'redispatched' | 'retries' | 'status' | 'bytesIn'>,
  policy: StreamLogPolicy,
): number | undefined {
  if (policy.dontlognull && r.bytesIn === 0) return undefined;
  const err = isErrorStream({
    cause: r.termCause,
    redispatched: r.redispatched,
    retries: r.retries,
    http: policy.mode === 'http',
    status: r.status,
  });
  if (!err && policy.dontlogNormal) return undefined;
  if (policy.levelOverride !== undefined) {
    return policy.levelOverride === 'silent' ? undefined : policy.levelOverride;
  }
  return err && policy.separateErrors ? LOG_ERR : LOG_INFO;
}

/**
 * The line of a connection that fails before a stream exists (TLS handshake, PROXY
 * header) when no `error-log-format` is set:
 * "127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Connection error during SSL handshake".
 * `listener` is the bind line's `name`, or its numeric id.
 */
export function embryonicLogLine(
  r: Pick<LogRecord, 'clientAddress' | 'clientPort' | 'acceptDate' | 'frontend'>,
  listener: string | number,
  message: string,
): string {
  const who = r.clientAddress === undefined ? 'unknown' : `${r.clientAddress}:${r.clientPort}`;
  return `${who} [${dateLog(r.acceptDate)}] ${r.frontend}/${listener}: ${message}`;
}
