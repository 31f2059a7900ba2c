// `log` lines: `log global`, `no log`, and
// `log <address> [len <n>] [format <fmt>] [sample <ranges>:<size>] <facility> [<level> [<minlevel>]]`
// parsed into a LogTarget, with HAProxy's words for what it refuses (parse_logsrv and
// str2sa_range in HAProxy 2.6). Pure: nothing is opened or resolved here.
import { isIPv4, isIPv6 } from 'node:net';
import { LogError } from './errors.ts';
import { logFacility, logLevel } from './levels.ts';

/** The syslog header formats (`format` on a `log` line). */
export type SyslogFormat = 'local' | 'rfc3164' | 'rfc5424' | 'priority' | 'short' | 'timed' | 'iso' | 'raw';

export const SYSLOG_FORMATS: readonly SyslogFormat[] = [
  'local',
  'rfc3164',
  'rfc5424',
  'priority',
  'short',
  'timed',
  'iso',
  'raw',
];

/** The standard syslog port, used when an IP address is given without one. */
export const SYSLOG_PORT = 514;
/** The default `len`. */
export const MAX_SYSLOG_LEN = 1024;

/** Where the lines go. */
export type LogAddress =
  /**
   * UDP syslog (`1.2.3.4[:port]`, `[::1]:port`, `ipv4@`, `ipv6@`, `udp@`, `udp4@`, `udp6@`).
   * `family` 0: `host` is a name to resolve (either family), else it must resolve in that family.
   */
  | { readonly kind: 'udp'; readonly family: 0 | 4 | 6; readonly host: string; readonly port: number }
  /** A unix datagram socket (`/path`, `unix@`, `uxdg@`, `abns@` for the abstract namespace). */
  | { readonly kind: 'unix'; readonly path: string; readonly abstract: boolean }
  /** An open file descriptor (`fd@N`, `stdout` = `fd@1`, `stderr` = `fd@2`): one write per line. */
  | { readonly kind: 'fd'; readonly fd: number }
  /** A stream server (`tcp@`, `tcp4@`, `tcp6@`): one line after another, each ended by LF. */
  | { readonly kind: 'tcp'; readonly family: 0 | 4 | 6; readonly host: string; readonly port: number }
  /** A unix stream socket (`uxst@`). */
  | { readonly kind: 'unix-stream'; readonly path: string }
  /** An in-memory ring (`ring@<name>`), read with `show events`. */
  | { readonly kind: 'ring'; readonly name: string };

/** `sample <ranges>:<size>`: of every `size` lines, those whose rank (from 1) is in a range are sent. */
export interface LogSampling {
  /** Sorted, not overlapping, 1-based, inclusive. */
  readonly ranges: readonly { readonly low: number; readonly high: number }[];
  readonly size: number;
}

/** One log server. */
export interface LogTarget {
  /** The address as written (`stdout`/`stderr` kept as written). */
  readonly text: string;
  readonly address: LogAddress;
  /** Longest datagram (header and message), 80 to 65535; default 1024. */
  readonly maxLen: number;
  /**
   * The header format, undefined when none was given: then HAProxy writes `rfc3164` when the
   * process has a `log-send-hostname`, else `local` (rfc3164 without the host name).
   */
  readonly format: SyslogFormat | undefined;
  readonly sample: LogSampling | undefined;
  /** 0 … 23. */
  readonly facility: number;
  /** Lines less severe than this level are not sent (default 7, debug: everything). */
  readonly level: number;
  /** Lines more severe than this are sent at this level (default 0, emerg: no change). */
  readonly minLevel: number;
}

/** What a `log` line says. */
export type LogDirective =
  /** `log global`: the proxy uses the global section's targets. */
  | { readonly kind: 'global' }
  /** `no log`: the targets inherited so far are dropped. */
  | { readonly kind: 'none' }
  | { readonly kind: 'target'; readonly target: LogTarget };

export interface ParseLogOptions {
  /** The line is in the `global` section (`log global` is refused there). */
  readonly global?: boolean;
}

function fail(message: string): never {
  throw new LogError('HAP_ERR_LOG_TARGET', message);
}

/** C's atoi: leading blanks, a sign, digits; 0 when nothing parses. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

/** HAProxy's read_uint: digits from the start; `end` is where it stopped. */
function readUint(s: string, start: number, stop: number): { value: number; end: number } {
  let i = start;
  let value = 0;
  while (i < stop) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
    i++;
  }
  return { value, end: i };
}

