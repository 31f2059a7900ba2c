/**
 * IP address syntax, without loading node:net (the checker starts cold dozens
 * of times per test run, and node:net pulls in the whole socket stack).
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6(text: string): boolean {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (s.length < 2 || s.length > 45) return false;
  let groupsNeeded = 8;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!IPV4.test(tail)) return false;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const parts = s.split(':');
  if (dbl >= 0) {
    const filled = parts.filter((p) => p !== '');
    if (filled.length > 7) return false;
    return filled.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p));
  }
  if (parts.length !== groupsNeeded) return false;
  groupsNeeded = 0;
  return parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p));
}

/** 4, 6, or 0 like node:net's isIP. */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (IPV4.test(text)) return 4;
  if (text.includes(':') && isIPv6(text)) return 6;
  return 0;
}
