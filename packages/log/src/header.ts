// Syslog headers as HAProxy 2.6 writes them before each message (build_log_header).

import { isoSyslogDate, legacySyslogDate } from './dates.ts';
import type { SyslogFormat } from './target.ts';

/** What a header may carry besides the priority and the date. */
export interface SyslogMeta {
  /** `log-tag` (per proxy, else global), default the program name ("haproxy"); '' for none. */
  readonly tag: string;
  /** The process id as text; '' for none. */
  readonly pid: string;
  /** `log-send-hostname`'s value, undefined when it is not set. */
  readonly hostname: string | undefined;
  /** rfc5424 STRUCTURED-DATA (`log-format-sd`); '' or undefined for "-". */
  readonly structuredData?: string | undefined;
}

/**
 * The format a target without `format` uses: rfc3164 when a host name is sent, else `local`
 * (rfc3164 without the host name).
 */
export function effectiveFormat(format: SyslogFormat | undefined, meta: SyslogMeta): SyslogFormat {
  if (format !== undefined) return format;
  if (meta.hostname) return 'rfc3164';
  if (meta.tag) return 'local';
  return 'raw';
}

/**
 * The header for one message: priority, date, host, tag and pid as the format wants them,
 * ending with the separator before the message. `now` is the emission time in ms since
 * the epoch (fractions give the microseconds of ISO dates).
 */
export function buildSyslogHeader(
  format: SyslogFormat | undefined,
  level: number,
  facility: number,
  meta: SyslogMeta,
  now: number,
): string {
  const fmt = effectiveFormat(format, meta);
  let out = '';
  switch (fmt) {
    case 'local':
    case 'rfc3164':
    case 'rfc5424':
    case 'priority':
      out = `<${facility * 8 + level}>`;
      break;
    case 'timed':
    case 'short':
      out = `<${level}>`;
      break;
    default:
      break;
  }
  switch (fmt) {
    case 'local':
    case 'rfc3164':
      out += `${legacySyslogDate(now)} `;
      break;
    case 'rfc5424':
      out += `1 ${isoSyslogDate(now)} `;
      break;
    case 'timed':
    case 'iso':
      out += `${isoSyslogDate(now)} `;
      break;
    default:
      break;
  }
  switch (fmt) {
    case 'rfc3164':
      out += meta.hostname ? `${meta.hostname} ` : 'localhost ';
      if (meta.tag) out += meta.pid ? `${meta.tag}[${meta.pid}]: ` : `${meta.tag}: `;
      break;
    case 'local':
      if (meta.tag) out += meta.pid ? `${meta.tag}[${meta.pid}]: ` : `${meta.tag}: `;
      break;
    case 'rfc5424': {
      let sd = meta.structuredData ?? '';
      while (sd.endsWith(' ')) sd = sd.slice(0, -1);
      out += `${meta.hostname || '-'} ${meta.tag || '-'} ${meta.pid || '-'} - ${sd || '-'} `;
      break;
    }
    default:
      break;
  }
  return out;
}
