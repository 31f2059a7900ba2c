// Generated from HAProxy 2.6 (haproxy -dKall of 2.6.12, v2.6.0 sources, configuration.txt).
// Regenerate by hand from those sources; conventions are described in index.ts.

/** A first word usable in defaults/frontend/listen/backend sections, with the sections accepting it. */
export interface ProxyKeyword {
  name: string;
  defaults: boolean;
  frontend: boolean;
  listen: boolean;
  backend: boolean;
  deprecated?: boolean;
}

/** First words of proxy sections (multi-word forms such as 'option X' or 'timeout X' are one row). */
export const PROXY_KEYWORDS: readonly ProxyKeyword[] = [
  { name: 'acl', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'backlog', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'balance', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'bind', defaults: false, frontend: true, listen: true, backend: false },
  { name: 'bind-process', defaults: true, frontend: true, listen: true, backend: true, deprecated: true },
  { name: 'capture', defaults: false, frontend: true, listen: true, backend: false },
  { name: 'clitcpka-cnt', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'clitcpka-idle', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'clitcpka-intvl', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'compression', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'cookie', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'declare', defaults: false, frontend: true, listen: true, backend: false },
  { name: 'default-server', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'default_backend', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'description', defaults: false, frontend: true, listen: true, backend: true },
  { name: 'disabled', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'dispatch', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'dynamic-cookie-key', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'email-alert', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'enabled', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'error-log-format', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'errorfile', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'errorfiles', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'errorloc', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'errorloc302', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'errorloc303', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'external-check', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'filter', defaults: false, frontend: true, listen: true, backend: true },
  { name: 'force-persist', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'fullconn', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'hash-balance-factor', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'hash-type', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'http-after-response', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'http-check', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'http-error', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'http-request', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'http-response', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'http-reuse', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'http-send-name-header', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'id', defaults: false, frontend: true, listen: true, backend: true },
  { name: 'ignore-persist', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'load-server-state-from-file', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'log', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'log-format', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'log-format-sd', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'log-tag', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'max-keep-alive-queue', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'max-session-srv-conns', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'maxconn', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'mode', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'monitor', defaults: false, frontend: true, listen: true, backend: false },
  { name: 'monitor-uri', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'option', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'persist', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'rate-limit', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'redirect', defaults: false, frontend: true, listen: true, backend: true },
  { name: 'retries', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'retry-on', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'server', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'server-state-file-name', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'server-template', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'source', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'srvtcpka-cnt', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'srvtcpka-idle', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'srvtcpka-intvl', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'stats', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'stick', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'stick-table', defaults: false, frontend: true, listen: true, backend: true },
  { name: 'tcp-check', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'tcp-request', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'tcp-response', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'timeout', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'transparent', defaults: true, frontend: false, listen: true, backend: true, deprecated: true },
  { name: 'unique-id-format', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'unique-id-header', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'use-fcgi-app', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'use-server', defaults: false, frontend: false, listen: true, backend: true },
  { name: 'use_backend', defaults: false, frontend: true, listen: true, backend: false },
];

/** One 'option <name>' of HAProxy 2.6. `http`: only meaningful in HTTP mode. `negatable`: 'no option <name>' is accepted. */
export interface OptionKeyword {
  name: string;
  defaults: boolean;
  frontend: boolean;
  listen: boolean;
  backend: boolean;
  http?: boolean;
  negatable: boolean;
}

