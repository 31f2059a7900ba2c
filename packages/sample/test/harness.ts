// Helpers of the differential test: raw HTTP exchanges over TCP (any bytes, any header
// case, several occurrences), the environment @hap/sample would get for the same request,
// configuration quoting, and a small parser of `if …` conditions.
import { connect, createServer } from 'node:net';
import type { StickFetchContext } from '@hap/stick';
import type {
  ConditionSpec,
  ConditionTerm,
  HttpMessageView,
  SampleEnv,
  SampleValue,
  Userlist,
} from '../src/index.ts';
import { createVarStore } from '../src/index.ts';

/** A raw request: head lines joined with \r\n by `rawRequest`, and a body. */
export interface RawRequest {
  readonly line: string;
  /** [name, value] as written on the wire (value may carry blanks HAProxy trims). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string;
  /** Client address: '127.0.0.1' (default), another 127/8 address, or '::1'. */
  readonly from?: string;
}

export function rawRequest(r: RawRequest): Buffer {
  let head = `${r.line}\r\n`;
  for (const [n, v] of r.headers) head += `${n}:${v}\r\n`;
  head += '\r\n';
  return Buffer.from(head + (r.body ?? ''), 'latin1');
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One exchange on a fresh connection; the body is read as latin1 (one char per byte). */
export function exchange(
  host: string,
  port: number,
  data: Buffer,
  localAddress?: string,
): Promise<RawResponse & { localAddress: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const chunks: Buffer[] = [];
    let local = { address: '', port: 0 };
    const timer = setTimeout(() => s.destroy(new Error('exchange timed out')), 5000);
    s.on('connect', () => {
      local = { address: s.localAddress ?? '', port: s.localPort ?? 0 };
      s.write(data);
    });
    let done = false;
    const finish = () => {
      if (done) return;
      const all = Buffer.concat(chunks).toString('latin1');
      const sep = all.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const head = all.slice(0, sep).split('\r\n');
      const status = Number(head[0]?.split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const l of head.slice(1)) {
        const c = l.indexOf(':');
        headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
      }
      const len = Number(headers['content-length'] ?? -1);
      const rest = all.slice(sep + 4);
      if (len >= 0 && rest.length < len) return;
      done = true;
      clearTimeout(timer);
      resolve({
        status,
        headers,
        body: len >= 0 ? rest.slice(0, len) : rest,
        localAddress: local.address,
        localPort: local.port,
      });
      s.destroy();
    };
    // the reply is complete when its Content-Length is there (the connection stays open)
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      finish();
    });
    s.on('end', finish);
    s.on('error', (e) => {
      clearTimeout(timer);
      if (!done) reject(e);
    });
  });
}

/** The message HAProxy's parser makes of a raw head: values without surrounding blanks. */
export function messageOf(
  line: string,
  headers: readonly (readonly [string, string])[],
  body?: string,
): HttpMessageView {
  const parts = line.split(' ');
  const flat: string[] = [];
  for (const [n, v] of headers) flat.push(n, v.replace(/^[ \t]+|[ \t]+$/g, ''));
  const isResponse = parts[0]!.startsWith('HTTP/');
  return {
    method: isResponse ? '' : parts[0]!,
    target: isResponse ? '' : parts[1]!,
    version: isResponse ? parts[0]! : parts[2]!,
    status: isResponse ? Number(parts[1]) : 0,
    headers: flat,
    body: body === undefined || body === '' ? undefined : Buffer.from(body, 'latin1'),
  };
}

/** Userlists the differential configuration declares, by name. */
export const USERLISTS = new Map<string, Userlist>();

export const WORLD = {
  userlist: (n: string) => USERLISTS.get(n),
  serverQueue: (b: string, s: string) => (b === 'r' && s === 's' ? 0 : undefined),
  nbsrv: (b: string) => (b === 'l' ? 0 : b === 'r' ? 1 : undefined),
  beConn: () => undefined,
  queue: (b: string) => (b === 'l' || b === 'r' ? 0 : undefined),
  feConn: () => undefined,
  serverUp: (b: string, s: string) => (b === 'r' && s === 's' ? true : undefined),
};

export function envOf(init: {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  proxy: string;
  server?: string;
  req?: HttpMessageView;
  res?: HttpMessageView;
  vars?: readonly (readonly [string, SampleValue])[];
  stick?: StickFetchContext;
}): SampleEnv {
  const vars = createVarStore(new Map());
  for (const [n, v] of init.vars ?? []) vars.set(n, v);
  return {
    src: init.src,
    srcPort: init.srcPort,
    dst: init.dst,
    dstPort: init.dstPort,
    frontend: init.proxy,
    backend: init.proxy,
    server: init.server,
    req: init.req,
    res: init.res,
    ssl: undefined,
    vars,
    world: WORLD,
    ...(init.stick ? { stick: init.stick } : {}),
  };
}

/** A word for haproxy.cfg: double-quoted, with \ " $ escaped. */
export function cfgWord(s: string): string {
  return `"${s.replace(/[\\"$]/g, '\\$&')}"`;
}

/** `if`/`unless` words → the condition shape (`||`/`or`, `!`, `{ … }`). */
export function parseCondition(words: readonly string[]): ConditionSpec {
  const polarity = words[0] === 'unless' ? 'unless' : 'if';
  const terms: ConditionTerm[][] = [[]];
  for (let i = 1; i < words.length; i++) {
    let w = words[i]!;
    if (w === '||' || w === 'or') {
      terms.push([]);
      continue;
    }
    let negate = false;
    while (w.startsWith('!')) {
      negate = !negate;
      w = w.slice(1);
    }
    if (w === '') w = words[++i]!;
    if (w === '{') {
      const close = words.indexOf('}', i + 1);
      terms[terms.length - 1]!.push({ negate, acl: '', anonymous: words.slice(i + 1, close) });
      i = close;
      continue;
    }
    terms[terms.length - 1]!.push({ negate, acl: w });
  }
  return { polarity, terms: words.length > 1 ? terms : [] };
}

/** Whether this host can listen on ::1. */
export function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '::1', port: 0 }, () => s.close(() => resolve(true)));
  });
}
