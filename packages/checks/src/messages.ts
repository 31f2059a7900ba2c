// HAProxy's sentences for health-check results and server state changes.
import { type CheckStatus, statusDescription, statusHasCode } from './status.ts';
import type { Figures } from './types.ts';

/** What a check said, as printed after `reason:`. */
export interface Reason {
  readonly status: CheckStatus;
  readonly code: number;
  readonly info: string;
  /** -1: not printed. */
  readonly duration: number;
}

/** HAProxy keeps 127 bytes of a check's info and prints odd bytes, '<', '>' and '"' as <XX>. */
export function encodeInfo(info: string): string {
  let out = '';
  for (const ch of info) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c > 0x7e || ch === '<' || ch === '>' || ch === '"') {
      out += `<${(c & 0xff).toString(16).toUpperCase().padStart(2, '0')}>`;
    } else {
      out += ch;
    }
  }
  return out;
}

export function truncateInfo(info: string): string {
  const nul = info.indexOf('\0');
  const s = nul >= 0 ? info.slice(0, nul) : info;
  return s.length > 127 ? s.slice(0, 127) : s;
}

export function reasonText(r: Reason): string {
  let s = `, reason: ${statusDescription(r.status)}`;
  if (statusHasCode(r.status)) s += `, code: ${r.code}`;
  if (r.info !== '') s += `, info: "${encodeInfo(r.info)}"`;
  if (r.duration >= 0) s += `, check duration: ${r.duration}ms`;
  return s;
}

function runningOnBackup(f: Figures): string {
  return f.backup > 0 && f.active === 0 ? ' Running on backup.' : '';
}

/** After a server went down (or into maintenance). */
export function figuresLeft(f: Figures): string {
  return `. ${f.active} active and ${f.backup} backup servers left.${runningOnBackup(f)} ${f.sessions} sessions active, ${f.requeued} requeued, ${f.queued} remaining in queue`;
}

/** After a server came up, started stopping or entered drain. */
export function figuresOnline(f: Figures): string {
  return `. ${f.active} active and ${f.backup} backup servers online.${runningOnBackup(f)} ${f.requeued} sessions requeued, ${f.queued} total in queue`;
}

export function serverName(backup: boolean, backend: string, server: string): string {
  return `${backup ? 'Backup ' : ''}Server ${backend}/${server}`;
}