export const PROXY_OPTIONS: readonly OptionKeyword[] = [
  { name: 'abortonclose', defaults: true, frontend: false, listen: true, backend: true, negatable: true },
  {
    name: 'accept-invalid-http-request',
    defaults: true,
    frontend: true,
    listen: true,
    backend: false,
    http: true,
    negatable: true,
  },
  {
    name: 'accept-invalid-http-response',
    defaults: true,
    frontend: false,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  { name: 'allbackups', defaults: true, frontend: false, listen: true, backend: true, negatable: true },
  {
    name: 'checkcache',
    defaults: true,
    frontend: false,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  { name: 'clitcpka', defaults: true, frontend: true, listen: true, backend: false, negatable: true },
  { name: 'contstats', defaults: true, frontend: true, listen: true, backend: false, negatable: true },
  {
    name: 'disable-h2-upgrade',
    defaults: true,
    frontend: true,
    listen: true,
    backend: false,
    http: true,
    negatable: true,
  },
  { name: 'dontlog-normal', defaults: true, frontend: true, listen: true, backend: false, negatable: true },
  { name: 'dontlognull', defaults: true, frontend: true, listen: true, backend: false, negatable: true },
  { name: 'external-check', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  {
    name: 'forwardfor',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    http: true,
    negatable: false,
  },
  {
    name: 'h1-case-adjust-bogus-client',
    defaults: true,
    frontend: true,
    listen: true,
    backend: false,
    negatable: true,
  },
  {
    name: 'h1-case-adjust-bogus-server',
    defaults: true,
    frontend: false,
    listen: true,
    backend: true,
    negatable: true,
  },
  {
    name: 'http-buffer-request',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  {
    name: 'http-ignore-probes',
    defaults: true,
    frontend: true,
    listen: true,
    backend: false,
    http: true,
    negatable: true,
  },
  {
    name: 'http-keep-alive',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  {
    name: 'http-no-delay',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  {
    name: 'http-pretend-keepalive',
    defaults: true,
    frontend: false,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  {
    name: 'http-restrict-req-hdr-names',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    http: true,
    negatable: false,
  },
  {
    name: 'http-server-close',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  {
    name: 'http-use-proxy-header',
    defaults: true,
    frontend: true,
    listen: true,
    backend: false,
    http: true,
    negatable: true,
  },
  { name: 'httpchk', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  {
    name: 'httpclose',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  { name: 'httplog', defaults: true, frontend: true, listen: true, backend: false, negatable: false },
  { name: 'httpslog', defaults: true, frontend: true, listen: true, backend: false, negatable: false },
  {
    name: 'idle-close-on-response',
    defaults: true,
    frontend: true,
    listen: true,
    backend: false,
    http: true,
    negatable: true,
  },
  {
    name: 'independent-streams',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    negatable: true,
  },
  { name: 'ldap-check', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  {
    name: 'log-health-checks',
    defaults: true,
    frontend: false,
    listen: true,
    backend: true,
    negatable: true,
  },
  {
    name: 'log-separate-errors',
    defaults: true,
    frontend: true,
    listen: true,
    backend: false,
    negatable: true,
  },
  { name: 'logasap', defaults: true, frontend: true, listen: true, backend: false, negatable: true },
  { name: 'mysql-check', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  { name: 'nolinger', defaults: true, frontend: true, listen: true, backend: true, negatable: true },
  {
    name: 'originalto',
    defaults: true,
    frontend: true,
    listen: true,
    backend: true,
    http: true,
    negatable: false,
  },
  { name: 'persist', defaults: true, frontend: false, listen: true, backend: true, negatable: true },
  { name: 'pgsql-check', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  {
    name: 'prefer-last-server',
    defaults: true,
    frontend: false,
    listen: true,
    backend: true,
    http: true,
    negatable: true,
  },
  { name: 'redis-check', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  { name: 'redispatch', defaults: true, frontend: false, listen: true, backend: true, negatable: true },
  { name: 'smtpchk', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  { name: 'socket-stats', defaults: true, frontend: true, listen: true, backend: false, negatable: true },
  { name: 'splice-auto', defaults: true, frontend: true, listen: true, backend: true, negatable: true },
  { name: 'splice-request', defaults: true, frontend: true, listen: true, backend: true, negatable: true },
  { name: 'splice-response', defaults: true, frontend: true, listen: true, backend: true, negatable: true },
  { name: 'spop-check', defaults: false, frontend: false, listen: false, backend: true, negatable: false },
  { name: 'srvtcpka', defaults: true, frontend: false, listen: true, backend: true, negatable: true },
  { name: 'ssl-hello-chk', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  { name: 'tcp-check', defaults: true, frontend: false, listen: true, backend: true, negatable: false },
  { name: 'tcp-smart-accept', defaults: true, frontend: true, listen: true, backend: false, negatable: true },
  {
    name: 'tcp-smart-connect',
    defaults: true,
    frontend: false,
    listen: true,
    backend: true,
    negatable: true,
  },
  { name: 'tcpka', defaults: true, frontend: true, listen: true, backend: true, negatable: false },
  { name: 'tcplog', defaults: true, frontend: true, listen: true, backend: true, negatable: false },
  { name: 'transparent', defaults: true, frontend: false, listen: true, backend: true, negatable: true },
];

export interface TimeoutName {
  name: string;
  defaults: boolean;
  frontend: boolean;
  listen: boolean;
  backend: boolean;
}

/** 'timeout <name>' in proxy sections. */
export const TIMEOUT_NAMES: readonly TimeoutName[] = [
  { name: 'check', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'client', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'client-fin', defaults: true, frontend: true, listen: true, backend: false },
  { name: 'connect', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'http-keep-alive', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'http-request', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'queue', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'server', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'server-fin', defaults: true, frontend: false, listen: true, backend: true },
  { name: 'tarpit', defaults: true, frontend: true, listen: true, backend: true },
  { name: 'tunnel', defaults: true, frontend: false, listen: true, backend: true },
];

/** 'stats <x>' in proxy sections. */
export const STATS_SUBKEYWORDS: readonly string[] = [
  'admin',
  'auth',
  'enable',
  'hide-version',
  'http-request',
  'realm',
  'refresh',
  'scope',
  'show-desc',
  'show-legends',
  'show-modules',
  'show-node',
  'uri',
];

/** Second words of other multi-word proxy keywords ('option', 'timeout', 'stats', rule sets and checks have their own lists). */
export const PROXY_SUBKEYWORDS: Readonly<Record<string, readonly string[]>> = {
  capture: ['cookie', 'request', 'response'],
  declare: ['capture'],
  'email-alert': ['from', 'level', 'mailers', 'myhostname', 'to'],
  'external-check': ['command', 'path'],
  monitor: ['fail'],
  persist: ['rdp-cookie'],
  'rate-limit': ['sessions'],
  stick: ['match', 'on', 'store-request', 'store-response'],
  'tcp-request': ['connection', 'content', 'inspect-delay', 'session'],
  'tcp-response': ['content', 'inspect-delay'],
};

/** Values of 'mode'. */
export const PROXY_MODES: readonly string[] = ['http', 'tcp'];

/** Values of 'http-reuse'. */
export const HTTP_REUSE_MODES: readonly string[] = ['aggressive', 'always', 'never', 'safe'];

/** Words accepted after 'hash-type' (method, then optional function and modifier). */
export const HASH_TYPE_WORDS: readonly string[] = [
  'avalanche',
  'consistent',
  'crc32',
  'djb2',
  'map-based',
  'sdbm',
  'wt6',
];

/** Options of the proxy 'cookie' keyword. */
export const COOKIE_OPTIONS: readonly string[] = [
  'attr',
  'domain',
  'dynamic',
  'httponly',
  'indirect',
  'insert',
  'maxidle',
  'maxlife',
  'nocache',
  'postonly',
  'preserve',
  'prefix',
  'rewrite',
  'secure',
];

/** Options of 'redirect' (and 'http-request redirect'); the first word after 'redirect' is location, prefix or scheme. */
export const REDIRECT_OPTIONS: readonly string[] = [
  'append-slash',
  'clear-cookie',
  'code',
  'drop-query',
  'ignore-empty',
  'location',
  'prefix',
  'scheme',
  'set-cookie',
];

/** Arguments of 'stick-table' (and the peers-section 'table'). */
export const STICK_TABLE_ARGS: readonly string[] = [
  'expire',
  'nopurge',
  'peers',
  'size',
  'srvkey',
  'store',
  'type',
];

/** Key types of 'stick-table type'. */
export const STICK_TABLE_TYPES: readonly string[] = ['binary', 'integer', 'ip', 'ipv6', 'string'];

/** Health-check rules: 'http-check <x>'. Entries ending in '(' take a parenthesised argument. */
export const HTTP_CHECK_KEYWORDS: readonly string[] = [
  'comment',
  'connect',
  'disable-on-404',
  'expect',
  'send',
  'send-state',
  'set-var(',
  'unset-var(',
];

/** Health-check rules: 'tcp-check <x>'. Entries ending in '(' take a parenthesised argument. */
export const TCP_CHECK_KEYWORDS: readonly string[] = [
  'comment',
  'connect',
  'expect',
  'send',
  'send-binary',
  'send-binary-lf',
  'send-lf',
  'set-var(',
  'unset-var(',
];

export interface BalanceAlgorithm {
  name: string;
  args: 'none' | 'optional' | 'required';
}

/** 'balance' algorithms. 'hdr(' is written with its parenthesised header name; 'rdp-cookie' optionally takes '(name)'. */
export const BALANCE_ALGORITHMS: readonly BalanceAlgorithm[] = [
  { name: 'first', args: 'none' },
  { name: 'hash', args: 'required' },
  { name: 'hdr(', args: 'required' },
  { name: 'leastconn', args: 'none' },
  { name: 'random', args: 'optional' },
  { name: 'rdp-cookie', args: 'optional' },
  { name: 'roundrobin', args: 'none' },
  { name: 'source', args: 'none' },
  { name: 'static-rr', args: 'none' },
  { name: 'uri', args: 'optional' },
  { name: 'url_param', args: 'required' },
];
