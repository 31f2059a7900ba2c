// Facts of the stream and its transaction (HAProxy manual 7.3.3 and 7.3.6): the captured
// headers and request line, whether the request is the connection's first, the HTTP version
// of the client connection, and whether the addresses are the system's own.
import { networkInterfaces } from 'node:os';
import { argSpec, NO_ARGS } from '../args.ts';
import type { FetchDef } from '../defs.ts';
import type { SampleEnv } from '../env.ts';

/** Slot `idx` of the request or response captures; nothing outside the declared ones. */
function capturedHeader(side: 'req' | 'res') {
  return (env: SampleEnv, args: readonly unknown[]) => {
    const slots = env.captures?.[side];
    const idx = args[0] as number;
    if (slots === undefined || idx < 0 || idx >= slots.length) return undefined;
    return slots[idx];
  };
}

/** The version's major digit ('HTTP/2.0' → 2). */
function major(version: string | undefined): number | undefined {
  if (version === undefined) return undefined;
  const d = version.charCodeAt(5) - 48;
  return d >= 0 && d <= 9 ? d : undefined;
}

/** The URI of the request line (HAProxy cuts it at the first space, as its capture does). */
function uriOf(env: SampleEnv): string | undefined {
  const t = env.reqLine?.target;
  return t === undefined || t === '' ? undefined : t;
}

/**
 * Whether `addr` is one of the system's addresses (what binding to it would accept): an
 * interface's address, or any of 127.0.0.0/8, which Linux routes locally whole.
 */
export function isLocalAddress(addr: string): boolean {
  let a = addr;
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  if (a.startsWith('127.')) return true;
  const ifs = networkInterfaces();
  for (const name in ifs) {
    for (const i of ifs[name] ?? []) if (i.address === a) return true;
  }
  return false;
}

export const STREAM_FETCHES: readonly FetchDef[] = [
  { name: 'capture.req.hdr', args: argSpec(1, 'sint'), out: 'str', fn: capturedHeader('req') },
  { name: 'capture.res.hdr', args: argSpec(1, 'sint'), out: 'str', fn: capturedHeader('res') },
  { name: 'capture.req.method', args: NO_ARGS, out: 'meth', fn: (env) => env.reqLine?.method },
  { name: 'capture.req.uri', args: NO_ARGS, out: 'str', fn: uriOf },
  { name: 'capture.req.ver', args: NO_ARGS, out: 'str', fn: (env) => env.reqLine?.version },
  {
    name: 'capture.res.ver',
    args: NO_ARGS,
    out: 'str',
    fn: (env) => (env.res !== undefined && env.res.version !== '' ? env.res.version : undefined),
  },
  { name: 'http_first_req', args: NO_ARGS, out: 'bool', fn: (env) => env.firstRequest },
  { name: 'fc_http_major', args: NO_ARGS, out: 'sint', fn: (env) => major(env.reqLine?.version) },
  { name: 'so_id', args: NO_ARGS, out: 'sint', fn: (env) => env.listener?.id },
  {
    name: 'so_name',
    args: NO_ARGS,
    out: 'str',
    fn: (env) => (env.listener !== undefined && env.listener.name !== '' ? env.listener.name : undefined),
  },
  { name: 'dst_conn', args: NO_ARGS, out: 'sint', fn: (env) => env.listener?.currentConns },
  { name: 'src_is_local', args: NO_ARGS, out: 'bool', fn: (env) => isLocalAddress(env.src) },
  { name: 'dst_is_local', args: NO_ARGS, out: 'bool', fn: (env) => isLocalAddress(env.dst) },
  // haproxyd keeps the addresses after the PROXY header only: the connection's are those
  { name: 'fc_src_is_local', args: NO_ARGS, out: 'bool', fn: (env) => isLocalAddress(env.src) },
  { name: 'fc_dst_is_local', args: NO_ARGS, out: 'bool', fn: (env) => isLocalAddress(env.dst) },
];
