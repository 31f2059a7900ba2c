/**
 * `log` lines, in global and proxies: `log global`, `no log`, or
 * `log <target> [len <n>] [format <f>] [sample <r>:<s>] <facility> [<level> [<minlevel>]]`.
 */

import { expandAddressEnv, parseAddress } from '../address.ts';
import { isKnownHost } from '../hosts.ts';
import type { KeywordContext } from './types.ts';

/** The syslog facilities in their numeric order (`kern` = 0 … `local7` = 23). */
export const LOG_FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'auth2',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'cron2',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;
/** The syslog levels, most severe first (`emerg` = 0 … `debug` = 7). */
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
const LOG_FORMATS = ['local', 'rfc3164', 'rfc5424', 'priority', 'short', 'timed', 'iso', 'raw'];

export function parseLogLine(ctx: KeywordContext): void {
  const a = ctx.args;
  if (ctx.modifier === 'no') {
    if (a.length > 1) ctx.alert("'no log' does not expect arguments.");
    return;
  }
  if (a[1] === 'global') {
    if (!ctx.proxy) ctx.alert("'log global' is only supported in proxies.");
    else if (a.length > 2) ctx.alert(`'log global' cannot handle unexpected argument '${a[2]}'.`);
    return;
  }
  const target = a[1];
  if (target === undefined) {
    ctx.alert("'log' expects either <address[:port]> and <facility> or 'global' as arguments.");
    return;
  }
  if (!(target === 'stdout' || target === 'stderr' || target.startsWith('ring@'))) {
    const r = parseAddress(
      expandAddressEnv(target, ctx.env),
      {
        portRequired: false,
        rangeAllowed: false,
        offsetAllowed: false,
        hostnameAllowed: true,
      },
      target,
    );
    if (!r.ok) {
      ctx.alert(`log : ${r.reason}`);
      return;
    }
    // a log server's name is resolved while parsing: one that does not resolve is refused
    if (r.addr.family === 'hostname' && !isKnownHost(r.addr.host)) {
      ctx.alert(`log : invalid address: '${r.addr.host}' in '${target}'`);
      return;
    }
  }
  let i = 2;
  while (i < a.length) {
    const w = a[i]!;
    if (w === 'len') {
      if (!/^\d+$/.test(a[i + 1] ?? '')) {
        ctx.alert("'len' expects a positive integer argument.");
        return;
      }
      i += 2;
    } else if (w === 'format') {
      if (!LOG_FORMATS.includes(a[i + 1] ?? '')) {
        ctx.alert(`unknown log format '${a[i + 1] ?? ''}'.`);
        return;
      }
      i += 2;
    } else if (w === 'sample') {
      if (!/^[\d,-]+:\d+$/.test(a[i + 1] ?? '')) {
        ctx.alert("'sample' expects '<ranges>:<size>'.");
        return;
      }
      i += 2;
    } else break;
  }
  const facility = a[i];
  if (facility === undefined) {
    ctx.alert("'log' expects <address> and <facility> as arguments.");
    return;
  }
  if (!(LOG_FACILITIES as readonly string[]).includes(facility)) {
    ctx.alert(`unknown log facility '${facility}'.`);
    return;
  }
  const level = a[i + 1];
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
    ctx.alert(`unknown optional log level '${level}'.`);
    return;
  }
  const minLevel = a[i + 2];
  if (minLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(minLevel)) {
    ctx.alert(`unknown optional minimum log level '${minLevel}'.`);
    return;
  }
  if (a.length > i + 3) ctx.alert(`'log' cannot handle unexpected argument '${a[i + 3]}'.`);
}
