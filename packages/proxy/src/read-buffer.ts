/**
 * One read buffer shared by every server connection (`onread` sockets). A read is handled
 * synchronously: its bytes are parsed, copied, or written to the other side. When a write
 * could not complete at once, the socket keeps a reference to those bytes, so the buffer is
 * left to that write and a new one is used from then on. In the common case (the peer takes
 * every byte at once) no memory is allocated per read, and idle connections hold none.
 */

import type { Socket } from 'node:net';

const SIZE = 64 * 1024;
let shared = Buffer.allocUnsafe(SIZE);

/** The buffer the next read goes into (the `onread.buffer` function of server sockets). */
export function readBuffer(): Buffer {
  return shared;
}

/** Called after bytes of the shared buffer were written to `out`: if they wait in its queue, stop reusing the buffer. */
export function readBufferWritten(out: Socket): void {
  if (out.writableLength > 0) shared = Buffer.allocUnsafe(SIZE);
}
