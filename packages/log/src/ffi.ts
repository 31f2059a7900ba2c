// Unix datagram sockets, which Node does not offer, over koffi (a C FFI shipped with
// prebuilt binaries in the npm registry). This is the only file that touches the FFI; koffi
// is loaded on first use, so everything else works where it is missing. Every call is
// non-blocking: the socket is created with SOCK_NONBLOCK and sendto() gets MSG_DONTWAIT,
// so a full receiver makes a send fail with EAGAIN (the line is dropped) instead of waiting.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrlen: number): number;
  close(fd: number): number;
  errno(): number;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
export const EAGAIN = 11;

let libc: Libc | null = null;
let loadError: Error | null = null;

function load(): Libc {
  if (libc !== null) return libc;
  if (loadError !== null) throw loadError;
  try {
    if (process.platform !== 'linux')
      throw new Error(`unix datagram sockets need Linux, not ${process.platform}`);
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    let lib: Koffi.LibraryHandle | undefined;
    let first: unknown;
    for (const name of [null, 'libc.so.6', 'libc.so']) {
      try {
        lib = koffi.load(name);
        lib.func('int socket(int domain, int type, int protocol)');
        break;
      } catch (err) {
        first ??= err;
        lib = undefined;
      }
    }
    if (lib === undefined) throw first;
    libc = {
      socket: lib.func('int socket(int domain, int type, int protocol)') as Libc['socket'],
      sendto: lib.func(
        'long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)',
      ) as Libc['sendto'],
      close: lib.func('int close(int fd)') as Libc['close'],
      errno: () => koffi.errno(),
    };
    return libc;
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
    throw loadError;
  }
}

/** Whether unix datagram sockets can be used here (loads the FFI on first call). */
export function unixDatagramAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/** Why unix datagram sockets cannot be used, or undefined when they can. */
export function unixDatagramUnavailableReason(): string | undefined {
  try {
    load();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** A struct sockaddr_un for `path` (abstract: a leading NUL, no trailing one). */
export function sockaddrUn(path: string, abstract: boolean): Buffer {
  const p = Buffer.from(path, 'utf8');
  const len = 2 + (abstract ? 1 : 0) + p.length + (abstract ? 0 : 1);
  const b = Buffer.alloc(Math.max(len, 3));
  b.writeUInt16LE(AF_UNIX, 0);
  p.copy(b, abstract ? 3 : 2);
  return b.subarray(0, len);
}

/** A new non-blocking, close-on-exec unix datagram socket; -errno on failure. */
export function unixDatagramSocket(): number {
  const l = load();
  const fd = l.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd >= 0 ? fd : -l.errno();
}

/** sendto() without waiting: the bytes sent, or -errno. */
export function unixDatagramSend(fd: number, buf: Buffer, addr: Buffer): number {
  const l = load();
  const n = Number(l.sendto(fd, buf, buf.length, MSG_DONTWAIT | MSG_NOSIGNAL, addr, addr.length));
  return n >= 0 ? n : -l.errno();
}

export function closeFd(fd: number): void {
  try {
    load().close(fd);
  } catch {
    // nothing to do
  }
}
