// Certificate fetches (HAProxy manual 7.3.4): `ssl_c_*` read the client's certificate,
// `ssl_f_*` the one haproxyd presented; and the cipher's key sizes. A fetch on a connection
// without TLS, or without a client certificate, gives no sample.
import { argSpec, NO_ARGS } from '../args.ts';
import type { FetchDef } from '../defs.ts';
import type { CertificateView, SampleEnv } from '../env.ts';
import { SampleError } from '../errors.ts';

type Pick = (env: SampleEnv) => CertificateView | undefined;

const client: Pick = (env) => env.ssl?.clientCertificate;
const front: Pick = (env) => env.ssl?.frontCertificate;

/** `[entry, value]` pairs of a DN in Node's text (one `entry=value` a line), first RDN first. */
function entries(dn: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

/** `ssl_c_s_dn([<entry>[,<occ>[,<format>]]])`: the whole DN (`/C=…/CN=…` or RFC 2253), or one entry's nth value. */
function dnFetch(pick: Pick, part: 'subject' | 'issuer'): FetchDef['fn'] {
  return (env, args) => {
    const cert = pick(env);
    if (cert === undefined) return undefined;
    const dn = entries(cert[part]);
    const entry = typeof args[0] === 'string' ? args[0] : '';
    if (entry === '') {
      if (args[2] === 'rfc2253') {
        return dn
          .reverse()
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
      }
      return dn.map(([k, v]) => `/${k}=${v}`).join('');
    }
    const occ = typeof args[1] === 'number' ? args[1] : 1;
    const values = dn.filter(([k]) => k === entry).map(([, v]) => v);
    if (occ === 0) return undefined;
    return occ > 0 ? values[occ - 1] : values[values.length + occ];
  };
}

function checkDnFormat(args: unknown[]): void {
  const format = args[2];
  if (format !== undefined && format !== '' && format !== 'rfc2253') {
    throw new SampleError(
      'HAP_ERR_SAMPLE_SYNTAX',
      'only rfc2253 or a blank value are currently supported as the format argument.',
    );
  }
}

const DN_ARGS = argSpec(0, 'str', 'sint', 'str');

/** The fetches of one certificate, under a prefix (`ssl_c` or `ssl_f`). */
function certificateFetches(prefix: string, pick: Pick): FetchDef[] {
  return [
    { name: `${prefix}_s_dn`, args: DN_ARGS, out: 'str', check: checkDnFormat, fn: dnFetch(pick, 'subject') },
    { name: `${prefix}_i_dn`, args: DN_ARGS, out: 'str', check: checkDnFormat, fn: dnFetch(pick, 'issuer') },
    { name: `${prefix}_der`, args: NO_ARGS, out: 'bin', fn: (env) => pick(env)?.der },
    { name: `${prefix}_serial`, args: NO_ARGS, out: 'bin', fn: (env) => pick(env)?.serial },
    { name: `${prefix}_sha1`, args: NO_ARGS, out: 'bin', fn: (env) => pick(env)?.sha1 },
    { name: `${prefix}_notbefore`, args: NO_ARGS, out: 'str', fn: (env) => pick(env)?.notBefore },
    { name: `${prefix}_notafter`, args: NO_ARGS, out: 'str', fn: (env) => pick(env)?.notAfter },
    { name: `${prefix}_version`, args: NO_ARGS, out: 'sint', fn: (env) => pick(env)?.version },
    { name: `${prefix}_sig_alg`, args: NO_ARGS, out: 'str', fn: (env) => pick(env)?.signatureAlgorithm },
    { name: `${prefix}_key_alg`, args: NO_ARGS, out: 'str', fn: (env) => pick(env)?.keyAlgorithm },
  ];
}

export const SSL_FETCHES: readonly FetchDef[] = [
  ...certificateFetches('ssl_c', client),
  ...certificateFetches('ssl_f', front),
  { name: 'ssl_fc_use_keysize', args: NO_ARGS, out: 'sint', fn: (env) => env.ssl?.cipherBits },
  { name: 'ssl_fc_alg_keysize', args: NO_ARGS, out: 'sint', fn: (env) => env.ssl?.cipherBits },
];
