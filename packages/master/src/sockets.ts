// The master's listening sockets: created once with plain system calls (no libuv handle,
// so the master itself never accepts), kept for the master's whole life, handed to every
// worker as inherited file descriptors. A reload binds only the new addresses and closes
// only the removed ones: an address present before and after keeps its socket, so its
// accept queue is never closed and no client is refused.
import { lookup } from 'node:dns/promises';
import { chmodSync, chownSync, lstatSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  bindTo,
  boundPort,
  closeFd,
  listenOn,
  openSocket,
  SOCK_STREAM,
  SysError,
  setReuseAddr,
  setReusePort,
  setV6Only,
  sockaddrIn,
  sockaddrIn6,
  sockaddrUn,
  strerror,
} from './sys.ts';

/** What to listen on: one worker listener (see @hap/listeners' Listener). */
export interface ListenSpec {
  /** The worker's listener key, e.g. `127.0.0.1:8080`, `[::]:443`, `unix@/run/x.sock`, `fd@3`. */
  key: string;
  family: 'ipv4' | 'ipv6' | 'unix' | 'abns' | 'fd';
  /** IP address or host name ('' = any), unix path, abstract name, or fd number as text. */
  host: string;
  /** TCP port (0 = any free port); 0 for other families. */
  port: number;
  backlog: number;
  /** SO_REUSEPORT (HAProxy's default; `noreuseport` / `-dR` turn it off). */
  reusePort: boolean;
  /** IPV6_V6ONLY for ipv6. */
  ipv6Only: boolean;
  /** Unix socket: permissions (-1 = as created), owner and group (name or id, -1 = unchanged). */
  mode?: number;
  user?: string | number;
  group?: string | number;
  /** How alerts name it, e.g. ` [haproxy.cfg:12] for frontend www` (HAProxy's "Binding<where>: ..."). */
  where?: string;
}

/** A bind that failed: HAProxy's wording in `message` (`cannot bind socket (...) for [...]`). */
export interface BindFailure {
  spec: ListenSpec;
  /** errno name, e.g. EADDRINUSE ('' when not a system call) */
  code: string;
  message: string;
  /** EADDRINUSE: another process holds the address, a retry may succeed */
  retryable: boolean;
}

export interface BoundSocket {
  readonly spec: ListenSpec;
  readonly fd: number;
  /** The port actually bound (differs from spec.port for port 0). */
  readonly port: number;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  13: 'EACCES',
  22: 'EINVAL',
  36: 'ENAMETOOLONG',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  97: 'EAFNOSUPPORT',
};

function failure(spec: ListenSpec, err: unknown, what: string): BindFailure {
  const errno = err instanceof SysError ? err.errno : 0;
  const reason = err instanceof SysError ? strerror(err.errno) : (err as Error).message;
  const code = ERRNO_NAMES[errno] ?? (errno > 0 ? `errno ${errno}` : '');
  return { spec, code, message: `${what.replace('%s', reason)}`, retryable: errno === 98 };
}

function inetWhere(spec: ListenSpec): string {
  const host = spec.host === '' ? (spec.family === 'ipv4' ? '0.0.0.0' : '::') : spec.host;
  return `[${host}:${spec.port}]`;
}

/** Unix socket owners and groups, as /etc/passwd and /etc/group say (files only). */
function accountId(file: string, name: string | number | undefined): number {
  if (name === undefined) return -1;
  if (typeof name === 'number') return name;
  if (/^\d+$/.test(name)) return Number(name);
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2] !== undefined) return Number(f[2]);
    }
  } catch {
    // no such file: unknown
  }
  return -2;
}

async function bindInet(spec: ListenSpec): Promise<BoundSocket> {
  let ip = spec.host === '' ? (spec.family === 'ipv4' ? '0.0.0.0' : '::') : spec.host;
  if (isIP(ip) === 0) ip = (await lookup(ip, { family: spec.family === 'ipv4' ? 4 : 6 })).address;
  const v6 = spec.family === 'ipv6';
  const fd = openSocket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM);
  try {
    setReuseAddr(fd);
    if (spec.reusePort) setReusePort(fd);
    if (v6) setV6Only(fd, spec.ipv6Only);
    bindTo(fd, v6 ? sockaddrIn6(ip, spec.port) : sockaddrIn(ip, spec.port));
    listenOn(fd, spec.backlog);
    return { spec, fd, port: boundPort(fd) };
  } catch (err) {
    closeFd(fd);
    throw err;
  }
}

function bindAbns(spec: ListenSpec): BoundSocket {
  const fd = openSocket(AF_UNIX, SOCK_STREAM);
  try {
    bindTo(fd, sockaddrUn(spec.host, true));
    listenOn(fd, spec.backlog);
    return { spec, fd, port: 0 };
  } catch (err) {
    closeFd(fd);
    throw err;
  }
}

