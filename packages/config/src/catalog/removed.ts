// Facts from HAProxy 2.6 sources (v2.6.0) and checked one by one with the haproxy 2.6.12 binary
// ('haproxy -c' on a tiny configuration per keyword). Hints are written for haproxyd.

export type RemovedWhere = 'global' | 'proxy' | 'option' | 'bind' | 'server' | 'resolvers';

export interface RemovedKeyword {
  /** As written: first word, 'option' name, bind/server option name, or a two-word form ('mode health'). */
  name: string;
  where: RemovedWhere;
  /** What HAProxy 2.6 reports: 'alert' refuses the configuration, 'warning' accepts it and ignores the keyword. */
  level: 'alert' | 'warning';
  hint: string;
  /** false when 2.6 has no special message and rejects the word as unknown (kept here for its migration hint). */
  recognised?: false;
}

const REQ_GONE = 'regex header rules were removed in 2.1';

export const REMOVED_KEYWORDS: readonly RemovedKeyword[] = [
  {
    name: 'appsession',
    where: 'proxy',
    level: 'alert',
    hint: "removed in 1.6; use 'cookie' persistence or a stick-table instead",
  },
  {
    name: 'bind-process',
    where: 'proxy',
    level: 'warning',
    hint: 'no effect since multi-process mode was removed; delete it',
  },
  {
    name: 'block',
    where: 'proxy',
    level: 'alert',
    hint: "use 'http-request deny', which takes the same condition",
  },
  {
    name: 'cliexp',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request replace-path', 'replace-uri' or 'replace-header'`,
  },
  { name: 'clitimeout', where: 'proxy', level: 'alert', hint: "use 'timeout client'" },
  { name: 'contimeout', where: 'proxy', level: 'alert', hint: "use 'timeout connect'" },
  {
    name: 'forceclose',
    where: 'option',
    level: 'alert',
    hint: "remove it; use 'option httpclose' only if really required",
  },
  {
    name: 'grace',
    where: 'proxy',
    level: 'alert',
    hint: "removed from proxies in 2.5; use the global 'grace' or 'hard-stop-after' instead",
  },
  {
    name: 'hash-type avalanche',
    where: 'proxy',
    level: 'alert',
    hint: "write 'hash-type map-based sdbm avalanche'",
  },
  {
    name: 'http-tunnel',
    where: 'option',
    level: 'alert',
    hint: 'remove it; tunnel mode is no longer needed',
  },
  {
    name: 'http-use-htx',
    where: 'option',
    level: 'alert',
    hint: 'remove it; HTX is always used',
    recognised: false,
  },
  {
    name: 'http_proxy',
    where: 'option',
    level: 'alert',
    hint: "removed in 2.5; combine 'http-request set-dst', 'set-uri' and 'do-resolve' instead",
  },
  {
    name: 'mode health',
    where: 'proxy',
    level: 'alert',
    hint: "use 'mode http' with 'http-request return status 200'",
  },
  {
    name: 'monitor-net',
    where: 'proxy',
    level: 'alert',
    hint: "use 'http-request return status 200 if { src <net> }'",
  },
  {
    name: 'nbproc',
    where: 'global',
    level: 'alert',
    hint: "multi-process mode was removed in 2.5; use threads ('nbthread')",
  },
  {
    name: 'process',
    where: 'bind',
    level: 'warning',
    hint: "deprecated with multi-process mode; use 'thread' or delete it",
  },
  { name: 'redisp', where: 'proxy', level: 'alert', hint: "use 'option redispatch'" },
  { name: 'redispatch', where: 'proxy', level: 'alert', hint: "use 'option redispatch'" },
  { name: 'reqadd', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request add-header'` },
  { name: 'reqallow', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request allow'` },
  { name: 'reqdel', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request del-header'` },
  { name: 'reqdeny', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request deny'` },
  { name: 'reqiallow', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request allow'` },
  { name: 'reqidel', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request del-header'` },
  { name: 'reqideny', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request deny'` },
  { name: 'reqipass', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; delete it (it had no effect)` },
  { name: 'reqirep', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request replace-header'` },
  {
    name: 'reqisetbe',
    where: 'proxy',
    level: 'alert',
    hint: "removed long ago; use 'use_backend' with an ACL",
    recognised: false,
  },
  { name: 'reqitarpit', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request tarpit'` },
  { name: 'reqpass', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; delete it (it had no effect)` },
  {
    name: 'reqrep',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request replace-path', 'replace-uri' or 'replace-header'`,
  },
  {
    name: 'reqsetbe',
    where: 'proxy',
    level: 'alert',
    hint: "removed long ago; use 'use_backend' with an ACL",
    recognised: false,
  },
  { name: 'reqtarpit', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-request tarpit'` },
  {
    name: 'resolution_pool_size',
    where: 'resolvers',
    level: 'alert',
    hint: 'never part of a stable release; delete it',
  },
  { name: 'rspadd', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-response add-header'` },
  { name: 'rspdel', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-response del-header'` },
  { name: 'rspdeny', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-response deny'` },
  { name: 'rspidel', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-response del-header'` },
  { name: 'rspideny', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-response deny'` },
  {
    name: 'rspirep',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response replace-header'`,
  },
  { name: 'rsprep', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-response replace-header'` },
  { name: 'srvexp', where: 'proxy', level: 'alert', hint: `${REQ_GONE}; use 'http-response replace-header'` },
  { name: 'srvtimeout', where: 'proxy', level: 'alert', hint: "use 'timeout server'" },
  {
    name: 'tune.chksize',
    where: 'global',
    level: 'alert',
    hint: "delete it; check buffers now follow 'tune.bufsize'",
  },
  {
    name: 'tune.ssl.capture-cipherlist-size',
    where: 'global',
    level: 'warning',
    hint: "deprecated (still applied); use 'tune.ssl.capture-buffer-size'",
  },
];
