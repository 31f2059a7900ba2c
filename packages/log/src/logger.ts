// A logger: the targets of one proxy (or of the global section), and the verb that sends a
// message to each of them, with its level filter, `minlevel`, `sample` and `len`.
//
//   send(level, message) ──► for each target:  level > target.level ? skip
//                                               sample says no ? skip
//                                               header(format, max(level, minlevel), facility)
//                                               + message, cut to `len`, + LF ──► transport
import { hostname as osHostname } from 'node:os';
import { byteString } from './encode.ts';
import { LogError } from './errors.ts';
import { unixDatagramUnavailableReason } from './ffi.ts';
import { buildSyslogHeader, type SyslogMeta } from './header.ts';
import type { LogTarget } from './target.ts';
import {
  fdTransport,
  streamTransport,
  type Transport,
  type TransportCounters,
  udpTransport,
  unixTransport,
} from './transports.ts';

export interface LoggerOptions {
  /** `log-tag` (global, or the proxy's), default "haproxy". */
  readonly tag?: string;
  /** `log-send-hostname`: true for the system's host name, a string for that name. */
  readonly sendHostname?: boolean | string;
  /** The pid in headers (default this process's). */
  readonly pid?: number;
  /** The clock for header dates, ms since the epoch (default Date.now with sub-ms precision). */
  readonly now?: () => number;
  /** Called once per target for its first error other than a full buffer (HAProxy alerts once). */
  readonly onError?: (target: LogTarget, message: string) => void;
}

/** What may change per message. */
export interface SendOptions {
  /** The proxy's `log-tag`, instead of the logger's. */
  readonly tag?: string;
  /** rfc5424 structured data (`log-format-sd` rendered); default "-". */
  readonly structuredData?: string;
}

export interface LoggerStats {
  /** Lines handed to the kernel or written. */
  readonly sent: number;
  /** Lines lost: full buffers, send errors, targets not ready. */
  readonly dropped: number;
}

export interface Logger {
  readonly targets: readonly LogTarget[];
  /** Sends `message` (a byte string, without header; trailing LF and NUL removed) at `level`. Never throws. */
  send(level: number, message: string, opts?: SendOptions): void;
  stats(): LoggerStats;
  /** Closes every socket (stream targets first try to deliver what they hold). Idempotent. */
  close(): Promise<void>;
}

interface Sampler {
  readonly ranges: readonly { low: number; high: number }[];
  readonly size: number;
  /** Position in the current period (0-based). */
  idx: number;
  /** The range being consumed, and how far. */
  range: number;
  rangeIdx: number;
}

interface Slot {
  readonly target: LogTarget;
  readonly transport: Transport;
  readonly sampler: Sampler | undefined;
  /** fd targets keep one byte for the LF inside `len`; datagrams add it after. */
  readonly lfInsideLen: boolean;
  /** Stream targets cut the message (not the header) to `len`. */
  readonly cutMessageOnly: boolean;
}

/** process_send_log's sampling: whether this line is one of those the ranges keep. */
function sampled(s: Sampler): boolean {
  const r = s.ranges[s.range]!;
  const inRange = s.idx + 1 <= r.high && s.idx + 1 >= r.low;
  if (inRange) {
    s.rangeIdx = (s.rangeIdx + 1) % (r.high - r.low + 1);
    if (s.rangeIdx === 0) s.range = (s.range + 1) % s.ranges.length;
  }
  s.idx = (s.idx + 1) % s.size;
  return inRange;
}

const clock = (): number => performance.timeOrigin + performance.now();

function openTransport(t: LogTarget, counters: TransportCounters, onError: (m: string) => void): Transport {
  const hooks = { counters, onError };
  const a = t.address;
  switch (a.kind) {
    case 'udp':
      return udpTransport(a.family, a.host, a.port, hooks);
    case 'unix': {
      const why = unixDatagramUnavailableReason();
      if (why !== undefined) {
        throw new LogError(
          'HAP_ERR_LOG_UNSUPPORTED',
          `unix datagram log target '${t.text}' is not supported here: ${why}`,
        );
      }
      return unixTransport(a.path, a.abstract, hooks);
    }
    case 'fd':
      return fdTransport(a.fd, hooks);
    case 'tcp':
      return streamTransport({ host: a.host, port: a.port }, hooks);
    case 'unix-stream':
      return streamTransport({ path: a.path }, hooks);
    case 'ring':
      throw new LogError('HAP_ERR_LOG_UNSUPPORTED', `log target '${t.text}': rings are not supported yet`);
  }
}

/**
 * Opens the transports of `targets` (sockets are created now, names resolved in the
 * background). Throws a LogError for targets haproxyd cannot serve (`ring@`, unix
 * datagrams without the FFI); `send` itself never throws.
 */
export function createLogger(targets: readonly LogTarget[], opts: LoggerOptions = {}): Logger {
  const counters: TransportCounters = { sent: 0, dropped: 0 };
  const slots: Slot[] = [];
  try {
    for (const t of targets) {
      const onError = (m: string) => opts.onError?.(t, m);
      slots.push({
        target: t,
        transport: openTransport(t, counters, onError),
        sampler: t.sample
          ? { ranges: t.sample.ranges, size: t.sample.size, idx: 0, range: 0, rangeIdx: 0 }
          : undefined,
        lfInsideLen: t.address.kind === 'fd',
        cutMessageOnly: t.address.kind === 'tcp' || t.address.kind === 'unix-stream',
      });
    }
  } catch (err) {
    for (const s of slots) void s.transport.close();
    throw err;
  }
  const hostname =
    opts.sendHostname === true
      ? osHostname()
      : typeof opts.sendHostname === 'string'
        ? opts.sendHostname
        : undefined;
  const baseMeta = {
    tag: byteString(opts.tag ?? 'haproxy'),
    pid: String(opts.pid ?? process.pid),
    hostname: hostname === undefined || hostname === '' ? undefined : byteString(hostname),
  };
  const now = opts.now ?? clock;
  let closing: Promise<void> | undefined;

  return {
    targets,
    send(level, message, sendOpts) {
      try {
        let msg = message;
        let end = msg.length;
        while (end > 0 && (msg[end - 1] === '\n' || msg[end - 1] === '\0')) end--;
        if (end !== msg.length) msg = msg.slice(0, end);
        const meta: SyslogMeta = {
          tag: sendOpts?.tag !== undefined ? byteString(sendOpts.tag) : baseMeta.tag,
          pid: baseMeta.pid,
          hostname: baseMeta.hostname,
          structuredData: sendOpts?.structuredData,
        };
        let date: number | undefined;
        for (const s of slots) {
          const t = s.target;
          if (level > t.level) continue;
          if (s.sampler && !sampled(s.sampler)) continue;
          date ??= now();
          const header = buildSyslogHeader(t.format, Math.max(level, t.minLevel), t.facility, meta, date);
          let line: string;
          if (s.cutMessageOnly) line = header + (msg.length > t.maxLen ? msg.slice(0, t.maxLen) : msg);
          else {
            const room = s.lfInsideLen ? t.maxLen - 1 : t.maxLen;
            line = header + msg;
            if (line.length > room) line = line.slice(0, room);
          }
          s.transport.write(Buffer.from(`${line}\n`, 'latin1'));
        }
      } catch {
        counters.dropped++;
      }
    },
    stats() {
      return { sent: counters.sent, dropped: counters.dropped };
    },
    close() {
      closing ??= Promise.all(slots.map((s) => s.transport.close())).then(() => undefined);
      return closing;
    },
  };
}
