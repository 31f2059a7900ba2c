/**
 * Handing bound listening sockets to another process (daemon workers, a reloaded
 * process): the parent passes the descriptors as extra stdio entries and their
 * addresses in one environment variable; the child adopts them instead of binding.
 *
 *   HAPROXYD_LISTEN_FDS=127.0.0.1:8080=3;[::]:8443=4;unix@/run/haproxy.sock=5
 *
 * Entries are `key=fd` separated by `;`; in keys, `%`, `;` and `=` are written %25,
 * %3B and %3D. Keys are listener keys (`addressKey`).
 */
import { ListenerError } from './errors.ts';
import { type Listener, socketOfFd } from './listener.ts';

/** The environment variable a child reads its inherited sockets from. */
export const LISTEN_FDS_ENV = 'HAPROXYD_LISTEN_FDS';

/** The listening descriptor of every listener that has one, by listener key. */
export function listeningFds(listeners: readonly Listener[]): Map<string, number> {
  const fds = new Map<string, number>();
  for (const l of listeners) {
    const fd = l.fd;
    if (fd >= 0) fds.set(l.key, fd);
  }
  return fds;
}

function escapeKey(key: string): string {
  return key.replace(/[%;=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function unescapeKey(key: string): string {
  return key.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** `key=fd;key=fd` (see the top of this file). */
export function formatListenFds(fds: ReadonlyMap<string, number>): string {
  const parts: string[] = [];
  for (const [key, fd] of fds) parts.push(`${escapeKey(key)}=${fd}`);
  return parts.join(';');
}

/** The map written by `formatListenFds`. Throws `HAP_ERR_LISTEN_FDS` on a malformed entry. */
export function parseListenFds(text: string): Map<string, number> {
  const fds = new Map<string, number>();
  for (const part of text.split(';')) {
    if (part === '') continue;
    const eq = part.lastIndexOf('=');
    const fdText = eq < 0 ? '' : part.slice(eq + 1);
    if (eq <= 0 || !/^\d+$/.test(fdText)) {
      throw new ListenerError('HAP_ERR_LISTEN_FDS', `${LISTEN_FDS_ENV}: malformed entry '${part}'`);
    }
    fds.set(unescapeKey(part.slice(0, eq)), Number(fdText));
  }
  return fds;
}

/**
 * For spawning a child that inherits the listening sockets: `stdio` lists the parent's
 * descriptors to append after stdin/stdout/stderr (child fds `firstFd`, `firstFd`+1, ...),
 * `env` is the value of HAPROXYD_LISTEN_FDS for the child.
 *
 *   const h = prepareHandover(listeners);
 *   spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', ...h.stdio],
 *                      env: { ...process.env, [LISTEN_FDS_ENV]: h.env } });
 */
export function prepareHandover(
  listeners: readonly Listener[],
  firstFd = 3,
): { stdio: number[]; env: string } {
  const stdio: number[] = [];
  const childFds = new Map<string, number>();
  for (const [key, fd] of listeningFds(listeners)) {
    childFds.set(key, firstFd + stdio.length);
    stdio.push(fd);
  }
  return { stdio, env: formatListenFds(childFds) };
}

/**
 * Child side: each listener whose key is in `fds` will adopt that descriptor at its
 * next bind() instead of creating a socket. Returns how many were matched and the
 * entries no listener wanted (close them, e.g. `fs.closeSync(fd)`, as HAProxy drops
 * unused inherited sockets).
 */
export function adoptFds(
  listeners: readonly Listener[],
  fds: ReadonlyMap<string, number>,
): { adopted: number; unused: Map<string, number> } {
  const unused = new Map(fds);
  let adopted = 0;
  for (const l of listeners) {
    const fd = unused.get(l.key);
    if (fd === undefined || l.state !== 'new') continue;
    l.inheritedFd = fd;
    unused.delete(l.key);
    adopted++;
  }
  return { adopted, unused };
}

/**
 * Parent side: the connections each listener accepted but holds (not served yet), as
 * [listener key, fd] pairs to pass down with the listening sockets, so that the child
 * serves them instead of their being reset when this process closes them.
 */
export function heldConnectionFds(listeners: readonly Listener[]): Array<[string, number]> {
  const pairs: Array<[string, number]> = [];
  for (const l of listeners) for (const fd of l.heldFds) pairs.push([l.key, fd]);
  return pairs;
}

/**
 * Child side: each inherited connection joins its listener's queue (served once the
 * listener accepts). Returns the descriptors no listener wanted (close them).
 */
export function adoptHeldConnections(
  listeners: readonly Listener[],
  pairs: ReadonlyArray<readonly [string, number]>,
): number[] {
  const unused: number[] = [];
  for (const [key, fd] of pairs) {
    const l = listeners.find((x) => x.key === key && x.state !== 'stopped');
    if (l === undefined) unused.push(fd);
    else l.incoming(socketOfFd(fd));
  }
  return unused;
}