function isSocketOrAbsent(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return true;
  }
}

/** HAProxy's way for a unix path: bind `<path>.<pid>.tmp`, set owner and mode, rename over `<path>`. */
function bindUnix(spec: ListenSpec): BoundSocket {
  const path = spec.host;
  const temp = `${path}.${process.pid}.tmp`;
  if (!isSocketOrAbsent(path)) throw new Error(`'${path}' exists and is not a socket`);
  try {
    unlinkSync(temp);
  } catch {
    // not there
  }
  const fd = openSocket(AF_UNIX, SOCK_STREAM);
  try {
    bindTo(fd, sockaddrUn(temp));
    listenOn(fd, spec.backlog);
    const uid = accountId('/etc/passwd', spec.user);
    const gid = accountId('/etc/group', spec.group);
    if (uid === -2) throw new Error(`unknown user '${String(spec.user)}'`);
    if (gid === -2) throw new Error(`unknown group '${String(spec.group)}'`);
    if (uid !== -1 || gid !== -1) chownSync(temp, uid, gid);
    if (spec.mode !== undefined && spec.mode > 0) chmodSync(temp, spec.mode);
    renameSync(temp, path);
    return { spec, fd, port: 0 };
  } catch (err) {
    closeFd(fd);
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw err;
  }
}

/** Binds one listening socket the way the worker's listener would have. Throws a BindFailure. */
export async function bindListenSocket(spec: ListenSpec): Promise<BoundSocket> {
  try {
    switch (spec.family) {
      case 'ipv4':
      case 'ipv6':
        return await bindInet(spec);
      case 'abns':
        return bindAbns(spec);
      case 'unix':
        return bindUnix(spec);
      case 'fd':
        // inherited by the master from its own parent: passed on as it is
        return { spec, fd: Number(spec.host), port: 0 };
    }
  } catch (err) {
    const inet = spec.family === 'ipv4' || spec.family === 'ipv6';
    const where = inet ? ` for ${inetWhere(spec)}` : ` [${spec.key}]`;
    const what = inet ? 'cannot bind socket (%s)' : 'cannot bind UNIX socket (%s)';
    throw failure(spec, err, `${what}${where}`);
  }
}

/** The result of `ListenSockets.update()`. */
export interface UpdateResult {
  /** keys bound by this call */
  added: string[];
  /** every bind that failed; when not empty, nothing was added (the new sockets were closed) */
  failed: BindFailure[];
}

/** The set of sockets the master holds, by listener key. */
export class ListenSockets {
  private readonly bound = new Map<string, BoundSocket>();

  get size(): number {
    return this.bound.size;
  }

  get(key: string): BoundSocket | undefined {
    return this.bound.get(key);
  }

  keys(): string[] {
    return [...this.bound.keys()];
  }

  /** key → fd in this process, for the keys asked (all when omitted), for spawning a worker. */
  fds(keys?: Iterable<string>): Map<string, number> {
    const out = new Map<string, number>();
    for (const key of keys ?? this.bound.keys()) {
      const b = this.bound.get(key);
      if (b !== undefined) out.set(key, b.fd);
    }
    return out;
  }

  /**
   * Binds every spec whose key is not held yet (all or nothing: on any failure the sockets
   * bound by this call are closed again). Held keys are left as they are.
   */
  async update(specs: readonly ListenSpec[]): Promise<UpdateResult> {
    const added: BoundSocket[] = [];
    const failed: BindFailure[] = [];
    const seen = new Set<string>();
    for (const spec of specs) {
      if (this.bound.has(spec.key) || seen.has(spec.key)) continue;
      seen.add(spec.key);
      try {
        added.push(await bindListenSocket(spec));
      } catch (err) {
        failed.push(err as BindFailure);
      }
    }
    if (failed.length > 0) {
      for (const b of added) closeBound(b);
      return { added: [], failed };
    }
    for (const b of added) this.bound.set(b.spec.key, b);
    return { added: added.map((b) => b.spec.key), failed };
  }

  /** Closes the sockets whose key is not in `keep`; returns their keys. */
  closeExcept(keep: ReadonlySet<string>): string[] {
    const closed: string[] = [];
    for (const [key, b] of this.bound) {
      if (keep.has(key)) continue;
      closeBound(b);
      this.bound.delete(key);
      closed.push(key);
    }
    return closed;
  }

  /** Closes `keys` (e.g. the ones a failed reload had added). */
  close(keys: Iterable<string>): void {
    for (const key of keys) {
      const b = this.bound.get(key);
      if (b === undefined) continue;
      closeBound(b);
      this.bound.delete(key);
    }
  }

  closeAll(): void {
    this.close([...this.bound.keys()]);
  }
}

function closeBound(b: BoundSocket): void {
  // an fd@ socket came from our parent: not ours to close before we exit
  if (b.spec.family === 'fd') return;
  closeFd(b.fd);
}
