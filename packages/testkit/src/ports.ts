// Free ports from the kernel, and readiness probes for listening ports.
import { readFileSync } from 'node:fs';
import { createConnection, createServer, isIPv6 } from 'node:net';

const handedOut = new Set<string>();

function listenOnZero(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A port the kernel considers free on `host` (listen on port 0, then close). Never
 * returns the same port twice in one process.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnZero(host);
    const key = `${host}|${port}`;
    if (port > 0 && !handedOut.has(key)) {
      handedOut.add(key);
      return port;
    }
  }
  throw new Error(`testkit: could not find a free port on ${host}`);
}

/** `n` distinct free ports on `host`. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort(host));
  return ports;
}

/** Whether a TCP connection to host:port succeeds (the connection is closed at once). */
export function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const LISTEN = '0A';

/**
 * The set of local TCP ports in LISTEN state according to /proc/net/tcp{,6}, or null
 * when /proc is not available (not Linux).
 */
export function listeningPorts(): Set<number> | null {
  const ports = new Set<number>();
  let found = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    found = true;
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== LISTEN) continue;
      const hex = local.slice(local.lastIndexOf(':') + 1);
      ports.add(Number.parseInt(hex, 16));
    }
  }
  return found ? ports : null;
}

export type ReadyCheck = 'listen' | 'connect';

/** Whether every port is ready: in LISTEN state ('listen') or accepting a connection ('connect'). */
export async function portsReady(host: string, ports: readonly number[], how: ReadyCheck): Promise<boolean> {
  if (how === 'listen') {
    const listening = listeningPorts();
    if (listening) return ports.every((p) => listening.has(p));
  }
  for (const port of ports) if (!(await canConnect(host, port))) return false;
  return true;
}

/** `host:port`, with IPv6 addresses bracketed. */
export function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
