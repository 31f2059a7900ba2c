/**
 * One read buffer shared by every server connection (`onread` sockets). A read is handled
 * synchronously: its bytes are parsed, copied, or written to the other side. When a write
 * could not complete at once, the socket keeps a reference to those bytes, so the buffer is
 * left to that write and a new one is used from then on. In the common case (the peer takes
 * every byte at once) no memory is allocated per read, and idle connections hold none.
 *
 * A TLS socket is different: it encrypts what it is given before write() returns (Node's
 * TLS layer copies whatever it cannot encrypt yet), but reports the write done only on a
 * later turn of the loop, so its writableLength stays above 0 after every write. For it,
 * only chunks still queued in the stream itself (behind that write, or corked) hold bytes
 * of the buffer.
 */

import type { Socket } from 'node:net';

const SIZE = 64 * 1024;
/** The mark of an HTTP/2 stream's socket (http-session.ts H2_STREAM, a registered symbol). */
const H2_MARK = Symbol.for('hap.h2-stream');
let shared = Buffer.allocUnsafe(SIZE);

/** The buffer the next read goes into (the `onread.buffer` function of server sockets). */
export function readBuffer(): Buffer {
  return shared;
}

/** A socket as Node builds it: `encrypted` on TLS sockets, the writable side's queue. */
interface StreamSocket extends Socket {
  readonly encrypted?: boolean;
  readonly _writableState: { readonly bufferedRequestCount: number };
}

/** Called after bytes of the shared buffer were written to `out`: if they wait in its queue, stop reusing the buffer. */
export function readBufferWritten(out: Socket): void {
  if (out.writableLength === 0) return;
  const s = out as StreamSocket;
  // (an HTTP/2 stream's in-process socket says `encrypted` for the TLS fetches, but is no
  // TLS socket: what it has not taken yet holds bytes of the buffer)
  if (s.encrypted === true && s._writableState.bufferedRequestCount === 0 && !(H2_MARK in s)) return;
  shared = Buffer.allocUnsafe(SIZE);
}
