// HAProxy's `_getsocks` (its `-x <socket>` and `stats socket ... expose-fd listeners`): a new
// process connects to the old one's stats socket, sends `_getsocks\n`, and receives the old
// process's listening sockets as file descriptors (SCM_RIGHTS), so it binds nothing itself and
// no listening socket is ever closed: the accept queue lives on in the new process.
//
// On the wire (version of HAProxy 2.x, the one Linux's haproxy speaks):
//   1. the sender writes the number of descriptors as a native int (4 bytes);
//   2. then one message per batch of at most 253 descriptors: the descriptors as SCM_RIGHTS
//      ancillary data, and for each one `<ns len:u8><ns><if len:u8><if><4 zero bytes>` as data;
//      after each full batch it waits for the receiver's 4-byte acknowledgement.
// Node has no sendmsg/recvmsg on stream sockets: both go through koffi (Linux, 64-bit
// layouts of msghdr, iovec and cmsghdr). This is Linux-only, like the rest of the FFI here.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { DaemonError } from './errors.ts';
import { strerror } from './sys.ts';

interface Calls {
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number | bigint;
  recv(fd: number, buf: Buffer, len: number, flags: number): number | bigint;
  sendmsg(fd: number, msg: Buffer, flags: number): number | bigint;
  recvmsg(fd: number, msg: Buffer, flags: number): number | bigint;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  getsockname(fd: number, addr: Buffer, len: number[]): number;
  close(fd: number): number;
  errno(): number;
  address(b: Buffer): bigint;
}

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const SO_RCVTIMEO = 20;
const MSG_WAITALL = 0x100;
const EINTR = 4;
/** Descriptors per message (HAProxy's MAX_SEND_FD). */
const MAX_SEND_FD = 253;
/** Data per descriptor: empty namespace and interface names, then 4 zero bytes. */
const PER_FD = 6;

let calls: Calls | null = null;

