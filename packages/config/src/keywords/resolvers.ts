/**
 * The `resolvers <id>` section (manual §5.3.2): the name servers a server line's
 * `resolvers <id>` asks at run time, and how long an answer holds. Each line fills the
 * section's typed settings (`resolversOf()`); the checks after parsing find the sections
 * that servers name.
 */

import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../diagnostics.ts';
import { ipVersion } from '../ip.ts';
import type { ConfigModel, OtherSection, SourceRef } from '../model.ts';
import { parseTime } from '../units.ts';
import type { KeywordContext, KeywordRow } from './types.ts';

/** One `nameserver` (or one found by `parse-resolv-conf`): always UDP. */
export interface NameserverModel extends SourceRef {
  readonly name: string;
  /** An IPv4 or IPv6 address (no brackets). */
  readonly host: string;
  readonly port: number;
}

/** How long the last answer of each kind holds (ms), HAProxy's `hold <status>`. */
export interface ResolversHold {
  nx: number;
  other: number;
  refused: number;
  timeout: number;
  valid: number;
  obsolete: number;
}

export interface ResolversModel extends SourceRef {
  readonly name: string;
  readonly nameservers: NameserverModel[];
  /** `accepted_payload_size` (EDNS0), bytes. */
  acceptedPayloadSize: number;
  /** `resolve_retries`: queries sent before giving up. */
  resolveRetries: number;
  /** `timeout resolve`: how often the section looks for due resolutions (ms). */
  timeoutResolve: number;
  /** `timeout retry`: how long a query waits for its answer before the next try (ms). */
  timeoutRetry: number;
  readonly hold: ResolversHold;
}

const models = new WeakMap<OtherSection, ResolversModel>();

function modelOf(s: OtherSection): ResolversModel {
  let m = models.get(s);
  if (m === undefined) {
    m = {
      file: s.file,
      line: s.line,
      name: s.name,
      nameservers: [],
      acceptedPayloadSize: 512,
      resolveRetries: 3,
      timeoutResolve: 1000,
      timeoutRetry: 1000,
      hold: { nx: 30000, other: 30000, refused: 30000, timeout: 30000, valid: 10000, obsolete: 0 },
    };
    models.set(s, m);
  }
  return m;
}

/** Every `resolvers` section of the configuration with its settings, in file order. */
export function resolversOf(model: ConfigModel): ResolversModel[] {
  return model.sections.filter((s) => s.kind === 'resolvers').map(modelOf);
}

/** The section being parsed (its lines only run once its header was accepted). */
function current(ctx: KeywordContext): ResolversModel {
  const s = ctx.model.sections[ctx.model.sections.length - 1]!;
  return modelOf(s);
}

/** HAProxy's atoi(): leading digits, else 0. */
function atoi(text: string): number {
  const m = /^\s*[+-]?\d+/.exec(text);
  return m ? Number.parseInt(m[0], 10) : 0;
}

const DATAGRAM_PREFIXES = new Set(['udp@', 'udp4@', 'udp6@', 'ipv4@', 'ipv6@']);

/** `<address>:<port>` of a name server: an IP address and a port, UDP (the default) only. */
function parseNameserverAddress(
  ctx: KeywordContext,
  label: string,
  raw: string,
): { host: string; port: number } | undefined {
  let text = raw;
  const at = text.indexOf('@');
  if (at > 0) {
    const prefix = text.slice(0, at + 1).toLowerCase();
    if (!DATAGRAM_PREFIXES.has(prefix)) {
      ctx.alert(
        `${label} : '${raw}' : only UDP name servers are supported by haproxyd yet ('${prefix}' is not supported yet).`,
      );
      return undefined;
    }
    text = text.slice(at + 1);
  }
  let host = text;
  let port: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = close < 0 ? text.slice(1) : text.slice(1, close);
    const rest = close < 0 ? '' : text.slice(close + 1);
    port = rest.startsWith(':') ? rest.slice(1) : undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      port = text.slice(colon + 1);
    }
  }
  if (port === undefined || port === '') {
    ctx.alert(`${label} : missing port specification in '${raw}'`);
    return undefined;
  }
  if (port.includes('-')) {
    ctx.alert(`${label} : port range not permitted here in '${raw}'`);
    return undefined;
  }
  if (port.startsWith('+')) {
    ctx.alert(`${label} : port offset not permitted here in '${raw}'`);
    return undefined;
  }
  if (!/^\d+$/.test(port) || Number(port) === 0 || Number(port) > 65535) {
    ctx.alert(`${label} : invalid port '${port}'`);
    return undefined;
  }
  // no address (or `*`): HAProxy's any address, which reaches this host
  if (host === '' || host === '*') host = '0.0.0.0';
  if (ipVersion(host) === 0) {
    // HAProxy ends this message with a line feed
    ctx.alert(`${label} : invalid address: '${host}' in '${raw}'\n`);
    return undefined;
  }
  return { host, port: Number(port) };
}

