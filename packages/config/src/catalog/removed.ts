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
  /**
   * HAProxy 2.6's own alert or warning for it, word for word (users' tools grep for it);
   * `%s` stands for the keyword's first argument. Absent: haproxyd's words from `hint`.
   */
  message?: string;
  /** HAProxy prints the place as `parsing [file:line]:` (no space before the colon). */
  tight?: true;
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
    message: "'appsession' is not supported anymore since HAProxy 1.6.",
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
    message:
      "The 'block' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' which uses the exact same syntax.",
  },
  {
    name: 'cliexp',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request replace-path', 'replace-uri' or 'replace-header'`,
    message:
      "The 'cliexp' directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead.",
  },
  {
    name: 'clitimeout',
    where: 'proxy',
    level: 'alert',
    hint: "use 'timeout client'",
    message: "the 'clitimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout client'.",
  },
  {
    name: 'contimeout',
    where: 'proxy',
    level: 'alert',
    hint: "use 'timeout connect'",
    message: "the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout connect'.",
  },
  {
    name: 'forceclose',
    where: 'option',
    level: 'alert',
    hint: "remove it; use 'option httpclose' only if really required",
    message:
      "option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed.",
    tight: true,
  },
  {
    name: 'grace',
    where: 'proxy',
    level: 'alert',
    hint: "removed from proxies in 2.5; use the global 'grace' or 'hard-stop-after' instead",
    message: "the 'grace' keyword is not supported any more since HAProxy version 2.5.",
    tight: true,
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
    message:
      "option 'http-tunnel' is not supported any more since HAProxy 2.1, please just remove it, it shouldn't be needed.",
    tight: true,
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
    message:
      "option 'http_proxy' is not supported any more since HAProxy 2.5. This option stopped working in HAProxy 1.9 and usually had nasty side effects. It can be more reliably implemented with combinations of 'http-request set-dst' and 'http-request set-uri', and even 'http-request do-resolve' if DNS resolution is desired.",
    tight: true,
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
    message:
      "'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src %s }' instead.",
  },
  {
    name: 'nbproc',
    where: 'global',
    level: 'alert',
    hint: "multi-process mode was removed in 2.5; use threads ('nbthread')",
    message:
      'nbproc is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available.',
  },
  {
    name: 'process',
    where: 'bind',
    level: 'warning',
    hint: "deprecated with multi-process mode; use 'thread' or delete it",
  },
  {
    name: 'redisp',
    where: 'proxy',
    level: 'alert',
    hint: "use 'option redispatch'",
    message:
      "keyword 'redisp' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.",
  },
  {
    name: 'redispatch',
    where: 'proxy',
    level: 'alert',
    hint: "use 'option redispatch'",
    message:
      "keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.",
  },
  {
    name: 'reqadd',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request add-header'`,
    message:
      "The 'reqadd' directive is not supported anymore since HAProxy 2.1. Use 'http-request add-header' instead.",
  },
  {
    name: 'reqallow',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request allow'`,
    message:
      "The 'reqallow' directive is not supported anymore since HAProxy 2.1. Use 'http-request allow' instead.",
  },
  {
    name: 'reqdel',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request del-header'`,
    message:
      "The 'reqdel' directive is not supported anymore since HAProxy 2.1. Use 'http-request del-header' instead.",
  },
  {
    name: 'reqdeny',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request deny'`,
    message: "The 'reqdeny' not supported anymore since HAProxy 2.1. Use 'http-request deny' instead.",
  },
  {
    name: 'reqiallow',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request allow'`,
    message:
      "The 'reqiallow' directive is not supported anymore since HAProxy 2.1. Use 'http-request allow' instead.",
  },
  {
    name: 'reqidel',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request del-header'`,
    message:
      "The 'reqidel' directive is not supported anymore since HAProxy 2.1. Use 'http-request del-header' instead.",
  },
  {
    name: 'reqideny',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request deny'`,
    message:
      "The 'reqideny' directive is not supported anymore since HAProxy 2.1. Use 'http-request deny' instead.",
  },
  {
    name: 'reqipass',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; delete it (it had no effect)`,
    message: "The 'reqipass' directive is not supported anymore since HAProxy 2.1.",
  },
  {
    name: 'reqirep',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request replace-header'`,
    message:
      "The 'reqirep' directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-header' instead.",
  },
  {
    name: 'reqisetbe',
    where: 'proxy',
    level: 'alert',
    hint: "removed long ago; use 'use_backend' with an ACL",
    recognised: false,
  },
  {
    name: 'reqitarpit',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request tarpit'`,
    message:
      "The 'reqitarpit' directive is not supported anymore since HAProxy 2.1. Use 'http-request tarpit' instead.",
  },
  {
    name: 'reqpass',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; delete it (it had no effect)`,
    message: "The 'reqpass' not supported anymore since HAProxy 2.1.",
  },
  {
    name: 'reqrep',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request replace-path', 'replace-uri' or 'replace-header'`,
    message:
      "The 'reqrep' directive is not supported anymore since HAProxy 2.1. Use 'http-request replace-path', 'http-request replace-uri' or 'http-request replace-header' instead.",
  },
  {
    name: 'reqsetbe',
    where: 'proxy',
    level: 'alert',
    hint: "removed long ago; use 'use_backend' with an ACL",
    recognised: false,
  },
  {
    name: 'reqtarpit',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-request tarpit'`,
    message:
      "The 'reqtarpit' directive is not supported anymore since HAProxy 2.1. Use 'http-request tarpit' instead.",
  },
  {
    name: 'resolution_pool_size',
    where: 'resolvers',
    level: 'alert',
    hint: 'never part of a stable release; delete it',
  },
  {
    name: 'rspadd',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response add-header'`,
    message:
      "The 'rspadd' directive is not supported anymore since HAProxy 2.1. Use 'http-response add-header' instead.",
  },
  {
    name: 'rspdel',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response del-header'`,
    message:
      "The 'rspdel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' .",
  },
  {
    name: 'rspdeny',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response deny'`,
    message:
      "The 'rspdeny' directive is not supported anymore since HAProxy 2.1. Use 'http-response deny' instead.",
  },
  {
    name: 'rspidel',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response del-header'`,
    message:
      "The 'rspidel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' instead.",
  },
  {
    name: 'rspideny',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response deny'`,
    message:
      "The 'rspideny' directive is not supported anymore since HAProxy 2.1. Use 'http-response deny' instead.",
  },
  {
    name: 'rspirep',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response replace-header'`,
    message:
      "The 'rspirep' directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead.",
  },
  {
    name: 'rsprep',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response replace-header'`,
    message:
      "The 'rsprep' directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead.",
  },
  {
    name: 'srvexp',
    where: 'proxy',
    level: 'alert',
    hint: `${REQ_GONE}; use 'http-response replace-header'`,
    message:
      "The 'srvexp' directive is not supported anymore since HAProxy 2.1. Use 'http-response replace-header' instead.",
  },
  {
    name: 'srvtimeout',
    where: 'proxy',
    level: 'alert',
    hint: "use 'timeout server'",
    message: "the 'srvtimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout server'.",
  },
  {
    name: 'tune.chksize',
    where: 'global',
    level: 'alert',
    hint: "delete it; check buffers now follow 'tune.bufsize'",
    message: "option 'tune.chksize' is not supported any more (tune.bufsize is used instead).",
    tight: true,
  },
  {
    name: 'tune.ssl.capture-cipherlist-size',
    where: 'global',
    level: 'warning',
    hint: "deprecated (still applied); use 'tune.ssl.capture-buffer-size'",
    message:
      "'tune.ssl.capture-cipherlist-size' is deprecated and will be removed in version 2.7. Please use 'tune.ssl.capture-buffer-size' instead.",
    tight: true,
  },
];

