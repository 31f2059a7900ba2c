// The addresses a `stats socket` line takes: a unix socket path (`/run/haproxy.sock`,
// `unix@…`), an abstract unix socket (`abns@name`, Linux), or `ipv4@host:port`,
// `ipv6@[host]:port` (a bare `host:port` is read as IPv4/IPv6 by its form).

export type CliAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'abns'; readonly name: string }
  | { readonly kind: 'tcp'; readonly family: 4 | 6; readonly host: string; readonly port: number };

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

function hostPort(s: string, family: 4 | 6 | undefined, original: string): CliAddress {
  const bracket = /^\[([^\]]*)\]:(\d+)$/.exec(s);
  const m = bracket ?? /^(.*):(\d+)$/.exec(s);
  if (!m) throw new AddressError(`runtime-api: missing port in '${original}'`);
  const host = m[1]!;
  const port = Number(m[2]);
  if (port > 65535) throw new AddressError(`runtime-api: invalid port in '${original}'`);
  const fam = family ?? (host.includes(':') ? 6 : 4);
  return { kind: 'tcp', family: fam, host: host || (fam === 6 ? '::' : '0.0.0.0'), port };
}

/** Parses a `stats socket` address. */
export function parseAddress(address: string): CliAddress {
  const at = address.indexOf('@');
  const prefix = at > 0 ? address.slice(0, at) : '';
  const rest = at > 0 ? address.slice(at + 1) : address;
  switch (prefix) {
    case 'unix':
      return { kind: 'unix', path: rest };
    case 'abns':
      return { kind: 'abns', name: rest };
    case 'ipv4':
      return hostPort(rest, 4, address);
    case 'ipv6':
      return hostPort(rest, 6, address);
    case '':
      if (address === '') throw new AddressError('runtime-api: empty address');
      return address.includes('/') || !/:\d+$/.test(address)
        ? { kind: 'unix', path: address }
        : hostPort(address, undefined, address);
    default:
      throw new AddressError(`runtime-api: unsupported address family '${prefix}@' in '${address}'`);
  }
}

/** The address as `show cli sockets` prints it. */
export function formatAddress(a: CliAddress): string {
  switch (a.kind) {
    case 'unix':
      return `unix@${a.path}`;
    case 'abns':
      return `abns@${a.name}`;
    case 'tcp':
      return a.family === 6 ? `ipv6@[${a.host}]:${a.port}` : `ipv4@${a.host}:${a.port}`;
  }
}
