/**
 * HTTP compression of responses (`compression algo|type|offload`, HAProxy's compression
 * filter). The algorithm is chosen from the request's `Accept-Encoding`; the response is
 * compressed when HAProxy would (status 200 to 203, HTTP/1.1, a length or chunked framing,
 * not multipart, not `no-transform`, not already encoded, a sane ETag, a listed type), sent
 * chunked with `Vary: Accept-Encoding` and `Content-Encoding`, its strong ETag made weak.
 * Each body part is compressed and flushed as it passes (zlib level 1, HAProxy's default
 * `tune.comp.maxlevel`), so a streamed response is not held back.
 */
import * as zlib from 'node:zlib';
import type { HeadInfo } from '@hap/http';

export type CompressionAlgorithm = 'identity' | 'gzip' | 'deflate' | 'raw-deflate';

/** The compression settings of a frontend or backend (with its defaults section's). */
export interface CompressionSettings {
  /**
   * Algorithms in the order they are tried against each `Accept-Encoding` token: as HAProxy
   * keeps them, the last configured first, the proxy's before its defaults section's.
   */
  readonly algorithms: readonly CompressionAlgorithm[];
  /** Lower-case MIME type prefixes; empty: every type. */
  readonly types: readonly string[];
  /** `compression offload`: the request's `Accept-Encoding` is removed when an algorithm is chosen. */
  readonly offload: boolean;
}

/** The `Accept-Encoding` token of each algorithm (raw-deflate answers to `deflate`). */
const TOKEN: Readonly<Record<CompressionAlgorithm, string>> = {
  identity: 'identity',
  gzip: 'gzip',
  deflate: 'deflate',
  'raw-deflate': 'deflate',
};

/**
 * The algorithm for a request: the first token of its `Accept-Encoding` headers (in order)
 * that one of `algorithms` answers, `*` answering the first; tokens with `q=0` are skipped.
 * Undefined: no compression (none matches, or an old Mozilla/4 browser).
 */
export function chooseAlgorithm(
  headers: readonly string[],
  algorithms: readonly CompressionAlgorithm[],
): CompressionAlgorithm | undefined {
  if (algorithms.length === 0) return undefined;
  let accept = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (name.length === 10 && name.toLowerCase() === 'user-agent' && oldBrowser(headers[i + 1] as string)) {
      return undefined;
    }
    if (name.length === 15 && name.toLowerCase() === 'accept-encoding') accept = true;
  }
  if (!accept) return undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (name.length !== 15 || name.toLowerCase() !== 'accept-encoding') continue;
    for (const part of (headers[i + 1] as string).split(',')) {
      const semi = part.indexOf(';');
      const token = (semi < 0 ? part : part.slice(0, semi)).trim().toLowerCase();
      if (token === '' || (semi >= 0 && refused(part.slice(semi + 1)))) continue;
      for (const a of algorithms) if (token === '*' || TOKEN[a] === token) return a;
    }
  }
  return undefined;
}

/** `q=0` (0, 0.0, 0.00, 0.000) among a token's parameters. */
function refused(params: string): boolean {
  for (const p of params.split(';')) {
    const m = /^\s*q\s*=\s*([\d.]+)\s*$/i.exec(p);
    if (m !== null) return Number(m[1]) === 0;
  }
  return false;
}

/**
 * "Mozilla/4" user agents get nothing compressed, except MSIE 7 and later and MSIE 6 with
 * XP SP2 ("SV1"), read at the places HAProxy reads them.
 */
function oldBrowser(ua: string): boolean {
  if (!ua.startsWith('Mozilla/4')) return false;
  if (ua.length < 31 || ua.slice(25, 30) !== 'MSIE ') return true;
  const major = ua.charCodeAt(30);
  if (major < 0x36) return true; // '6'
  return major === 0x36 && (ua.length < 54 || ua.slice(51, 54) !== 'SV1');
}

/** Whether a final response may be compressed (its head as the rules left it). */
export function compressible(info: HeadInfo, types: readonly string[]): boolean {
  const st = info.status;
  if (st < 200 || st > 203) return false;
  if (info.versionMajor !== 1 || info.versionMinor !== 1) return false;
  if (info.bodyKind !== 'length' && info.bodyKind !== 'chunked') return false;
  const h = info.headers;
  let type: string | undefined;
  let etags = 0;
  for (let i = 0; i < h.length; i += 2) {
    const name = (h[i] as string).toLowerCase();
    const value = h[i + 1] as string;
    if (name === 'content-encoding') return false;
    if (name === 'content-type') type ??= value;
    else if (name === 'cache-control' && /(?:^|,)\s*no-transform\s*(?:,|$)/i.test(value)) return false;
    else if (name === 'etag') {
      if (++etags > 1 || !/^(?:W\/)?"[^"]*"$/.test(value)) return false;
    }
  }
  if (type !== undefined && type.slice(0, 9).toLowerCase() === 'multipart') return false;
  if (types.length === 0) return true;
  if (type === undefined) return false;
  const low = type.toLowerCase();
  return types.some((t) => low.startsWith(t));
}

