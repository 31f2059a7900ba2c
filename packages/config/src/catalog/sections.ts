// Facts from HAProxy 2.6 (v2.6.0 section parsers and configuration.txt).

/** Section kinds of HAProxy 2.6 ('namespace_list' needs a build with network namespace support). */
export type SectionKind =
  | 'global'
  | 'defaults'
  | 'frontend'
  | 'listen'
  | 'backend'
  | 'userlist'
  | 'peers'
  | 'resolvers'
  | 'mailers'
  | 'http-errors'
  | 'cache'
  | 'program'
  | 'ring'
  | 'log-forward'
  | 'fcgi-app'
  | 'namespace_list';

export const SECTION_NAMES: readonly SectionKind[] = [
  'backend',
  'cache',
  'defaults',
  'fcgi-app',
  'frontend',
  'global',
  'http-errors',
  'listen',
  'log-forward',
  'mailers',
  'namespace_list',
  'peers',
  'program',
  'resolvers',
  'ring',
  'userlist',
];

/** Sections whose content is a proxy (same keyword vocabulary, filtered by capability). */
export const PROXY_SECTIONS: readonly SectionKind[] = ['backend', 'defaults', 'frontend', 'listen'];

/** Section headers that only exist in separate files loaded by a filter (SPOE, OpenTracing), never in the main configuration. */
export const FILTER_FILE_SECTIONS: readonly string[] = [
  'ot-group',
  'ot-scope',
  'ot-tracer',
  'spoe-agent',
  'spoe-group',
  'spoe-message',
];

export type SmallSectionKind =
  | 'userlist'
  | 'peers'
  | 'resolvers'
  | 'mailers'
  | 'http-errors'
  | 'cache'
  | 'program'
  | 'ring'
  | 'log-forward'
  | 'fcgi-app'
  | 'namespace_list';

/** First words accepted inside the non-proxy, non-global sections. */
export const SECTION_KEYWORDS: Readonly<Record<SmallSectionKind, readonly string[]>> = {
  userlist: ['group', 'user'],
  peers: ['bind', 'default-bind', 'default-server', 'disabled', 'enabled', 'log', 'peer', 'server', 'table'],
  resolvers: [
    'accepted_payload_size',
    'hold',
    'nameserver',
    'parse-resolv-conf',
    'resolve_retries',
    'timeout',
  ],
  mailers: ['mailer', 'timeout'],
  'http-errors': ['errorfile'],
  cache: ['max-age', 'max-object-size', 'max-secondary-entries', 'process-vary', 'total-max-size'],
  program: ['command', 'group', 'option', 'user'],
  ring: ['description', 'format', 'maxlen', 'server', 'size', 'timeout'],
  'log-forward': ['backlog', 'bind', 'dgram-bind', 'log', 'maxconn', 'timeout'],
  'fcgi-app': [
    'acl',
    'docroot',
    'hide-header',
    'index',
    'log-stderr',
    'option',
    'pass-header',
    'path-info',
    'set-param',
    'unset-param',
  ],
  namespace_list: ['namespace'],
};

/** Second words of generic first words in those sections. */
export const SECTION_SUBKEYWORDS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  resolvers: {
    hold: ['nx', 'obsolete', 'other', 'refused', 'timeout', 'valid'],
    timeout: ['resolve', 'retry'],
  },
  mailers: { timeout: ['mail'] },
  program: { option: ['start-on-reload'] },
  ring: { timeout: ['connect', 'server'] },
  'log-forward': { timeout: ['client'] },
  'fcgi-app': { option: ['get-values', 'keep-conn', 'max-reqs', 'mpxs-conns'] },
  userlist: { user: ['groups', 'insecure-password', 'password'], group: ['users'] },
};

/** Conditional and diagnostic directives usable on any line, in any section. */
export const CONDITIONAL_DIRECTIVES: readonly string[] = [
  '.alert',
  '.diag',
  '.elif',
  '.else',
  '.endif',
  '.if',
  '.notice',
  '.warning',
];

/** Words that may precede a keyword: 'no' negates, 'default' restores the defaults-section value. */
export const KEYWORD_PREFIXES: readonly string[] = ['default', 'no'];