function parseSampling(arg: string): LogSampling {
  const colon = arg.indexOf(':');
  if (colon < 0) fail('Missing sample size');
  const list = arg.slice(0, colon);
  const sizeText = arg.slice(colon + 1);
  const ranges: { low: number; high: number }[] = [];
  let maxHigh = 0;
  let p = 0;
  while (p !== list.length) {
    let end = list.indexOf(',', p);
    if (end < 0) end = list.length;
    const bad = () => fail(`wrong sample range '${list.slice(p)}'`);
    const a = readUint(list, p, end);
    const low = a.value;
    let high = low;
    if (!low || (a.end !== end && list[a.end] !== '-')) bad();
    if (a.end !== end) {
      const b = readUint(list, a.end + 1, end);
      high = b.value;
      if (!high || high <= low || b.end !== end) bad();
    }
    for (const r of ranges) {
      if ((low >= r.low && low <= r.high) || (high >= r.low && high <= r.high))
        fail('ranges are overlapping');
    }
    ranges.push({ low, high });
    if (high > maxHigh) maxHigh = high;
    p = end < list.length ? end + 1 : end;
  }
  if (ranges.length === 0) fail('no sampling ranges given');
  const s = readUint(sizeText, 0, sizeText.length);
  if (!s.value || s.end !== sizeText.length) {
    fail(`wrong sample size '${sizeText}' for sample range '${list}'`);
  }
  if (s.value < maxHigh) {
    fail(
      `sample size ${s.value} should be greater or equal to ${maxHigh} the maximum of the high ranges limits`,
    );
  }
  ranges.sort((x, y) => x.low - y.low);
  return { ranges, size: s.value };
}

type Proto = 'dgram' | 'stream';

/** str2sa_range for a `log` address: datagram by default, stream with `tcp@`/`uxst@`. */
export function parseLogAddress(text: string): LogAddress {
  if (text === '') fail(`'${text}' resolves to an empty address (environment variable missing?)`);
  let s = text;
  let proto: Proto = 'dgram';
  if (s.startsWith('stream+')) {
    s = s.slice(7);
    proto = 'stream';
  } else if (s.startsWith('dgram+')) {
    s = s.slice(6);
  }
  type Family = 'unix' | 'abns' | 0 | 4 | 6 | 'fd' | 'sockpair';
  let family = 0 as Family;
  const prefixes: ReadonlyArray<readonly [string, Family, Proto | undefined]> = [
    ['unix@', 'unix', undefined],
    ['uxdg@', 'unix', 'dgram'],
    ['uxst@', 'unix', 'stream'],
    ['abns@', 'abns', undefined],
    ['ip@', 0, undefined],
    ['ipv4@', 4, undefined],
    ['ipv6@', 6, undefined],
    ['tcp4@', 4, 'stream'],
    ['udp4@', 4, 'dgram'],
    ['tcp6@', 6, 'stream'],
    ['udp6@', 6, 'dgram'],
    ['tcp@', 0, 'stream'],
    ['udp@', 0, 'dgram'],
    ['quic4@', 4, 'dgram'],
    ['quic6@', 6, 'dgram'],
    ['fd@', 'fd', undefined],
    ['sockpair@', 'sockpair', undefined],
  ];
  let matched = false;
  for (const [pfx, fam, p] of prefixes) {
    if (s.startsWith(pfx)) {
      if (pfx.startsWith('quic')) fail(`stream-type address not acceptable in '${text}'`);
      s = s.slice(pfx.length);
      family = fam;
      if (p !== undefined) proto = p;
      matched = true;
      break;
    }
  }
  if (!matched && s.startsWith('/')) family = 'unix';

  if (family === 'fd' || family === 'sockpair') {
    if (!/^\d+$/.test(s)) fail(`file descriptor '${s}' is not a valid integer in '${text}'`);
    if (family === 'sockpair') fail(`a file descriptor is not acceptable here in '${text}'`);
    return { kind: 'fd', fd: Number.parseInt(s, 10) };
  }
  if (family === 'unix' || family === 'abns') {
    const max = family === 'abns' ? 107 : 107 - (1 + 5 + 1 + 3);
    if (s.length > max) fail(`socket path '${text}' too long (max ${max})`);
    if (proto === 'stream') {
      if (family === 'abns') {
        throw new LogError('HAP_ERR_LOG_UNSUPPORTED', `stream log target '${text}' is not supported yet`);
      }
      return { kind: 'unix-stream', path: s };
    }
    return { kind: 'unix', path: s, abstract: family === 'abns' };
  }

  // IPv4 and IPv6: the port follows the last ':' found after any ']'
  let host = s;
  let portText = '';
  let chr = s.length - 1;
  while (chr > 0 && s[chr] !== ']' && s[chr] !== ':') chr--;
  if (chr >= 0 && s[chr] === ':') {
    host = s.slice(0, chr);
    portText = s.slice(chr + 1);
  }
  let port = 0;
  if (/^\d/.test(portText)) {
    if (portText.includes('-')) fail(`port range not permitted here in '${text}'`);
    port = atoi(portText);
    if (port < 0 || port > 65535) fail(`invalid port '${portText}'`);
  } else if (portText[0] === '-' || portText[0] === '+') {
    fail(`port offset not permitted here in '${text}'`);
  } else if (portText !== '') {
    fail(`invalid character '${portText[0]}' in port number '${portText}' in '${text}'`);
  }
  if (port === 0) port = SYSLOG_PORT;

  let h = host;
  if (h.startsWith('[')) {
    if (h.length < 4 || !h.endsWith(']')) fail(`invalid address: '${host}' in '${text}'`);
    h = h.slice(1, -1);
  }
  let fam: 0 | 4 | 6 = family as 0 | 4 | 6;
  if (h === '::') {
    if (fam === 4) fail(`invalid address: '${host}' in '${text}'`);
    fam = 6;
  } else if (h === '' || h === '*') {
    h = fam === 6 ? '::' : '0.0.0.0';
    if (fam === 0) fam = 4;
  } else if (isIPv4(h)) {
    if (fam === 6) fail(`invalid address: '${host}' in '${text}'`);
    fam = 4;
  } else if (isIPv6(h)) {
    if (fam === 4) fail(`invalid address: '${host}' in '${text}'`);
    fam = 6;
  } else if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9.])?$/.test(h)) {
    fail(`invalid address: '${host}' in '${text}'`);
  }
  return { kind: proto === 'stream' ? 'tcp' : 'udp', family: fam, host: h, port };
}

