/** From `@hap/config`'s bind model to listeners: one listener per address and per port. */
import type { BindModel } from '@hap/config';
import { ListenerError } from './errors.ts';
import {
  type AcceptHandler,
  type ConnectionLimit,
  Listener,
  type ListenerFamily,
  type ListenerSettings,
} from './listener.ts';
import type { RateLimit } from './rate.ts';

export interface CreateOptions {
  onAccept: AcceptHandler;
  /** What alerts name, e.g. `frontend www` (HAProxy: "<proxy type> <name>"). */
  proxy?: string;
  /** Global `noreuseport` / `-dR`: no SO_REUSEPORT on any listener. */
  noReusePort?: boolean;
  /** The frontend's maxconn, for binds without their own (0 = no limit). */
  defaultMaxconn?: number;
  /** The process-wide limit (global maxconn) shared by every listener. */
  limit?: ConnectionLimit;
  /** Rates counted and obeyed by these listeners (see ListenerSettings.rates). */
  rates?: readonly RateLimit[];
  /** The frontend's backlog, for binds without their own. */
  defaultBacklog?: number;
  /** See ListenerSettings.drainPending. */
  drainPending?: (listenFd: number) => number[];
}

function integer(bind: BindModel, option: string, radix: 8 | 10, min: number): number | undefined {
  const value = bind.options[option];
  if (value === undefined) return undefined;
  const text = value === true ? '' : value;
  const ok = radix === 8 ? /^[0-7]+$/.test(text) : /^\d+$/.test(text);
  const n = ok ? Number.parseInt(text, radix) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new ListenerError(
      'HAP_ERR_LISTENER_OPTION',
      `parsing [${bind.file}:${bind.line}] : '${option}' : invalid value '${text}'`,
    );
  }
  return n;
}

function text(bind: BindModel, option: string): string | undefined {
  const value = bind.options[option];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The listeners of one `bind` line, in the order written: each address of a comma list,
 * each port of a range. Throws `HAP_ERR_LISTENER_OPTION` for an unusable option value,
 * `HAP_ERR_FAMILY_UNSUPPORTED` for `sockpair@`. Nothing is bound yet.
 */
export function createListeners(bind: BindModel, options: CreateOptions): Listener[] {
  const settings: ListenerSettings = {
    onAccept: options.onAccept,
    reusePort: options.noReusePort !== true && bind.options['noreuseport'] === undefined,
    proxy: options.proxy ?? '',
    ...(options.drainPending !== undefined ? { drainPending: options.drainPending } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.rates !== undefined ? { rates: options.rates } : {}),
    source: { file: bind.file, line: bind.line },
  };
  const own = integer(bind, 'maxconn', 10, 0);
  const maxconn = own ?? options.defaultMaxconn;
  if (maxconn !== undefined) settings.maxconn = maxconn;
  if (own === undefined) settings.maxconnFromFrontend = true;
  const backlog = integer(bind, 'backlog', 10, 0) || options.defaultBacklog;
  if (backlog !== undefined && backlog > 0) settings.backlog = backlog;
  const mode = integer(bind, 'mode', 8, 0);
  if (mode !== undefined) settings.mode = mode;
  const user = text(bind, 'user') ?? integer(bind, 'uid', 10, 0);
  if (user !== undefined) settings.user = user;
  const group = text(bind, 'group') ?? integer(bind, 'gid', 10, 0);
  if (group !== undefined) settings.group = group;
  if (bind.options['v6only'] !== undefined) settings.ipv6Only = true;
  else if (bind.options['v4v6'] !== undefined) settings.ipv6Only = false;
  const name = text(bind, 'name');
  if (name !== undefined) settings.name = name;
  const id = integer(bind, 'id', 10, 1);
  if (id !== undefined) settings.id = id;

  const listeners: Listener[] = [];
  for (const address of bind.addresses) {
    if (address.family === 'sockpair') {
      throw new ListenerError(
        'HAP_ERR_FAMILY_UNSUPPORTED',
        `parsing [${bind.file}:${bind.line}] : '${address.raw}' : sockpair@ listeners are not supported yet`,
      );
    }
    const family: ListenerFamily = address.family;
    if (family === 'ipv4' || family === 'ipv6') {
      for (let port = address.portLow; port <= address.portHigh; port++) {
        listeners.push(new Listener({ family, host: address.host, port }, settings));
      }
    } else {
      listeners.push(new Listener({ family, host: address.host, port: 0 }, settings));
    }
  }
  return listeners;
}