const nameserver: KeywordRow = {
  name: 'nameserver',
  sections: [],
  supported: true,
  parse(ctx) {
    const [, name, raw] = ctx.args;
    if (name === undefined || raw === undefined) {
      ctx.alert("'nameserver' expects <name> and <addr>[:<port>] as arguments.");
      return;
    }
    const r = current(ctx);
    const other = r.nameservers.find((n) => n.name === name);
    if (other !== undefined) {
      ctx.alert(
        `nameserver '${name}' has same name as another nameserver (declared at ${other.file}:${other.line}).`,
      );
      return;
    }
    const addr = parseNameserverAddress(ctx, `'nameserver ${name}'`, raw);
    if (addr === undefined) return;
    r.nameservers.push({ file: ctx.file, line: ctx.line, name, host: addr.host, port: addr.port });
  },
};

const RESOLV_CONF = '/etc/resolv.conf';

const parseResolvConf: KeywordRow = {
  name: 'parse-resolv-conf',
  sections: [],
  supported: true,
  parse(ctx) {
    let text: string;
    try {
      text = readFileSync(RESOLV_CONF, 'latin1');
    } catch {
      ctx.alert(`'parse-resolv-conf' : failed to open ${RESOLV_CONF}.`);
      return;
    }
    const r = current(ctx);
    for (const l of text.split('\n')) {
      const m = /^\s*nameserver\s+(\S+)/.exec(l);
      if (!m) continue;
      const host = m[1]!.replace(/%.*$/, '');
      if (ipVersion(host) === 0) {
        ctx.warning(`'parse-resolv-conf' : ${RESOLV_CONF} : invalid nameserver address '${m[1]}', ignored.`);
        continue;
      }
      if (r.nameservers.some((n) => n.name === host)) continue;
      r.nameservers.push({ file: RESOLV_CONF, line: 0, name: host, host, port: 53 });
    }
  },
};

const acceptedPayloadSize: KeywordRow = {
  name: 'accepted_payload_size',
  sections: [],
  supported: true,
  parse(ctx) {
    const v = ctx.args[1];
    if (v === undefined) {
      ctx.alert("'accepted_payload_size' expects <nb> as argument.");
      return;
    }
    const n = atoi(v);
    if (n < 12 || n > 65535) {
      ctx.alert(`'accepted_payload_size' must be between 12 and 65535 inclusive (was ${v}).`);
      return;
    }
    current(ctx).acceptedPayloadSize = n;
  },
};

const resolveRetries: KeywordRow = {
  name: 'resolve_retries',
  sections: [],
  supported: true,
  parse(ctx) {
    const v = ctx.args[1];
    if (v === undefined) {
      ctx.alert("'resolve_retries' expects <nb> as argument.");
      return;
    }
    current(ctx).resolveRetries = atoi(v);
  },
};

const HOLD_EVENTS = ['nx', 'other', 'refused', 'timeout', 'valid', 'obsolete'] as const;

/** HAProxy reports a bad time value of these lines without the space before the colon. */
function timeValue(ctx: KeywordContext, text: string, label: string): number | undefined {
  const t = parseTime(text);
  if (t.ok) return t.ms;
  const arg = `<${ctx.args[1]}> to <${label}>`;
  const msg =
    t.reason === 'timer overflow'
      ? `timer overflow in argument ${arg}, maximum value is 2147483647 ms (~24.8 days).`
      : t.reason === 'timer underflow'
        ? `timer underflow in argument ${arg}, minimum non-null value is 1 ms.`
        : `${t.reason} in argument to <${label}>.`;
  ctx.sink.alert('HAP_CFG_TIGHT', msg, ctx.file, ctx.line, ctx.args[0]);
  return undefined;
}

