/**
 * `server` and `default-server` options (manual §5.2): names and argument
 * counts from the catalog, values checked for the options the runtime reads.
 */

import { SERVER_OPTIONS } from '../catalog/index.ts';
import { ipVersion } from '../ip.ts';
import { bestMatch } from '../suggest.ts';
import { parseTime } from '../units.ts';
import { timerWarning } from './args.ts';
import type { KeywordContext } from './types.ts';

const OPTIONS = new Map<string, { args: number; defaultServer: boolean }>(
  SERVER_OPTIONS.map((o) => [o.name, { args: o.args, defaultServer: o.defaultServer }]),
);

const INTEGER = new Set([
  'weight',
  'maxconn',
  'maxqueue',
  'minconn',
  'rise',
  'fall',
  'port',
  'id',
  'agent-port',
  'pool-max-conn',
  'pool-low-conn',
  'max-reuse',
  'error-limit',
  'tcp-ut',
]);
const LENIENT = new Set(['maxconn', 'maxqueue', 'minconn']);
const TIMES = new Set(['inter', 'fastinter', 'downinter', 'slowstart', 'agent-inter', 'pool-purge-delay']);

/** Parses options from `ctx.args[from]` into `into`; returns false after an alert. */
export function parseServerOptions(
  ctx: KeywordContext,
  from: number,
  into: Record<string, string | true>,
  label: 'server' | 'default-server',
): boolean {
  const a = ctx.args;
  const who = label === 'server' ? `server '${a[1]}'` : 'default-server';
  for (let i = from; i < a.length; i++) {
    const name = a[i]!;
    const info = OPTIONS.get(name);
    if (!info) {
      const best = bestMatch(name, OPTIONS.keys());
      ctx.alert(`'${label}' unknown keyword '${name}'${best ? `; did you mean '${best}' maybe ?` : ''}.`);
      return false;
    }
    if (label === 'default-server' && !info.defaultServer) {
      ctx.alert(`'${name}' option is not accepted in default-server sections.`);
      return false;
    }
    if (info.args === 0) {
      into[name] = true;
      continue;
    }
    const value = a[i + 1];
    if (value === undefined && LENIENT.has(name)) {
      // HAProxy reads these with atol(): a missing value is 0
      into[name] = '0';
      continue;
    }
    if (value === undefined) {
      ctx.alert(`${who} : '${name}' expects an argument.`);
      return false;
    }
    if (INTEGER.has(name) && !/^\d+$/.test(value)) {
      ctx.alert(`${who} : '${name}' expects an integer argument (got '${value}').`);
      return false;
    }
    if (name === 'weight' && Number(value) > 256) {
      ctx.alert(`${who} : weight of server must be between 0 and 256 (got ${value}).`);
      return false;
    }
    if ((name === 'rise' || name === 'fall') && Number(value) < 1) {
      ctx.alert(`${who} : '${name}' has to be > 0.`);
      return false;
    }
    if (TIMES.has(name)) {
      const t = parseTime(value);
      if (!t.ok) {
        ctx.alert(`${who} : ${t.reason} in argument '${value}' to '${name}'.`);
        return false;
      }
      if (t.trailing !== undefined)
        timerWarning(ctx, t.trailing, label === 'server' ? `'server ${ctx.proxy?.name}/${a[1]}' : ` : '');
      if (t.ms === 0 && name !== 'slowstart') {
        ctx.alert(`${who} : invalid value '${value}' for '${name}' (must be positive).`);
        return false;
      }
    }
    const dns = resolverOptionError(name, value);
    if (dns !== undefined) {
      ctx.alert(`${who} : ${dns}`);
      return false;
    }
    if (
      (name === 'observe' && !['none', 'layer4', 'layer7'].includes(value)) ||
      (name === 'on-error' && !['fastinter', 'fail-check', 'sudden-death', 'mark-down'].includes(value)) ||
      (name === 'on-marked-down' && value !== 'shutdown-sessions') ||
      (name === 'on-marked-up' && value !== 'shutdown-backup-sessions')
    ) {
      ctx.alert(`${who} : unsupported value '${value}' for '${name}'.`);
      return false;
    }
    into[name] = value;
    i++;
  }
  return true;
}

// --- DNS resolution options (manual §5.2: init-addr, resolve-*, resolvers) ---

const RESOLVE_OPTS = ['allow-dup-ip', 'ignore-weight', 'prevent-dup-ip'];

/** One `resolve-net` network: `<ipv4>[/<bits or mask>]` or `<ipv6>[/<bits>]`. */
function validNetwork(text: string): boolean {
  const [ip, bits, extra] = text.split('/');
  if (extra !== undefined || ip === undefined) return false;
  const v = ipVersion(ip);
  if (v === 0) return false;
  if (bits === undefined) return true;
  if (/^\d+$/.test(bits)) return Number(bits) <= (v === 4 ? 32 : 128);
  return v === 4 && ipVersion(bits) === 4;
}

/** HAProxy's message for a bad value of a DNS option of a server line, or undefined. */
function resolverOptionError(name: string, value: string): string | undefined {
  if (name === 'resolve-prefer' && value !== 'ipv4' && value !== 'ipv6')
    return "'resolve-prefer' expects either ipv4 or ipv6 as argument..";
  if (name === 'resolve-net') {
    const bad = value.split(',').find((n) => !validNetwork(n));
    if (bad !== undefined) return `'resolve-net' invalid network '${bad}'..`;
  }
  if (name === 'resolve-opts') {
    const bad = value.split(',').find((o) => !RESOLVE_OPTS.includes(o));
    if (bad !== undefined)
      return `'resolve-opts' : unknown resolve-opts option '${bad}', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'..`;
  }
  if (name === 'init-addr') {
    const bad = value.split(',').find((v) => !['last', 'libc', 'none'].includes(v) && ipVersion(v) === 0);
    if (bad !== undefined)
      return `'init-addr' : unknown init-addr method '${bad}', supported methods are 'libc', 'last', 'none'..`;
  }
  return undefined;
}
