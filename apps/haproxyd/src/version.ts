/**
 * Version and build information of haproxyd (-v, -vv), and the facts the configuration's
 * conditions ask about (`.if feature(...)`, `version_atleast(...)`, `openssl_version_*`).
 * haproxyd never claims to be HAProxy: it says which HAProxy version it follows.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The HAProxy release whose behaviour haproxyd follows; `version_atleast()` compares with it. */
export const HAPROXY_COMPAT_VERSION = '2.6.12';
/** The HAProxy branch, as shown to users. */
export const HAPROXY_COMPAT_BRANCH = '2.6';

// src/version.ts and dist/version.js both sit one level below the package root.
const PACKAGE_JSON = new URL('../package.json', import.meta.url);

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0-unknown';
  } catch {
    return '0.0.0-unknown';
  }
}

/** haproxyd's own version, from apps/haproxyd/package.json. */
export const HAPROXYD_VERSION: string = readPackageVersion();

/**
 * 'dev' when running from the TypeScript sources, otherwise the date this module was built
 * (YYYY/MM/DD, as HAProxy prints its release date).
 */
export function buildDate(): string {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return 'dev';
  try {
    const d = statSync(self).mtime;
    const two = (n: number) => String(n).padStart(2, '0');
    return `${d.getUTCFullYear()}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}`;
  } catch {
    return 'dev';
  }
}

const PLATFORM = process.platform;
const LINUX = PLATFORM === 'linux';
const BSD_LIKE = PLATFORM === 'darwin' || PLATFORM === 'freebsd' || PLATFORM === 'openbsd';

/**
 * HAProxy 2.6's "Feature list" names (as Debian's 2.6.12 prints them), each with '+' when
 * haproxyd has, or is designed to have, what the name stands for with HAProxy's meaning,
 * '-' otherwise. `feature(NAME)` in a condition is true exactly for the '+' names.
 *
 * Choices: OPENSSL + (Node.js embeds OpenSSL); PCRE/PCRE2 - (regexes are JavaScript's,
 * not PCRE's); LUA, THREAD, TFO, TPROXY, NS, QUIC - (no Lua, one event loop thread, no
 * socket options Node.js cannot set); ZLIB + (Node.js embeds zlib), SLZ -; PROMEX and
 * SYSTEMD + (planned with stats and -Ws); EPOLL/KQUEUE/EVPORTS follow libuv's poller on
 * this platform; POLL - (no selectable poll() poller).
 */
export const FEATURES: readonly string[] = [
  '-51DEGREES',
  '+ACCEPT4',
  '-BACKTRACE',
  '-CLOSEFROM',
  '-CPU_AFFINITY',
  '-CRYPT_H',
  '-DEVICEATLAS',
  '-DL',
  '-ENGINE',
  `${LINUX ? '+' : '-'}EPOLL`,
  `${PLATFORM === 'sunos' ? '+' : '-'}EVPORTS`,
  '+GETADDRINFO',
  `${BSD_LIKE ? '+' : '-'}KQUEUE`,
  '-LIBCRYPT',
  '-LINUX_SPLICE',
  '-LINUX_TPROXY',
  '-LUA',
  '-MEMORY_PROFILING',
  '-NETFILTER',
  '-NS',
  '-OBSOLETE_LINKER',
  '+OPENSSL',
  '-OT',
  '-PCRE',
  '-PCRE2',
  '-PCRE2_JIT',
  '-PCRE_JIT',
  '-POLL',
  '-PRCTL',
  '-PROCCTL',
  '+PROMEX',
  '-QUIC',
  '+RT',
  '-SLZ',
  '-STATIC_PCRE',
  '-STATIC_PCRE2',
  '+SYSTEMD',
  '-TFO',
  '-THREAD',
  '-THREAD_DUMP',
  '-TPROXY',
  '-WURFL',
  '+ZLIB',
];

/** The names `feature()` reports as present (the '+' entries of FEATURES, without the '+'). */
export const ENABLED_FEATURES: ReadonlySet<string> = new Set(
  FEATURES.filter((f) => f.startsWith('+')).map((f) => f.slice(1)),
);

/** TLS library, for `ssllib_name_startswith()` and `openssl_version_*()`. */
export const TLS_LIBRARY_NAME = 'OpenSSL';
/** e.g. "3.0.15" (Node.js may append "+quic" and the like; that part is dropped). */
export const TLS_LIBRARY_VERSION: string = (process.versions.openssl ?? '0').replace(/[^0-9.].*$/, '');

function runningOn(): string {
  return `Running on: ${os.type()} ${os.release()} ${os.machine()}`;
}

/** Output of -v. */
export function versionText(): string {
  return [
    `haproxyd version ${HAPROXYD_VERSION} (HAProxy ${HAPROXY_COMPAT_BRANCH} compatible) - ${buildDate()}`,
    `Follows: HAProxy ${HAPROXY_COMPAT_VERSION} configuration language and command line`,
    runningOn(),
    `Runtime: Node.js ${process.version}`,
    '',
  ].join('\n');
}

function pollerName(): string {
  if (LINUX) return 'epoll';
  if (BSD_LIKE) return 'kqueue';
  if (PLATFORM === 'sunos') return 'event ports';
  if (PLATFORM === 'win32') return 'IOCP';
  return 'poll';
}

/** Output of -vv: the -v text, then build options, features and libraries. */
export function buildInfoText(): string {
  const v = process.versions;
  const lines = [
    versionText().trimEnd(),
    'Build options :',
    `  TARGET  = ${PLATFORM}-${process.arch}`,
    `  RUNTIME = Node.js ${process.version} (V8 ${v.v8}, libuv ${v.uv})`,
    '',
    `Feature list : ${FEATURES.join(' ')}`,
    '',
    `Built with: Node.js ${process.version}, OpenSSL ${v.openssl ?? 'none'}, zlib ${v.zlib ?? 'none'}`,
    'Regular expressions : JavaScript (V8), not PCRE',
    'Multi-threading : no, one event loop per process',
    '',
    'Available polling systems :',
    `     libuv : the Node.js event loop (${pollerName()})`,
    'Total: 1 (1 usable), will use libuv.',
    '',
  ];
  return lines.join('\n');
}