/**
 * Parses the words of a `log` line (`['log', …]`, or `['no', 'log']`). Throws a LogError
 * with HAProxy's message when HAProxy refuses the line.
 */
export function parseLogDirective(words: readonly string[], opts: ParseLogOptions = {}): LogDirective {
  let args = words;
  if (args[0] === 'no') {
    if (args.length > 2) fail("'no log' does not expect arguments");
    return { kind: 'none' };
  }
  if (args[0] !== 'log') fail(`expected a 'log' line, got '${args[0] ?? ''}'`);
  args = args.slice(1);
  const arg = (i: number) => args[i] ?? '';
  if (arg(0) !== '' && args.length === 1 && arg(0) === 'global') {
    if (opts.global) fail("'global' is not supported for a global syslog server");
    return { kind: 'global' };
  }
  if (arg(0) === '' || arg(1) === '') {
    fail(`expects <address> and <facility> ${opts.global ? '' : 'or global'} as arguments`);
  }
  let text = arg(0);
  if (text === 'stdout') text = 'fd@1';
  else if (text === 'stderr') text = 'fd@2';
  let i = 1;
  let maxLen = MAX_SYSLOG_LEN;
  if (arg(i) === 'len') {
    const len = atoi(arg(i + 1));
    if (len < 80 || len > 65535) fail(`invalid log length '${arg(i + 1)}', must be between 80 and 65535`);
    maxLen = len;
    i += 2;
  }
  let format: SyslogFormat | undefined;
  if (arg(i) === 'format') {
    const f = arg(i + 1) as SyslogFormat;
    if (!SYSLOG_FORMATS.includes(f)) fail(`unknown log format '${arg(i + 1)}'`);
    format = f;
    i += 2;
  }
  let sample: LogSampling | undefined;
  if (arg(i) === 'sample') {
    sample = parseSampling(arg(i + 1));
    i += 2;
  }
  const facility = logFacility(arg(i));
  if (facility < 0) fail(`unknown log facility '${arg(i)}'`);
  i++;
  let level = 7;
  if (arg(i) !== '') {
    level = logLevel(arg(i));
    if (level < 0) fail(`unknown optional log level '${arg(i)}'`);
    i++;
  }
  let minLevel = 0;
  if (arg(i) !== '') {
    minLevel = logLevel(arg(i));
    if (minLevel < 0) fail(`unknown optional minimum log level '${arg(i)}'`);
    i++;
  }
  if (arg(i) !== '') fail(`cannot handle unexpected argument '${arg(i)}'`);
  const address: LogAddress = text.startsWith('ring@')
    ? { kind: 'ring', name: text.slice(5) }
    : parseLogAddress(text);
  return {
    kind: 'target',
    target: { text: arg(0), address, maxLen, format, sample, facility, level, minLevel },
  };
}
