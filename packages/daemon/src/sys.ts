// The system calls Node lacks, over koffi (a C FFI shipping prebuilt binaries in the npm
// registry). This is the only file that touches the FFI. koffi is loaded on first use, so
// the package imports (and everything that needs no FFI works) where it is missing.
import { createRequire } from 'node:module';
import { constants as osConstants, endianness as osEndianness } from 'node:os';
import { getSystemErrorMessage } from 'node:util';
import type * as Koffi from 'koffi';
import { DaemonError } from './errors.ts';

/** A resource limit pair; `Infinity` stands for RLIM_INFINITY. */
export interface Rlimit {
  soft: number;
  hard: number;
}

interface Libc {
  chroot(path: string): number;
  setsid(): number;
  getrlimit(resource: number, out: { rlim_cur: number | bigint; rlim_max: number | bigint }): number;
  setrlimit(resource: number, limit: { rlim_cur: number | bigint; rlim_max: number | bigint }): number;
  strerror(errnum: number): string | null;
  errno(): number;
  accept4(fd: number, addr: null, len: null, flags: number): number;
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  listen(fd: number, backlog: number): number;
  close(fd: number): number;
  inet_pton(af: number, src: string, dst: Buffer): number;
  sched_yield(): number;
}

// RLIMIT_NOFILE differs between kernels (and Linux architectures).
function rlimitNofile(): number | null {
  switch (process.platform) {
    case 'linux':
      return process.arch.startsWith('mips') ? 5 : 7;
    case 'darwin':
    case 'freebsd':
    case 'openbsd':
      return 8;
    default:
      return null;
  }
}

// RLIM_INFINITY is all ones on the platforms above (Linux, the BSDs, macOS use 2^63-1).
const RLIM_INFINITY_LINUX = 0xffff_ffff_ffff_ffffn;
const RLIM_INFINITY_BSD = 0x7fff_ffff_ffff_ffffn;

let libc: Libc | null = null;
let loadError: Error | null = null;

function load(): Libc {
  if (libc !== null) return libc;
  if (loadError !== null) throw unavailable(loadError);
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const lib = openLibc(koffi);
    const rlimit = koffi.struct('hap_rlimit', { rlim_cur: 'uint64_t', rlim_max: 'uint64_t' });
    libc = {
      chroot: lib.func('int chroot(const char *path)') as Libc['chroot'],
      setsid: lib.func('int setsid()') as Libc['setsid'],
      getrlimit: lib.func('getrlimit', 'int', ['int', koffi.out(koffi.pointer(rlimit))]) as Libc['getrlimit'],
      setrlimit: lib.func('setrlimit', 'int', ['int', koffi.pointer(rlimit)]) as Libc['setrlimit'],
      strerror: lib.func('const char *strerror(int errnum)') as Libc['strerror'],
      accept4: lib.func('int accept4(int fd, void *addr, void *addrlen, int flags)') as Libc['accept4'],
      socket: lib.func('int socket(int domain, int type, int protocol)') as Libc['socket'],
      setsockopt: lib.func(
        'int setsockopt(int fd, int level, int name, const void *value, uint32_t len)',
      ) as Libc['setsockopt'],
      bind: lib.func('int bind(int fd, const void *addr, uint32_t len)') as Libc['bind'],
      listen: lib.func('int listen(int fd, int backlog)') as Libc['listen'],
      close: lib.func('int close(int fd)') as Libc['close'],
      inet_pton: lib.func('int inet_pton(int af, const char *src, void *dst)') as Libc['inet_pton'],
      sched_yield: lib.func('int sched_yield()') as Libc['sched_yield'],
      errno: () => koffi.errno(),
    };
    return libc;
  } catch (err) {
    loadError = err instanceof Error ? err : new Error(String(err));
    throw unavailable(loadError);
  }
}

