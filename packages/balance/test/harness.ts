// Small local helpers for the differential tests: an HTTP client that can choose its
// source address, HAProxy's runtime API over its unix socket, and the translation of a
// scenario into both a haproxy.cfg section and a balancer.
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Balancer, BalanceServer, PickKey } from '../src/index.ts';

/** One request of a scenario. */
export interface Req {
  path?: string;
  /** Header names in lower case. `host` defaults to 127.0.0.1:<port>. */
  headers?: Record<string, string>;
  /** Source address (any 127.0.0.0/8 address works on Linux loopback). */
  from?: string;
  /** Default GET. */
  method?: string;
  body?: string;
}

/** A request with `Connection: close` and no agent, so that each one is balanced on its own; resolves with the body. */
export function get(port: number, req: Req): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'close', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body, 'latin1'));
    const r = request(
      {
        host: '127.0.0.1',
        port,
        path: req.path ?? '/',
        method: req.method ?? 'GET',
        headers,
        agent: false,
        ...(req.from !== undefined ? { localAddress: req.from } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('latin1');
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${body}`));
          else resolve(body);
        });
        res.on('error', reject);
      },
    );
    r.setTimeout(10_000, () => r.destroy(new Error('request timed out')));
    r.on('error', reject);
    r.end(req.body === undefined ? undefined : Buffer.from(req.body, 'latin1'));
  });
}

/** One command on HAProxy's stats socket; resolves with the whole answer. */
export function cli(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const chunks: Buffer[] = [];
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('error', reject);
    sock.setTimeout(10_000, () => sock.destroy(new Error(`cli '${command}' timed out`)));
  });
}

/** Waits until HAProxy reports no request in progress on any server of `backend` (show stat: scur). */
export async function settle(socketPath: string, backend: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const csv = await cli(socketPath, 'show stat');
    const lines = csv.split('\n').filter((l) => l.startsWith(`${backend},`));
    const busy = lines.some((l) => {
      const f = l.split(',');
      return f[1] !== 'FRONTEND' && f[1] !== 'BACKEND' && Number(f[4]) > 0;
    });
    if (!busy) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`backend ${backend} still has requests in progress`);
}

/** The key our balancer gets for a request HAProxy sees as `req` on `port`. */
export function keyOf(port: number, req: Req): PickKey {
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...req.headers };
  return {
    uri: req.path ?? '/',
    clientIp: req.from ?? '127.0.0.1',
    method: req.method ?? 'GET',
    ...(req.body !== undefined ? { body: req.body } : {}),
    header: (name) => headers[name.toLowerCase()],
  };
}

/** A server of a scenario, written once for both sides. */
export interface ServerSpec {
  name: string;
  weight?: number;
  backup?: boolean;
  /** Starts in maintenance (`disabled`). */
  disabled?: boolean;
  id?: number;
  /** ms; written as seconds in the config. */
  slowstart?: number;
}

export type Step =
  | { send: Req[] }
  /** A runtime API command (`set server <section>/<server> ...`) and the same change on our side. */
  | { cli: string; apply: (b: Balancer, servers: Record<string, BalanceServer>) => void };

export interface Scenario {
  /** The `listen` section's name. */
  name: string;
  /** What follows `balance`, e.g. `uri whole`. */
  balance: string;
  /** Other lines of the section (`hash-type consistent`, `option allbackups`). */
  lines?: string[];
  options?: {
    hashType?: 'map-based' | 'consistent';
    hashFunction?: 'sdbm' | 'djb2' | 'wt6' | 'crc32';
    avalanche?: boolean;
    allBackups?: boolean;
  };
  servers: ServerSpec[];
  steps: Step[];
  /** Wait for HAProxy to release each request before the next (leastconn). */
  settle?: boolean;
  /** More of the key than `keyOf` gives (e.g. `hashKey` for `balance hash`). */
  key?: (req: Req) => PickKey;
}

/** The `listen` section of a scenario. */
export function section(sc: Scenario, port: number, addrs: Record<string, string>): string {
  const lines = [`listen ${sc.name}`, `  bind 127.0.0.1:${port}`, `  balance ${sc.balance}`];
  for (const l of sc.lines ?? []) lines.push(`  ${l}`);
  for (const s of sc.servers) {
    let line = `  server ${s.name} ${addrs[s.name]}`;
    if (s.weight !== undefined) line += ` weight ${s.weight}`;
    if (s.backup) line += ' backup';
    if (s.disabled) line += ' disabled';
    if (s.id !== undefined) line += ` id ${s.id}`;
    if (s.slowstart !== undefined) line += ` slowstart ${s.slowstart / 1000}s`;
    lines.push(line);
  }
  return lines.join('\n');
}

/** Our servers for a scenario. */
export function serversOf(sc: Scenario): BalanceServer[] {
  return sc.servers.map((s) => {
    const v: BalanceServer = {
      name: s.name,
      weight: s.weight ?? 1,
      backup: s.backup ?? false,
      state: s.disabled ? 'maint' : 'up',
      served: 0,
      maxconn: 0,
      slowstart: s.slowstart ?? 0,
    };
    if (s.id !== undefined) v.id = s.id;
    return v;
  });
}
