// Layer 4 to 6 fetches (HAProxy manual 7.3.3 to 7.3.5): the connection, its TLS facts,
// the names of the proxies the stream went through, and the request buffer in tcp mode.
import { NO_ARGS } from '../args.ts';
import type { FetchDef } from '../defs.ts';
import type { SampleEnv } from '../env.ts';
import { ipFromEnv } from '../ip.ts';

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
  { name: 'ssl_fc_protocol', args: NO_ARGS, out: 'str', fn: (env) => env.ssl?.protocol },
  { name: 'ssl_fc_cipher', args: NO_ARGS, out: 'str', fn: (env) => env.ssl?.cipher },
  { name: 'ssl_fc_alpn', args: NO_ARGS, out: 'str', fn: (env) => env.ssl?.alpn },
  {
    name: 'ssl_fc_is_resumed',
    args: NO_ARGS,
    out: 'bool',
    fn: (env) => (env.ssl !== undefined ? env.ssl.resumed === true : undefined),
  },
  { name: 'ssl_fc_has_crt', args: NO_ARGS, out: 'bool', fn: (env) => env.ssl?.clientCertUsed === true },
  { name: 'ssl_c_used', args: NO_ARGS, out: 'bool', fn: (env) => env.ssl?.clientCertUsed === true },
  // HAProxy answers 0 ("ok") when no certificate was verified
  {
    name: 'ssl_c_verify',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) => (env.ssl ? (env.ssl.verifyResult ?? 0) : undefined),
  },
];

export { clientHelloSni } from './payload.ts';
export { backendName };