function openLibc(koffi: typeof Koffi): Koffi.LibraryHandle {
  // dlopen(NULL) sees the C library Node itself is linked with (glibc or musl).
  const candidates: Array<string | null> = [null];
  if (process.platform === 'linux') candidates.push('libc.so.6', 'libc.so');
  if (process.platform === 'darwin') candidates.push('libSystem.B.dylib');
  if (process.platform === 'freebsd') candidates.push('libc.so.7');
  let first: unknown = null;
  for (const name of candidates) {
    try {
      const lib = koffi.load(name);
      lib.func('int chroot(const char *path)'); // throws when the symbol is not visible
      return lib;
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
}

function unavailable(cause: Error): DaemonError {
  return new DaemonError(
    'HAP_ERR_SYSCALL_UNAVAILABLE',
    `system calls through koffi are unavailable on ${process.platform}/${process.arch}: ${cause.message}`,
    { cause },
  );
}

/** True when the FFI loads on this platform (loads it on first call). */
export function syscallsAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

function fail(syscall: string, what: string): never {
  const l = load();
  const errno = l.errno();
  throw new DaemonError('HAP_ERR_SYSCALL', `${what}: ${strerror(errno)}`, { errno, syscall });
}

/** chroot(2). The caller changes directory to "/" afterwards. */
export function chroot(path: string): void {
  if (load().chroot(path) !== 0) fail('chroot', `chroot(${path})`);
}

/** setsid(2); returns the new session id (the pid). */
export function setsid(): number {
  const sid = load().setsid();
  if (sid === -1) fail('setsid', 'setsid()');
  return sid;
}

function fromRlim(value: number | bigint): number {
  const big = BigInt(value);
  if (big === RLIM_INFINITY_LINUX || big === RLIM_INFINITY_BSD) return Number.POSITIVE_INFINITY;
  return Number(big);
}

function toRlim(value: number): bigint {
  if (value === Number.POSITIVE_INFINITY) {
    return process.platform === 'linux' ? RLIM_INFINITY_LINUX : RLIM_INFINITY_BSD;
  }
  return BigInt(value);
}

function nofile(): number {
  const resource = rlimitNofile();
  if (resource === null) {
    throw new DaemonError('HAP_ERR_SYSCALL_UNAVAILABLE', `RLIMIT_NOFILE is not known on ${process.platform}`);
  }
  return resource;
}

/** getrlimit(RLIMIT_NOFILE). */
export function getFdLimit(): Rlimit {
  const l = load();
  const out = { rlim_cur: 0, rlim_max: 0 } as { rlim_cur: number | bigint; rlim_max: number | bigint };
  if (l.getrlimit(nofile(), out) !== 0) fail('getrlimit', 'getrlimit(RLIMIT_NOFILE)');
  return { soft: fromRlim(out.rlim_cur), hard: fromRlim(out.rlim_max) };
}

/** setrlimit(RLIMIT_NOFILE). Raising `hard` needs privileges (CAP_SYS_RESOURCE). */
export function setFdLimit(limit: Rlimit): void {
  const l = load();
  const value = { rlim_cur: toRlim(limit.soft), rlim_max: toRlim(limit.hard) };
  if (l.setrlimit(nofile(), value) !== 0) {
    fail('setrlimit', `setrlimit(RLIMIT_NOFILE, ${limit.soft}/${limit.hard})`);
  }
}

/** The system's text for a (positive) errno: strerror(3) when the FFI is there, else libuv's. */
export function strerror(errno: number): string {
  if (libc !== null || loadError === null) {
    try {
      const text = load().strerror(errno);
      if (text) return text;
    } catch {
      // fall through to Node's table
    }
  }
  const text = getSystemErrorMessage(-errno);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The positive errno of an error thrown by Node (`err.errno` is negative there), or null. */
export function errnoOf(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { errno?: unknown; code?: unknown };
  if (typeof e.errno === 'number' && e.errno !== 0) return Math.abs(e.errno);
  if (typeof e.code === 'string') {
    const n = (osConstants.errno as Record<string, number | undefined>)[e.code];
    if (n !== undefined) return n;
  }
  return null;
}

/** The reason part of an error message: strerror for system errors, the message otherwise. */
export function reasonOf(err: unknown): string {
  const errno = errnoOf(err);
  if (errno !== null) return strerror(errno);
  return err instanceof Error ? err.message : String(err);
}

// accept4() flags (Linux): the new socket is non-blocking (libuv expects it) and close-on-exec
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const EINTR = 4;

/**
 * Accepts every connection waiting in a listening socket's queue, without blocking, and
 * returns their fds. Used just before a listening socket is closed (soft stop, pause):
 * what the kernel already queued would otherwise be reset. Returns [] where the FFI or
 * accept4() is not available.
 */
export function acceptPending(listenFd: number, max = 4096): number[] {
  if (process.platform !== 'linux') return [];
  let l: Libc;
  try {
    l = load();
  } catch {
    return [];
  }
  const fds: number[] = [];
  while (fds.length < max) {
    const fd = l.accept4(listenFd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      fds.push(fd);
      continue;
    }
    // EINTR: try again; EAGAIN: the queue is empty; anything else: nothing more to take
    if (l.errno() !== EINTR) break;
  }
  return fds;
}

/** An IP listening address, as a listener binds it. */
export interface InetListenSpec {
  family: 'ipv4' | 'ipv6';
  /** A numeric address ('' = any). */
  host: string;
  port: number;
  backlog: number;
  reusePort: boolean;
  /** IPV6_V6ONLY; undefined = the system's default. */
  ipv6Only?: boolean;
}

// Linux socket constants (x86, arm and the other common architectures)
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_REUSEPORT = 15;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const EADDRINUSE = 98;

function sockaddrOf(l: Libc, spec: InetListenSpec): Buffer | null {
  const v6 = spec.family === 'ipv6';
  const addr = Buffer.alloc(v6 ? 28 : 16);
  if (osEndianness() === 'LE') addr.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0);
  else addr.writeUInt16BE(v6 ? AF_INET6 : AF_INET, 0);
  addr.writeUInt16BE(spec.port, 2);
  const host = spec.host === '' ? (v6 ? '::' : '0.0.0.0') : spec.host;
  // a scoped address (fe80::1%eth0) is left to the usual bind
  if (host.includes('%')) return null;
  const dst = addr.subarray(v6 ? 8 : 4, v6 ? 24 : 8);
  return l.inet_pton(v6 ? AF_INET6 : AF_INET, host, dst) === 1 ? addr : null;
}

/**
 * Binds and listens on an IP address as soon as it is free: bind() is tried back to back,
 * yielding the CPU between tries, until `deadline` (a `performance.now()` time). Used right
 * after old processes were asked to release their ports (SIGTTOU): each ms between their
 * release and our bind is a ms of refused connections, and a bind through the event loop
 * waits for a turn of it. Returns the listening fd (non-blocking, close-on-exec), or -1
 * on timeout, on another error, or where the FFI is missing: the caller then binds the
 * usual way and reports what fails.
 */
export function listenWhenFree(spec: InetListenSpec, deadline: number): number {
  if (process.platform !== 'linux') return -1;
  let l: Libc;
  try {
    l = load();
  } catch {
    return -1;
  }
  const addr = sockaddrOf(l, spec);
  if (addr === null) return -1;
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const fd = l.socket(
    spec.family === 'ipv6' ? AF_INET6 : AF_INET,
    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
    0,
  );
  if (fd < 0) return -1;
  let ok = l.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) === 0;
  if (ok && spec.reusePort) ok = l.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, one, 4) === 0;
  if (ok && spec.family === 'ipv6' && spec.ipv6Only !== undefined) {
    const flag = Buffer.alloc(4);
    flag.writeInt32LE(spec.ipv6Only ? 1 : 0);
    ok = l.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, flag, 4) === 0;
  }
  while (ok) {
    if (l.bind(fd, addr, addr.length) === 0) {
      if (l.listen(fd, spec.backlog) === 0) return fd;
      break;
    }
    if (l.errno() !== EADDRINUSE || performance.now() >= deadline) break;
    l.sched_yield();
  }
  l.close(fd);
  return -1;
}