const hold: KeywordRow = {
  name: 'hold',
  sections: [],
  supported: true,
  parse(ctx) {
    const [, event, time] = ctx.args;
    if (event === undefined || time === undefined) {
      ctx.alert("'hold' expects an <event> and a <time> as arguments.");
      // HAProxy's second line has no location
      ctx.sink.alert(
        'HAP_CFG_HOLD_EVENTS',
        "<event> can be either 'valid', 'nx', 'refused', 'timeout', or 'other'",
      );
      return;
    }
    if (!(HOLD_EVENTS as readonly string[]).includes(event)) {
      ctx.alert(
        `'hold' unknown <event>: '${event}', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.`,
      );
      return;
    }
    const ms = timeValue(ctx, time, 'hold');
    if (ms === undefined) return;
    current(ctx).hold[event as (typeof HOLD_EVENTS)[number]] = ms;
  },
};

const timeout: KeywordRow = {
  name: 'timeout',
  sections: [],
  supported: true,
  parse(ctx) {
    const [, event, time] = ctx.args;
    if (event === undefined) {
      ctx.alert("'timeout' expects 'retry' or 'resolve' and <time> as arguments.");
      return;
    }
    if (event !== 'retry' && event !== 'resolve') {
      ctx.alert(`'timeout' expects 'retry' or 'resolve' and <time> as arguments got '${event}'.`);
      return;
    }
    ctx.directive.keyword = `timeout ${event}`;
    if (time === undefined) {
      ctx.alert(`'timeout ${event}' expects <time> as argument.`);
      return;
    }
    const ms = timeValue(ctx, time, `timeout ${event}`);
    if (ms === undefined) return;
    if (event === 'retry') current(ctx).timeoutRetry = ms;
    else current(ctx).timeoutResolve = ms;
  },
};

const resolutionPoolSize: KeywordRow = {
  name: 'resolution_pool_size',
  sections: [],
  supported: true,
  parse(ctx) {
    ctx.alert(
      "'resolution_pool_size' directive is not supported anymore (it never appeared in a stable release).",
    );
  },
};

export const RESOLVERS_ROWS: readonly KeywordRow[] = [
  acceptedPayloadSize,
  hold,
  nameserver,
  parseResolvConf,
  resolutionPoolSize,
  resolveRetries,
  timeout,
];

/** The resolvers section a server line names, when it names one. */
export function serverResolvers(options: Record<string, string | true>): string | undefined {
  const v = options['resolvers'];
  return typeof v === 'string' ? v : undefined;
}

/**
 * After parsing: sections without a name server (a warning), two sections with one name,
 * and servers naming a section that does not exist (HAProxy's check_config_validity).
 */
export function checkResolvers(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const all = resolversOf(model);
  const byName = new Map<string, ResolversModel>();
  for (const r of all) {
    const first = byName.get(r.name);
    if (first !== undefined) {
      out.push({
        level: 'alert',
        code: 'HAP_CFG_RESOLVERS_DUPLICATE',
        file: r.file,
        line: r.line,
        keyword: 'resolvers',
        message: `resolvers '${r.name}' has same name as another resolvers (declared at ${first.file}:${first.line}).`,
      });
      continue;
    }
    byName.set(r.name, r);
  }
  for (const p of model.proxies) {
    if (p.kind === 'defaults' || p.kind === 'frontend') continue;
    for (const s of p.servers) {
      const id = serverResolvers(s.options);
      if (id === undefined || byName.has(id)) continue;
      out.push({
        level: 'alert',
        code: 'HAP_CFG_RESOLVERS_REF',
        keyword: 'resolvers',
        message: `proxy '${p.name}', server '${s.name}': unable to find required resolvers '${id}'`,
      });
    }
  }
  for (const r of byName.values()) {
    if (r.nameservers.length > 0) continue;
    out.push({
      level: 'warning',
      code: 'HAP_CFG_RESOLVERS_EMPTY',
      keyword: 'resolvers',
      message: `resolvers '${r.name}' [${r.file}:${r.line}] has no nameservers configured!`,
    });
  }
  return out;
}