/**
 * The option names HAProxy 2.6 compares an unknown `option` with, in its order (its two
 * tables of flag options, then the common options it adds): the order breaks ties.
 */
export const OPTION_SUGGESTIONS: readonly string[] = [
  'abortonclose',
  'allbackups',
  'checkcache',
  'clitcpka',
  'contstats',
  'dontlognull',
  'http-buffer-request',
  'http-ignore-probes',
  'idle-close-on-response',
  'prefer-last-server',
  'logasap',
  'nolinger',
  'persist',
  'srvtcpka',
  'transparent',
  'splice-request',
  'splice-response',
  'splice-auto',
  'accept-invalid-http-request',
  'accept-invalid-http-response',
  'dontlog-normal',
  'log-separate-errors',
  'log-health-checks',
  'socket-stats',
  'tcp-smart-accept',
  'tcp-smart-connect',
  'independent-streams',
  'http-use-proxy-header',
  'http-pretend-keepalive',
  'http-no-delay',
  'h1-case-adjust-bogus-client',
  'h1-case-adjust-bogus-server',
  'disable-h2-upgrade',
  'httpclose',
  'http-server-close',
  'http-keep-alive',
  'redispatch',
  'httplog',
  'tcplog',
  'tcpka',
  'httpchk',
  'ssl-hello-chk',
  'smtpchk',
  'pgsql-check',
  'redis-check',
  'mysql-check',
  'ldap-check',
  'spop-check',
  'tcp-check',
  'external-check',
  'forwardfor',
  'original-to',
];