function load(): Calls {
  if (calls !== null) return calls;
  if (process.platform !== 'linux' || !process.arch.endsWith('64')) {
    throw new DaemonError(
      'HAP_ERR_SYSCALL_UNAVAILABLE',
      `passing listening sockets between processes is not supported on ${process.platform}/${process.arch}`,
    );
  }
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const lib = koffi.load(null);
    calls = {
      socket: lib.func('int socket(int, int, int)') as Calls['socket'],
      connect: lib.func('int connect(int, const void *, uint32_t)') as Calls['connect'],
      send: lib.func('intptr_t send(int, const void *, uintptr_t, int)') as Calls['send'],
      recv: lib.func('intptr_t recv(int, _Out_ void *, uintptr_t, int)') as Calls['recv'],
      sendmsg: lib.func('intptr_t sendmsg(int, void *, int)') as Calls['sendmsg'],
      recvmsg: lib.func('intptr_t recvmsg(int, void *, int)') as Calls['recvmsg'],
      setsockopt: lib.func('int setsockopt(int, int, int, const void *, uint32_t)') as Calls['setsockopt'],
      getsockname: lib.func('int getsockname(int, _Out_ void *, _Inout_ uint32_t *)') as Calls['getsockname'],
      close: lib.func('int close(int)') as Calls['close'],
      errno: () => koffi.errno(),
      address: (b) => koffi.address(b),
    };
    return calls;
  } catch (err) {
    throw new DaemonError(
      'HAP_ERR_SYSCALL_UNAVAILABLE',
      `system calls through koffi are unavailable on ${process.platform}/${process.arch}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function sysFail(syscall: string): DaemonError {
  const errno = load().errno();
  return new DaemonError('HAP_ERR_SYSCALL', `${syscall}: ${strerror(errno)}`, { errno, syscall });
}

/**
 * A msghdr over `data` (one iovec) and `control`. The returned object keeps every buffer the
 * kernel reads or writes alive for as long as it is used.
 */
function msghdr(data: Buffer, control: Buffer | null) {
  const c = load();
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(c.address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const msg = Buffer.alloc(56);
  msg.writeBigUInt64LE(c.address(iov), 16);
  msg.writeBigUInt64LE(1n, 24);
  if (control !== null) {
    msg.writeBigUInt64LE(c.address(control), 32);
    msg.writeBigUInt64LE(BigInt(control.length), 40);
  }
  return { msg, iov, data, control };
}

const align8 = (n: number) => (n + 7) & ~7;

function retry(call: () => number | bigint): number {
  for (;;) {
    const n = Number(call());
    if (n >= 0 || load().errno() !== EINTR) return n;
  }
}

const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;

/**
 * The receiver's 4-byte acknowledgement after a full batch, waited for without returning to
 * the event loop (so nothing else reads it first): at most 1 s, HAProxy's receive timeout.
 */
function waitAck(connFd: number): boolean {
  const c = load();
  const buf = Buffer.alloc(4);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let got = 0;
  for (let waited = 0; waited < 1000; ) {
    const n = Number(c.recv(connFd, buf.subarray(got), 4 - got, MSG_DONTWAIT));
    if (n > 0) {
      got += n;
      if (got === 4) return true;
      continue;
    }
    if (n === 0) return false;
    const errno = c.errno();
    if (errno === EINTR) continue;
    if (errno !== EAGAIN) return false;
    Atomics.wait(pause, 0, 0, 1);
    waited++;
  }
  return false;
}

/**
 * Sender side, on the connected socket `connFd` of a `_getsocks` request: the count, then the
 * descriptors, 253 per message, waiting for the receiver's acknowledgement after each full
 * batch. The socket must be idle (nothing else reads or writes it meanwhile); this blocks
 * the caller for at most 1 s per batch.
 */
export function sendListeningFds(connFd: number, fds: readonly number[]): void {
  const c = load();
  const count = Buffer.alloc(4);
  count.writeInt32LE(fds.length, 0);
  const first = msghdr(count, null);
  if (retry(() => c.sendmsg(connFd, first.msg, 0)) !== 4) throw sysFail('sendmsg');
  for (let at = 0; at < fds.length; at += MAX_SEND_FD) {
    const batch = fds.slice(at, at + MAX_SEND_FD);
    const data = Buffer.alloc(batch.length * PER_FD);
    const control = Buffer.alloc(16 + align8(4 * batch.length));
    control.writeBigUInt64LE(BigInt(16 + 4 * batch.length), 0);
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    for (let i = 0; i < batch.length; i++) control.writeInt32LE(batch[i]!, 16 + 4 * i);
    const m = msghdr(data, control);
    if (retry(() => c.sendmsg(connFd, m.msg, 0)) !== data.length) throw sysFail('sendmsg');
    if (batch.length === MAX_SEND_FD && at + MAX_SEND_FD < fds.length && !waitAck(connFd))
      throw new DaemonError('HAP_ERR_SYSCALL', 'Unexpected error while transferring sockets');
  }
}

/** One received listening socket: its descriptor in this process and the address it is bound to. */
export interface ReceivedSocket {
  readonly fd: number;
  /** `ipv4`, `ipv6` or `unix` (others: `other`). */
  readonly family: 'ipv4' | 'ipv6' | 'unix' | 'other';
  /** The listener key form: `127.0.0.1:80`, `[::1]:80`, `unix@/path`. */
  readonly key: string;
}

function sockaddrUn(path: string): Buffer {
  const name = Buffer.from(path);
  if (name.length > 107) throw new DaemonError('HAP_ERR_INVALID_ARG', `socket path too long: ${path}`);
  const b = Buffer.alloc(2 + name.length + 1);
  b.writeUInt16LE(AF_UNIX, 0);
  name.copy(b, 2);
  return b;
}

function ipv6Text(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(i * 2));
  // the longest run of zero groups becomes `::` (RFC 5952)
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/** Where a socket is bound, as a listener key. */
export function boundKey(fd: number): Pick<ReceivedSocket, 'family' | 'key'> {
  const c = load();
  const buf = Buffer.alloc(128);
  const len = [buf.length];
  if (c.getsockname(fd, buf, len) !== 0) return { family: 'other', key: `fd@${fd}` };
  const family = buf.readUInt16LE(0);
  if (family === AF_INET) {
    const port = buf.readUInt16BE(2);
    return { family: 'ipv4', key: `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}:${port}` };
  }
  if (family === AF_INET6) {
    const port = buf.readUInt16BE(2);
    return { family: 'ipv6', key: `[${ipv6Text(buf.subarray(8, 24))}]:${port}` };
  }
  if (family === AF_UNIX) {
    const end = buf.indexOf(0, 2);
    const path = buf.subarray(2, end < 0 || end > (len[0] ?? 0) ? (len[0] ?? 2) : end).toString();
    return { family: 'unix', key: `unix@${path}` };
  }
  return { family: 'other', key: `fd@${fd}` };
}

/** Closes a descriptor received and not used. */
export function closeReceived(fd: number): void {
  load().close(fd);
}

/**
 * Receiver side (`-x <socket>`): asks the process behind the unix stats socket `path` for its
 * listening sockets. Blocking, bounded by a 1 s receive timeout per read (HAProxy's). Throws a
 * DaemonError whose message is HAProxy's warning for the step that failed.
 */
export function fetchListeningFds(path: string): ReceivedSocket[] {
  const c = load();
  const sock = c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    throw new DaemonError('HAP_ERR_SYSCALL', `Failed to connect to the old process socket '${path}'`);
  const received: number[] = [];
  try {
    const addr = sockaddrUn(path);
    if (retry(() => c.connect(sock, addr, addr.length)) !== 0)
      throw new DaemonError('HAP_ERR_SYSCALL', `Failed to connect to the old process socket '${path}'`);
    const tv = Buffer.alloc(16);
    tv.writeBigInt64LE(1n, 0);
    c.setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
    const cmd = Buffer.from('_getsocks\n');
    const noCount = () =>
      new DaemonError('HAP_ERR_SYSCALL', 'Failed to get the number of sockets to be transferred !');
    if (retry(() => c.send(sock, cmd, cmd.length, 0)) !== cmd.length) throw noCount();
    const countBuf = Buffer.alloc(4);
    const cm = msghdr(countBuf, null);
    if (retry(() => c.recvmsg(sock, cm.msg, MSG_WAITALL)) !== 4) throw noCount();
    const expected = countBuf.readInt32LE(0);
    if (expected <= 0) return [];
    const ack = Buffer.alloc(4);
    while (received.length < expected) {
      const data = Buffer.alloc(MAX_SEND_FD * (1 + 4096 + 1 + 16 + 4));
      const control = Buffer.alloc(16 + align8(4 * MAX_SEND_FD));
      const m = msghdr(data, control);
      // 0: the sender closed; -1: an error or the 1 s receive timeout (EAGAIN)
      const n = retry(() => c.recvmsg(sock, m.msg, 0));
      if (n <= 0) break;
      // acknowledge each message, as HAProxy's receiver does (the sender waits after full batches)
      retry(() => c.send(sock, ack, 4, 0x4000 /* MSG_NOSIGNAL */));
      const controlLen = Number(m.msg.readBigUInt64LE(40));
      for (let off = 0; off + 16 <= controlLen; ) {
        const len = Number(control.readBigUInt64LE(off));
        if (len < 16) break;
        const level = control.readInt32LE(off + 8);
        const type = control.readInt32LE(off + 12);
        if (level === SOL_SOCKET && type === SCM_RIGHTS) {
          for (let p = off + 16; p + 4 <= off + len; p += 4) received.push(control.readInt32LE(p));
        }
        off += align8(len);
      }
      if (received.length > expected) throw new DaemonError('HAP_ERR_SYSCALL', 'Got to many sockets !');
    }
    if (received.length !== expected)
      throw new DaemonError(
        'HAP_ERR_SYSCALL',
        `We didn't get the expected number of sockets (expecting ${expected} got ${received.length})`,
      );
    const out = received.map((fd) => ({ fd, ...boundKey(fd) }));
    received.length = 0;
    return out;
  } finally {
    for (const fd of received) c.close(fd);
    c.close(sock);
  }
}
