// Layer 4 to 6 fetches (HAProxy manual 7.3.3 to 7.3.5): the connection, its TLS facts,
// the names of the proxies the stream went through, and the request buffer in tcp mode.
import { argSpec, NO_ARGS } from '../args.ts';
import type { FetchDef } from '../defs.ts';
import type { SampleEnv } from '../env.ts';
import { ipFromEnv } from '../ip.ts';
import { requestLength } from './http.ts';

/**
 * The server name of a TLS ClientHello at the start of the request buffer (what
 * `req.ssl_sni` reads in tcp mode before any TLS is terminated); undefined otherwise.
 */
export function clientHelloSni(b: Buffer | undefined): string | undefined {
  if (!b || b.length < 5 || b[0] !== 0x16 || b[1]! < 3) return undefined;
  const recLen = b.readUInt16BE(3);
  const end = Math.min(b.length, 5 + recLen);
  let p = 5;
  if (p + 4 > end || b[p] !== 0x01) return undefined;
  p += 4 + 2 + 32; // handshake header, version, random
  if (p + 1 > end) return undefined;
  p += 1 + b[p]!; // session id
  if (p + 2 > end) return undefined;
  p += 2 + b.readUInt16BE(p); // cipher suites
  if (p + 1 > end) return undefined;
  p += 1 + b[p]!; // compression methods
  if (p + 2 > end) return undefined;
  const extEnd = Math.min(end, p + 2 + b.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    p += 4;
    if (p + len > extEnd) return undefined;
    if (type === 0 && len >= 5) {
      // server_name list: one entry of type host_name
      const nameType = b[p + 2];
      const nameLen = b.readUInt16BE(p + 3);
      if (nameType !== 0 || p + 5 + nameLen > p + len) return undefined;
      return b.toString('latin1', p + 5, p + 5 + nameLen);
    }
    p += len;
  }
  return undefined;
}

function backendName(env: SampleEnv): string {
  return env.backend ?? env.frontend;
}

export const L4_FETCHES: readonly FetchDef[] = [
  { name: 'src', args: NO_ARGS, out: 'ipv4', fn: (env) => ipFromEnv(env.src) },
  { name: 'src_port', args: NO_ARGS, out: 'sint', fn: (env) => env.srcPort },
  { name: 'dst', args: NO_ARGS, out: 'ipv4', fn: (env) => ipFromEnv(env.dst) },
  { name: 'dst_port', args: NO_ARGS, out: 'sint', fn: (env) => env.dstPort },
  { name: 'fc_src', args: NO_ARGS, out: 'ipv4', fn: (env) => ipFromEnv(env.src) },
  { name: 'fc_src_port', args: NO_ARGS, out: 'sint', fn: (env) => env.srcPort },
  { name: 'fc_dst', args: NO_ARGS, out: 'ipv4', fn: (env) => ipFromEnv(env.dst) },
  { name: 'fc_dst_port', args: NO_ARGS, out: 'sint', fn: (env) => env.dstPort },
  { name: 'fe_name', args: NO_ARGS, out: 'str', fn: (env) => env.frontend },
  // the stream's backend is its frontend until a switching rule picks one
  { name: 'be_name', args: NO_ARGS, out: 'str', fn: backendName },
  { name: 'srv_name', args: NO_ARGS, out: 'str', fn: (env) => env.server },
  { name: 'ssl_fc', args: NO_ARGS, out: 'bool', fn: (env) => env.ssl !== undefined },
  { name: 'ssl_fc_sni', args: NO_ARGS, out: 'str', fn: (env) => env.ssl?.sni },
  { name: 'ssl_fc_has_sni', args: NO_ARGS, out: 'bool', fn: (env) => env.ssl?.sni !== undefined },
  { name: 'req.len', args: NO_ARGS, out: 'sint', fn: requestLength },
  { name: 'req_len', args: NO_ARGS, out: 'sint', fn: requestLength },
  { name: 'req.ssl_sni', args: NO_ARGS, out: 'str', fn: (env) => clientHelloSni(env.payload) },
  { name: 'req_ssl_sni', args: NO_ARGS, out: 'str', fn: (env) => clientHelloSni(env.payload) },
  {
    name: 'req.payload',
    args: argSpec(2, 'sint', 'sint'),
    out: 'bin',
    fn: (env, args) => {
      const b = env.payload;
      if (!b) return undefined;
      const off = args[0] as number;
      const len = args[1] as number;
      if (len === 0) return off <= b.length ? b.subarray(off) : undefined;
      return off + len <= b.length ? b.subarray(off, off + len) : undefined;
    },
  },
  // every rule here runs on a complete message: the inspection period is always over
  { name: 'wait_end', args: NO_ARGS, out: 'bool', fn: () => true },
];

export { backendName };
