/**
 * `bind` lines (manual §5.1): addresses (comma lists, ranges, families) and
 * bind options. Also used by `stats socket`, which takes the same options.
 */

import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { expandAddressEnv, parseAddress } from '../address.ts';
import { BIND_OPTIONS } from '../catalog/index.ts';
import { isKnownHost } from '../hosts.ts';
import type { BindAddress, BindModel } from '../model.ts';
import { bestMatch } from '../suggest.ts';
import type { KeywordContext } from './types.ts';

/** Bind options haproxyd's checker validates beyond their argument count. */
const NUMERIC = new Set(['maxconn', 'backlog', 'id', 'nice', 'mss', 'tcp-ut', 'shards']);
const OPTION_ARGS = new Map<string, number>(BIND_OPTIONS.map((o) => [o.name, o.args]));

/** The last `crt-base` / `ca-base` of the global section, if any. */
function baseDir(ctx: KeywordContext, keyword: 'crt-base' | 'ca-base'): string | undefined {
  const dirs = ctx.global.directives;
  for (let i = dirs.length - 1; i >= 0; i--) if (dirs[i]!.keyword === keyword) return dirs[i]!.args[1];
  return undefined;
}

/** Parses the address list at `ctx.args[at]` and the options after it; alerts and returns undefined on error. */
export function parseBindLine(ctx: KeywordContext, at: number, label: string): BindModel | undefined {
  const list = ctx.args[at];
  if (list === undefined) {
    ctx.alert(`'${label}' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.`);
    return undefined;
  }
  const addresses: BindAddress[] = [];
  for (const raw of list.split(',')) {
    const r = parseAddress(
      expandAddressEnv(raw, ctx.env),
      {
        portRequired: true,
        rangeAllowed: true,
        offsetAllowed: false,
        hostnameAllowed: true,
      },
      raw,
    );
    if (!r.ok) {
      ctx.alert(`'${label}' : ${r.reason}`);
      return undefined;
    }
    if (r.addr.family === 'hostname' && !isKnownHost(r.addr.host)) {
      ctx.alert(`'${label}' : invalid address: '${r.addr.host}' in '${raw}'`);
      return undefined;
    }
    addresses.push({
      family: r.addr.family === 'hostname' ? 'ipv4' : r.addr.family,
      host: r.addr.host,
      portLow: r.addr.portLow,
      portHigh: r.addr.portHigh,
      raw,
    });
  }
  const options: Record<string, string | true> = {};
  const optionList: [string, string | true][] = [];
  // HAProxy's own words for the line in file messages: 'bind <addresses>' in section '<kind>'
  const where = ctx.proxy !== undefined ? `'${label} ${list}' in section '${ctx.proxy.kind}'` : `'${label}'`;
  for (let i = at + 1; i < ctx.args.length; i++) {
    const name = ctx.args[i]!;
    const nargs = OPTION_ARGS.get(name);
    if (nargs === undefined) {
      const best = bestMatch(name, OPTION_ARGS.keys());
      ctx.alert(`'${label}' unknown keyword '${name}'.${best ? ` Did you mean '${best}' maybe ?` : ''}`);
      return undefined;
    }
    if (nargs === 0) {
      options[name] = true;
      optionList.push([name, true]);
      continue;
    }
    const value = ctx.args[i + 1];
    if (value === undefined) {
      ctx.alert(`'${label}' : '${name}' : missing value.`);
      return undefined;
    }
    if (NUMERIC.has(name) && !/^-?\d+$/.test(value)) {
      ctx.alert(`'${label}' : '${name}' expects an integer argument (got '${value}').`);
      return undefined;
    }
    if (name === 'mode' && !/^[0-7]+$/.test(value)) {
      ctx.alert(`'${label}' : '${name}' expects an octal mode (got '${value}').`);
      return undefined;
    }
    if (name === 'level' && !['user', 'operator', 'admin'].includes(value)) {
      ctx.alert(`'${label}' : 'level' only supports 'user', 'operator', and 'admin' (got '${value}').`);
      return undefined;
    }
    if (name === 'crt' || name === 'ca-file' || name === 'crl-file' || name === 'crt-list') {
      // like HAProxy, certificate files must exist when the configuration is read (what they
      // hold is checked by @hap/ssl); relative names start from 'crt-base' (crt, crt-list) or
      // 'ca-base' (ca-file, crl-file) when set
      // (a crt-list's own name is not: only the names inside it)
      const base = name === 'crt-list' ? undefined : baseDir(ctx, name === 'crt' ? 'crt-base' : 'ca-base');
      const path = base !== undefined && !isAbsolute(value) ? join(base, value) : value;
      if (!existsSync(ctx.resolvePath(path))) {
        // HAProxy first says why a CA or CRL file cannot be used, without a place
        if (name === 'ca-file' || name === 'crl-file')
          ctx.sink.alert(
            'HAP_CFG_SSL_CA',
            `Couldn't open the ca-file '${path}' (No such file or directory).`,
          );
        ctx.alert(
          name === 'crt'
            ? `${where} : unable to stat SSL certificate from file '${path}' : No such file or directory.`
            : name === 'crt-list'
              ? `${where} : 'crt-list' : cannot open file '${value}' : No such file or directory`
              : `${where} : '${name}' : unable to load ${path}`,
        );
        return undefined;
      }
    }
    options[name] = value;
    optionList.push([name, value]);
    i++;
  }
  return { file: ctx.file, line: ctx.line, addresses, options, optionList };
}
