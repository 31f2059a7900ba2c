// Fetches of internal states and constants (HAProxy manual 7.3.2): proxies' figures,
// variables, the environment, literal values.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type ArgVal, argSpec, NO_ARGS } from '../args.ts';
import type { FetchDef } from '../defs.ts';
import type { IpValue, SampleEnv } from '../env.ts';
import { SampleError } from '../errors.ts';
import { checkVarName } from '../vars.ts';
import { mayChange } from './http-tcp.ts';
import { backendName } from './l4.ts';

const HOSTNAME = hostname();

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'CONNECT', 'PUT', 'OPTIONS', 'DELETE', 'TRACE']);

function invalid(message: string): never {
  throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', message);
}

/** Hex digits → bytes, as HAProxy's parse_binary (its messages). */
export function parseHex(s: string): Buffer {
  if (s.length % 2) invalid('an even number of hex digit is expected');
  for (let i = 0; i < s.length; i++) {
    if (!/[0-9A-Fa-f]/.test(s[i]!)) invalid(`an hex digit is expected (found '${s[i]}')`);
  }
  return Buffer.from(s, 'hex');
}

/** "be/srv" or "srv" (in the current backend). */
function serverUp(env: SampleEnv, args: readonly ArgVal[]): boolean | undefined {
  const spec = args[0] as string;
  const slash = spec.indexOf('/');
  const be = slash < 0 ? backendName(env) : spec.slice(0, slash);
  return env.world.serverUp(be, slash < 0 ? spec : spec.slice(slash + 1));
}

export const INTERNAL_FETCHES: readonly FetchDef[] = [
  { name: 'always_true', args: NO_ARGS, out: 'bool', fn: () => true },
  { name: 'always_false', args: NO_ARGS, out: 'bool', fn: () => false },
  { name: 'int', args: argSpec(1, 'sint'), out: 'sint', fn: (_e, a) => a[0] as number },
  { name: 'str', args: argSpec(1, 'str'), out: 'str', fn: (_e, a) => a[0] as string },
  {
    name: 'bool',
    args: argSpec(1, 'str'),
    out: 'bool',
    check: (a) => {
      const v = a[0];
      if (v === 'true' || v === '1') a[0] = true;
      else if (v === 'false' || v === '0') a[0] = false;
      else invalid("Expects 'true', 'false', '0' or '1'");
    },
    fn: (_e, a) => a[0] as boolean,
  },
  {
    name: 'bin',
    args: argSpec(1, 'str'),
    out: 'bin',
    check: (a) => {
      a[0] = parseHex(a[0] as string);
    },
    fn: (_e, a) => a[0] as Buffer,
  },
  { name: 'ipv4', args: argSpec(1, 'ipv4'), out: 'ipv4', fn: (_e, a) => a[0] as IpValue },
  { name: 'ipv6', args: argSpec(1, 'ipv6'), out: 'ipv6', fn: (_e, a) => a[0] as IpValue },
  {
    name: 'meth',
    args: argSpec(1, 'str'),
    out: 'meth',
    check: (a) => {
      const m = a[0] as string;
      if (!KNOWN_METHODS.has(m) && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/.test(m))
        invalid('expects valid method.');
    },
    fn: (_e, a) => a[0] as string,
  },
  {
    name: 'var',
    args: argSpec(1, 'str', 'str'),
    out: 'any',
    check: (a) => checkVarName(a[0] as string),
    fn: (env, a) => env.vars.get(a[0] as string) ?? (a[1] as string | undefined),
  },
  {
    name: 'env',
    args: argSpec(1, 'str'),
    out: 'str',
    fn: (_e, a) => process.env[a[0] as string],
  },
  { name: 'hostname', args: NO_ARGS, out: 'str', fn: () => HOSTNAME },
  { name: 'proc', args: NO_ARGS, out: 'sint', fn: () => 1 },
  { name: 'nbproc', args: NO_ARGS, out: 'sint', fn: () => 1 },
  { name: 'thread', args: NO_ARGS, out: 'sint', fn: () => 0 },
  { name: 'stopping', args: NO_ARGS, out: 'bool', fn: () => false },
  {
    name: 'date',
    args: argSpec(0, 'sint', 'str'),
    out: 'sint',
    check: (a) => {
      if (a[1] !== undefined && a[1] !== 's' && a[1] !== 'ms' && a[1] !== 'us') {
        invalid(`expects 's', 'ms' or 'us', got '${String(a[1])}'`);
      }
    },
    fn: (env, a) => {
      mayChange(env); // HAProxy flags dates as changing: a tcp-request content rule waits
      const unit = a[1] ?? 's';
      const now = Date.now();
      const base = unit === 'ms' ? now : unit === 'us' ? now * 1000 : Math.floor(now / 1000);
      return base + ((a[0] as number | undefined) ?? 0);
    },
  },
  {
    name: 'date_us',
    args: NO_ARGS,
    out: 'sint',
    fn: (env) => {
      mayChange(env);
      return (Date.now() % 1000) * 1000;
    },
  },
  {
    name: 'rand',
    args: argSpec(0, 'sint'),
    out: 'sint',
    fn: (env, a) => {
      mayChange(env);
      const range = (a[0] as number | undefined) ?? 2 ** 32;
      return Math.floor(Math.random() * range);
    },
  },
  {
    name: 'uuid',
    args: argSpec(0, 'sint'),
    out: 'str',
    check: (a) => {
      if (a[0] !== undefined && a[0] !== 4) invalid('Unsupported UUID version');
    },
    fn: (env) => {
      mayChange(env);
      return randomUUID();
    },
  },
  {
    name: 'nbsrv',
    args: argSpec(0, 'be'),
    out: 'sint',
    fn: (env, a) => env.world.nbsrv((a[0] as string | undefined) ?? backendName(env)),
  },
  {
    name: 'be_conn',
    args: argSpec(0, 'be'),
    out: 'sint',
    fn: (env, a) => env.world.beConn((a[0] as string | undefined) ?? backendName(env)),
  },
  {
    name: 'queue',
    args: argSpec(0, 'be'),
    out: 'sint',
    fn: (env, a) => env.world.queue((a[0] as string | undefined) ?? backendName(env)),
  },
  {
    name: 'fe_conn',
    args: argSpec(0, 'fe'),
    out: 'sint',
    fn: (env, a) => env.world.feConn((a[0] as string | undefined) ?? env.frontend),
  },
  { name: 'srv_is_up', args: argSpec(1, 'srv'), out: 'bool', fn: serverUp },
  {
    name: 'srv_queue',
    args: argSpec(1, 'srv'),
    out: 'sint',
    fn: (env, args) => {
      const spec = args[0] as string;
      const slash = spec.indexOf('/');
      const be = slash < 0 ? backendName(env) : spec.slice(0, slash);
      return env.world.serverQueue?.(be, slash < 0 ? spec : spec.slice(slash + 1));
    },
  },
];
