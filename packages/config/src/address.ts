/**
 * Address forms of `bind`, `server`, `log`, `stats socket` (manual §11 on
 * addresses): `[ipv4@|ipv6@|unix@|abns@|fd@|sockpair@|udp@…]host[:port[-port]]`.
 */

import { ipVersion as isIP } from './ip.ts';
import type { AddressFamily } from './model.ts';

export interface ParsedAddress {
  family: AddressFamily | 'hostname';
  host: string;
  portLow: number;
  portHigh: number;
  /** Port written as +N / -N (server: offset from the client's destination port). */
  portOffset: boolean;
  hasPort: boolean;
  datagram: boolean;
}

export type AddressResult = { ok: true; addr: ParsedAddress } | { ok: false; reason: string };

export interface AddressRules {
  /** bind lines need a port on IP addresses and accept ranges. */
  portRequired: boolean;
  rangeAllowed: boolean;
  offsetAllowed: boolean;
  /** Whether a host name is acceptable (resolved by the caller). */
  hostnameAllowed: boolean;
}

const PREFIXES: Record<string, { family: AddressFamily | 'any'; datagram: boolean }> = {
  'ipv4@': { family: 'ipv4', datagram: false },
  'ipv6@': { family: 'ipv6', datagram: false },
  'tcp@': { family: 'any', datagram: false },
  'tcp4@': { family: 'ipv4', datagram: false },
  'tcp6@': { family: 'ipv6', datagram: false },
  'udp@': { family: 'any', datagram: true },
  'udp4@': { family: 'ipv4', datagram: true },
  'udp6@': { family: 'ipv6', datagram: true },
  'unix@': { family: 'unix', datagram: false },
  'uxst@': { family: 'unix', datagram: false },
  'uxdg@': { family: 'unix', datagram: true },
  'abns@': { family: 'abns', datagram: false },
  'fd@': { family: 'fd', datagram: false },
  'sockpair@': { family: 'sockpair', datagram: false },
};

/** C's atoi() on a text that starts with a digit: the leading digits' value. */
function leadingNumber(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    n = Math.min(n * 10 + d, 0x7fffffff);
  }
  return n;
}

/**
 * Environment variables in an address (`$NAME`, `${NAME}`), which HAProxy expands in
 * addresses even outside double quotes; an unset one is empty.
 */
export function expandAddressEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  if (!text.includes('$')) return text;
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, a, b) => env[(a ?? b) as string] ?? '',
  );
}

function parsePort(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 0 && n <= 65535 ? n : undefined;
}

/** `shown`: the address as written (before `$VAR` expansion), which messages quote. */
export function parseAddress(input: string, rules: AddressRules, shown: string = input): AddressResult {
  let text = input;
  let family: AddressFamily | 'any' | undefined;
  let datagram = false;
  const at = text.indexOf('@');
  if (at > 0) {
    const prefix = text.slice(0, at + 1).toLowerCase();
    const p = PREFIXES[prefix];
    if (!p) {
      const colon = input.lastIndexOf(':');
      return {
        ok: false,
        reason: `invalid address: '${colon > at ? input.slice(0, colon) : input}' in '${shown}'`,
      };
    }
    family = p.family;
    datagram = p.datagram;
    text = text.slice(at + 1);
  }
  const base = { portOffset: false, datagram };
  if (family === 'unix' || family === 'abns' || (family === undefined && text.startsWith('/'))) {
    if (text === '') return { ok: false, reason: 'missing path' };
    return {
      ok: true,
      addr: {
        ...base,
        family: family === 'abns' ? 'abns' : 'unix',
        host: text,
        portLow: 0,
        portHigh: 0,
        hasPort: false,
      },
    };
  }
  if (family === 'fd' || family === 'sockpair') {
    if (!/^\d+$/.test(text)) return { ok: false, reason: `'${text}' is not a valid file descriptor number` };
    return { ok: true, addr: { ...base, family, host: text, portLow: 0, portHigh: 0, hasPort: false } };
  }
  // host[:port[-port]]; IPv6 in brackets or with the port after the last colon
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { ok: false, reason: `missing ']' in '${shown}'` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest.startsWith(':')) portText = rest.slice(1);
    else if (rest !== '') return { ok: false, reason: `unexpected '${rest}' after address` };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (host === '*') host = '';
  let portLow = 0;
  let portHigh = 0;
  let portOffset = false;
  let hasPort = false;
  // HAProxy reads a port as atoi() does when it starts with a digit (what follows the digits is
  // ignored: '8080/' is 8080); an empty port (e.g. an unset variable) is no port at all
  const c0 = portText?.charAt(0) ?? '';
  if (portText !== undefined && c0 >= '0' && c0 <= '9') {
    hasPort = true;
    const dash = portText.indexOf('-');
    if (dash >= 0 && !rules.rangeAllowed)
      return { ok: false, reason: `port range not permitted here in '${shown}'` };
    const lo = leadingNumber(portText);
    const hi = dash >= 0 ? leadingNumber(portText.slice(dash + 1)) : lo;
    if (lo > 65535)
      return { ok: false, reason: `invalid port '${portText.slice(0, dash >= 0 ? dash : undefined)}'` };
    if (dash >= 0) {
      if (hi > 65535 || hi === 0 || lo === 0)
        return { ok: false, reason: `invalid port range '${portText}'` };
      if (hi < lo) return { ok: false, reason: `invalid port range '${portText}': end is before start` };
    }
    portLow = lo;
    portHigh = hi;
  } else if (portText !== undefined && (c0 === '+' || c0 === '-') && rules.offsetAllowed) {
    const off = parsePort(portText.slice(1));
    if (off === undefined) return { ok: false, reason: `invalid port offset '${portText}'` };
    hasPort = true;
    portOffset = true;
    portLow = portHigh = off;
  } else if (portText !== undefined && portText !== '') {
    return { ok: false, reason: `invalid character '${c0}' in port number '${portText}' in '${shown}'` };
  }
  if (rules.portRequired && (!hasPort || (portLow === 0 && !portOffset))) {
    return { ok: false, reason: `missing port specification in '${shown}'` };
  }
  let resolved: AddressFamily | 'hostname';
  const ipKind = isIP(host);
  if (host === '') resolved = family === 'ipv6' ? 'ipv6' : 'ipv4';
  else if (ipKind === 4) resolved = 'ipv4';
  else if (ipKind === 6) resolved = 'ipv6';
  else {
    if (!rules.hostnameAllowed || !/^[A-Za-z0-9._-]+$/.test(host)) {
      return { ok: false, reason: `invalid address: '${host}' in '${shown}'` };
    }
    resolved = 'hostname';
  }
  if (family === 'ipv4' && resolved === 'ipv6')
    return { ok: false, reason: `'${host}' is not an IPv4 address` };
  if (family === 'ipv6' && resolved === 'ipv4' && host !== '') {
    return { ok: false, reason: `'${host}' is not an IPv6 address` };
  }
  return { ok: true, addr: { family: resolved, host, portLow, portHigh, portOffset, hasPort, datagram } };
}