/**
 * Rewrites the head of a response about to be compressed: no `Content-Length`, chunked
 * framing, `Vary: Accept-Encoding` and `Content-Encoding` added last, a strong ETag made weak.
 */
export function compressedHead(info: HeadInfo, algorithm: CompressionAlgorithm): void {
  const h = info.headers;
  const out: string[] = [];
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i] as string;
    const low = name.toLowerCase();
    if (low === 'content-length') continue;
    const value = h[i + 1] as string;
    out.push(name, low === 'etag' && !value.startsWith('W/') ? `W/${value}` : value);
  }
  if (info.bodyKind !== 'chunked') out.push('transfer-encoding', 'chunked');
  out.push('vary', 'Accept-Encoding', 'content-encoding', TOKEN[algorithm]);
  // the parser still frames the server's body by what it read: only the written head changes
  info.headers = out;
}

const EMPTY = Buffer.alloc(0);
const SEGMENT = { level: 1, finishFlush: zlib.constants.Z_SYNC_FLUSH };
/** A last, empty deflate block (BFINAL, fixed codes, end of block). */
const LAST_BLOCK = Buffer.from([0x03, 0x00]);
/** gzip's member header: no name, no time, Unix. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
/** zlib's stream header for a 32K window at the fastest level. */
const ZLIB_HEADER = Buffer.from([0x78, 0x01]);

/**
 * One response's compression stream, synchronous so that the forwarding path stays a plain
 * callback. Each body part becomes complete deflate blocks ending on a byte boundary (zlib's
 * sync flush): consecutive parts form one valid deflate stream, closed by a last empty block
 * and the format's checksum. Each part is compressed on its own (no history from the part
 * before), a little less tight than one zlib stream.
 */
export class Compressor {
  private readonly format: 'gzip' | 'deflate' | 'raw-deflate';
  private started = false;
  private crc = 0;
  private size = 0;
  private adlerA = 1;
  private adlerB = 0;

  constructor(algorithm: CompressionAlgorithm) {
    this.format = algorithm === 'identity' ? 'raw-deflate' : algorithm;
  }

  /** The compressed form of `data`, flushed so that the client can decode all of it now. */
  write(data: Buffer): Buffer {
    if (data.length === 0) return EMPTY;
    this.sum(data);
    const blocks = zlib.deflateRawSync(data, SEGMENT);
    return this.withHeader(blocks);
  }

  /** The end of the stream: the last block and the format's trailer. */
  end(): Buffer {
    const tail = this.withHeader(LAST_BLOCK);
    if (this.format === 'raw-deflate') return tail;
    const t = Buffer.allocUnsafe(this.format === 'gzip' ? 8 : 4);
    if (this.format === 'gzip') {
      t.writeUInt32LE(this.crc >>> 0, 0);
      t.writeUInt32LE(this.size >>> 0, 4);
    } else t.writeUInt32BE(((this.adlerB << 16) | this.adlerA) >>> 0, 0);
    return Buffer.concat([tail, t]);
  }

  private withHeader(blocks: Buffer): Buffer {
    if (this.started || this.format === 'raw-deflate') return blocks;
    this.started = true;
    return Buffer.concat([this.format === 'gzip' ? GZIP_HEADER : ZLIB_HEADER, blocks]);
  }

  private sum(data: Buffer): void {
    if (this.format === 'gzip') {
      this.crc = zlib.crc32(data, this.crc);
      this.size = (this.size + data.length) % 0x100000000;
    } else if (this.format === 'deflate') {
      let a = this.adlerA;
      let b = this.adlerB;
      // 5552 bytes at most between reductions keep the sums below 2^32
      for (let i = 0; i < data.length; ) {
        const stop = Math.min(data.length, i + 5552);
        for (; i < stop; i++) {
          a += data[i] as number;
          b += a;
        }
        a %= 65521;
        b %= 65521;
      }
      this.adlerA = a;
      this.adlerB = b;
    }
  }
}

/** Whether this Node's zlib has what the compressor uses (`crc32` came with Node 22.2). */
export function compressionAvailable(): boolean {
  return typeof zlib.crc32 === 'function';
}
