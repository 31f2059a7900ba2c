// The socket calls Node does not offer, over koffi (a C FFI shipping prebuilt binaries in
// the npm registry): listening sockets created *without* libuv watching them (so the master
// never accepts a connection itself), and unix datagram sockets (systemd's NOTIFY_SOCKET).
// Linux only: the constants below are Linux's. koffi is loaded on first use.
import { createRequire } from 'node:module';
import { getSystemErrorMessage } from 'node:util';
import type * as Koffi from 'koffi';

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  listen(fd: number, backlog: number): number;
  getsockname(fd: number, addr: Buffer, len: number[]): number;
  close(fd: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, alen: number): number | bigint;
  recv(fd: number, buf: Buffer, len: number, flags: number): number | bigint;
  strsignal(sig: number): string | null;
  strerror(errno: number): string | null;
  errno(): number;
}

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_REUSEPORT = 15;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const MSG_DONTWAIT = 0x40;
const EINTR = 4;
const EAGAIN = 11;

/** A failed system call: `errno` and the system's text. */
export class SysError extends Error {
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number) {
    super(`${syscall}: ${strerror(errno)}`);
    this.name = 'SysError';
    this.errno = errno;
    this.syscall = syscall;
  }
}

let libc: Libc | null = null;
let loadError: Error | null = null;

function load(): Libc {
  if (libc !== null) return libc;
  if (loadError !== null) throw loadError;
  try {
    if (process.platform !== 'linux') throw new Error(`not supported on ${process.platform}`);
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const lib = koffi.load(null);
    libc = {
      socket: lib.func('int socket(int, int, int)') as Libc['socket'],
      setsockopt: lib.func('int setsockopt(int, int, int, const void *, uint32_t)') as Libc['setsockopt'],
      bind: lib.func('int bind(int, const void *, uint32_t)') as Libc['bind'],
      listen: lib.func('int listen(int, int)') as Libc['listen'],
      getsockname: lib.func('int getsockname(int, _Out_ void *, _Inout_ uint32_t *)') as Libc['getsockname'],
      close: lib.func('int close(int)') as Libc['close'],
      sendto: lib.func(
        'intptr_t sendto(int, const void *, uintptr_t, int, const void *, uint32_t)',
      ) as Libc['sendto'],
      recv: lib.func('intptr_t recv(int, _Out_ void *, uintptr_t, int)') as Libc['recv'],
      strsignal: lib.func('const char *strsignal(int)') as Libc['strsignal'],
      strerror: lib.func('const char *strerror(int)') as Libc['strerror'],
      errno: () => koffi.errno(),
    };
    return libc;
  } catch (err) {
    loadError = new Error(
      `@hap/master: socket system calls through koffi are unavailable on ${process.platform}/${process.arch}: ${(err as Error).message}`,
      { cause: err },
    );
    throw loadError;
  }
}

/** True when the FFI loads here (Linux with koffi). */
export function socketCallsAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/** strerror(3), or libuv's text when the FFI is not there. */
export function strerror(errno: number): string {
  if (libc !== null) {
    const t = libc.strerror(errno);
    if (t) return t;
  }
  const text = getSystemErrorMessage(-errno);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** strsignal(3): `Killed`, `Terminated`, `Segmentation fault` ... */
export function signalDescription(signo: number): string {
  try {
    const t = load().strsignal(signo);
    if (t) return t;
  } catch {
    // below
  }
  return `Signal ${signo}`;
}

function check(syscall: string, rc: number | bigint, fd = -1): number {
  const n = Number(rc);
  if (n >= 0) return n;
  const errno = load().errno();
  if (fd >= 0) load().close(fd);
  throw new SysError(syscall, errno);
}

/** A socket(2) with SOCK_CLOEXEC (a spawned worker gets it through its stdio list only). */
export function openSocket(domain: number, type: number): number {
  return check('socket', load().socket(domain, type | SOCK_CLOEXEC, 0));
}

export function closeFd(fd: number): void {
  if (fd >= 0) load().close(fd);
}

function intOption(fd: number, level: number, name: number, value: number, what: string): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  check(`setsockopt(${what})`, load().setsockopt(fd, level, name, b, 4));
}

export function setReuseAddr(fd: number): void {
  intOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, 'SO_REUSEADDR');
}

export function setReusePort(fd: number): void {
  intOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, 'SO_REUSEPORT');
}

export function setV6Only(fd: number, on: boolean): void {
  intOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, on ? 1 : 0, 'IPV6_V6ONLY');
}

export function bindTo(fd: number, addr: Buffer): void {
  check('bind', load().bind(fd, addr, addr.length));
}

export function listenOn(fd: number, backlog: number): void {
  check('listen', load().listen(fd, backlog));
}

/** The port a bound IPv4/IPv6 socket got. */
export function boundPort(fd: number): number {
  const buf = Buffer.alloc(128);
  const len = [buf.length];
  check('getsockname', load().getsockname(fd, buf, len));
  return buf.readUInt16BE(2);
}

/** sockaddr_in for a dotted IPv4 address. */
export function sockaddrIn(ip: string, port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  const parts = ip.split('.').map(Number);
  for (let i = 0; i < 4; i++) b[4 + i] = parts[i] ?? 0;
  return b;
}

/** sockaddr_in6 for an IPv6 address (no scope id). */
export function sockaddrIn6(ip: string, port: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  ipv6Bytes(ip).copy(b, 8);
  return b;
}

function ipv6Bytes(ip: string): Buffer {
  let text = ip;
  const out = Buffer.alloc(16);
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i] ?? '0', 16) || 0, i * 2);
  return out;
}

/** sockaddr_un for a path, or an abstract name when `abstract`. Throws when too long. */
export function sockaddrUn(path: string, abstract = false): Buffer {
  const name = Buffer.from(path);
  // sun_path is 108 bytes: a path keeps its trailing NUL, an abstract name its leading one
  if (name.length > 107) throw new SysError('bind', 36 /* ENAMETOOLONG */);
  const b = Buffer.alloc(2 + (abstract ? 1 : 0) + name.length + (abstract ? 0 : 1));
  b.writeUInt16LE(AF_UNIX, 0);
  name.copy(b, abstract ? 3 : 2);
  return b;
}

/** sendto(2) one datagram; throws SysError. */
export function sendDatagram(fd: number, data: Buffer, addr: Buffer): void {
  for (let i = 0; i < 100; i++) {
    const n = Number(load().sendto(fd, data, data.length, 0, addr, addr.length));
    if (n >= 0) return;
    const errno = load().errno();
    if (errno !== EINTR) throw new SysError('sendto', errno);
  }
}

/** One datagram if one is waiting (MSG_DONTWAIT), else null. */
export function receiveDatagram(fd: number, max = 65536): Buffer | null {
  const buf = Buffer.alloc(max);
  for (let i = 0; i < 100; i++) {
    const n = Number(load().recv(fd, buf, buf.length, MSG_DONTWAIT));
    if (n >= 0) return buf.subarray(0, n);
    const errno = load().errno();
    if (errno === EAGAIN) return null;
    if (errno !== EINTR) throw new SysError('recv', errno);
  }
  return null;
}
