/**
 * `show errors [<iid>|<proxy>] [request|response]`: the last request each frontend refused
 * and the last response each backend refused, in HAProxy 2.6's layout (one block per
 * capture, the message dumped line by line with its offsets and escapes). Loaded by the CLI
 * the first time the command runs.
 *
 * What HAProxy prints of its HTTP/1 multiplexer that haproxyd does not have is printed with
 * the values that hold here: the connection and stream flags are 0 (haproxyd has neither),
 * the buffer figures are those of a buffer of tune.bufsize (16384) bytes realigned for the
 * message, as HAProxy's are when a message starts in an empty buffer.
 */

import { dateLog } from '@hap/log';
import { type ErrorSlot, type ErrorSnapshot, HttpFrontend } from '@hap/proxy';
import type { DaemonStats, ProxyRecord } from './stats-source.ts';

/** tune.bufsize: haproxyd's HTTP buffers have HAProxy's default size. */
const BUFSIZE = 16384;
/** HAProxy aligns its HTTP/1 input buffer after a 48-byte header: where it wraps. */
const WRAP = BUFSIZE - 48;
/** Output lines of the dump are at most this wide, line feed included. */
const LINE_WIDTH = 80;

/** C's atoi(). */
function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? Number.parseInt(m[0], 10) : 0;
}

const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * One output line of a dump (HAProxy's dump_text_line()): from `ptr`, at most one input line,
 * cut so that the output line stays within 80 columns. `lineStart` is where the current input
 * line began (a continuation is marked '+'). Returns the line and where the next one starts.
 */
function dumpLine(buf: Buffer, ptr: number, lineStart: number): { text: string; next: number; line: number } {
  let text = `  ${String(ptr).padStart(5, '0')}${ptr === lineStart ? ' ' : '+'} `;
  const end = LINE_WIDTH;
  let line = lineStart;
  while (ptr < buf.length) {
    const c = buf[ptr]!;
    if (c >= 0x20 && c < 0x7f && c !== 0x5c) {
      if (text.length > end - 2) break;
      text += String.fromCharCode(c);
    } else if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x1b || c === 0x5c) {
      if (text.length > end - 3) break;
      text += c === 0x09 ? '\\t' : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x1b ? '\\e' : '\\\\';
    } else {
      if (text.length > end - 5) break;
      text += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    ptr++;
    if (c === 0x0a) {
      line = ptr;
      break;
    }
  }
  return { text: `${text}\n`, next: ptr, line };
}

/** A message as `show errors` dumps it: every byte, line by line, escaped. */
export function dumpText(buf: Buffer): string {
  let out = '';
  let ptr = 0;
  let line = 0;
  while (ptr < buf.length && ptr < BUFSIZE) {
    const d = dumpLine(buf, ptr, line);
    out += d.text;
    ptr = d.next;
    line = d.line;
  }
  return out;
}

/** The client as HAProxy prints it: `addr:port` (IPv6 without brackets), `unix:0` for a unix socket. */
function src(es: ErrorSnapshot): string {
  return es.src === '' ? 'unix:0' : `${es.src}:${es.srcPort}`;
}

/** The record of the proxy a capture names at its other end. */
function recordOf(stats: DaemonStats, slot: ErrorSlot | null): ProxyRecord | undefined {
  if (slot === null) return undefined;
  return stats.records.find((r) => r.backend === slot || r.served?.frontend === slot);
}

/** One capture's block, as HAProxy prints it. */
export function formatSnapshot(
  stats: DaemonStats,
  px: ProxyRecord,
  es: ErrorSnapshot,
  response: boolean,
): string {
  const other = recordOf(stats, es.otherEnd);
  let out = ` \n[${dateLog(es.when)}]`;
  if (!response) {
    // the other end counts only when it is a backend
    const be = other?.isBackend ? other : undefined;
    out += ` frontend ${px.model.name} (#${px.id}): invalid request\n`;
    out += `  backend ${be ? be.model.name : '<NONE>'} (#${be ? be.id : -1})`;
  } else {
    out += ` backend ${px.model.name} (#${px.id}): invalid response\n`;
    out += `  frontend ${other ? other.model.name : '<NONE>'} (#${other ? other.id : -1})`;
  }
  const srv = es.server !== null ? stats.recordOf(es.server) : undefined;
  const m = es.message;
  const len = m.bytes.length;
  out +=
    `, server ${srv ? srv.model.name : '<NONE>'} (#${srv ? srv.id : -1}), event #${es.event}, src ${src(es)}\n` +
    `  buffer starts at 0 (including 0 out), ${BUFSIZE - len} free,\n` +
    `  len ${len}, wraps at ${WRAP}, error at position ${m.errorPos}\n` +
    `  H1 connection flags ${hex8(0)}, H1 stream flags ${hex8(0)}\n` +
    `  H1 msg state ${m.stateName}(${m.state}), H1 msg flags ${hex8(m.flags)}\n` +
    `  H1 chunk len ${m.chunkLen} bytes, H1 body len ${m.bodyLen} bytes :\n` +
    '  \n';
  return out + dumpText(m.bytes);
}

/** The last refused request of a proxy's frontend side, if it has one. */
function invalidRequest(r: ProxyRecord): ErrorSnapshot | null {
  const f = r.served?.frontend;
  return f instanceof HttpFrontend ? f.invalidReq : null;
}

/** The process's error count: every HTTP frontend shares one counter. */
function totalEvents(stats: DaemonStats): number {
  for (const r of stats.records) {
    const f = r.served?.frontend;
    if (f instanceof HttpFrontend) return f.errorEvents.count;
  }
  return 0;
}

/**
 * The answer to `show errors`; `args` are the words after the command. A proxy is named by
 * its name, `#<id>`, or its id (-1 or any negative: all); "request" or "response" after it
 * keeps one direction.
 */
export function showErrors(stats: DaemonStats, args: readonly string[], now: number): string {
  let iid = -1;
  const which = args[0] ?? '';
  if (which !== '') {
    const byId = /^#(\d+)$/.exec(which);
    const found = stats.records.find((r) => (byId ? r.id === Number(byId[1]) : r.model.name === which));
    iid = found !== undefined ? found.id : atoi(which);
    if (iid === 0) return 'No such proxy.\n';
  }
  const dir = args[1];
  const skipReq = dir === 'response';
  const skipResp = dir === 'request';
  let out = `Total events captured on [${dateLog(now)}] : ${totalEvents(stats)}\n`;
  const concerns = (r: ProxyRecord, es: ErrorSnapshot) =>
    iid < 0 || r.id === iid || recordOf(stats, es.otherEnd)?.id === iid;
  for (const r of stats.records) {
    const req = skipReq ? null : invalidRequest(r);
    if (req !== null && concerns(r, req)) out += formatSnapshot(stats, r, req, false);
    const resp = skipResp ? null : (r.backend?.invalidRep ?? null);
    if (resp !== null && concerns(r, resp)) out += formatSnapshot(stats, r, resp, true);
  }
  return out;
}
