/**
 * The command line of haproxyd: HAProxy 2.6's flags, read by HAProxy 2.6's rules.
 *
 * How HAProxy 2.6 reads its arguments (and so how this parser does):
 * - Every argument is looked at on its own; a flag is recognised by its first one or two
 *   letters and whatever follows them is ignored (`-cq` is `-c`, `-dbx` is `-db`, `-Wsx` is
 *   `-Ws`). Short flags cannot be combined. Those cases are accepted and reported in `warnings`.
 * - Any `-d<letter>` that is not a known debug flag means `-d` (debug mode).
 * - A flag that takes a value takes the next argument whatever it looks like (`-f -c` loads a
 *   file named `-c`). `-dM` and `-dK` take their value glued to the flag.
 * - `-sf` / `-st` take every following argument up to the next one starting with `-`
 *   (possibly none); the last of the two flags chooses the signal, the pids accumulate.
 * - `--` ends the flags: every later argument is a configuration file.
 * - `-v`, `-vv` and `-dMhelp` act as soon as they are read: later arguments are not looked at.
 * - A bare word, an unknown flag or a missing value is an error (HAProxy: usage, exit 1).
 *
 * Pure: no access to the process, the environment or the file system.
 */

/** What the command asks haproxyd to do. */
export type CliMode =
  /** load the configuration and serve */
  | 'run'
  /** -c: load and check the configuration, then exit */
  | 'check'
  /** -cc: evaluate `conditionExpr`, exit 0 if true, 1 if false, 2 on error */
  | 'check-condition'
  /** -v: print versionText(), exit 0 */
  | 'version'
  /** -vv: print buildInfoText(), exit 0 */
  | 'version-verbose'
  /** -h / --help (not a HAProxy flag; HAProxy prints its usage for it too): print usage, exit 1 */
  | 'help'
  /** -dMhelp: print memoryDebugHelpText() on stdout, exit 0 */
  | 'memory-debug-help';

/** What haproxyd does with an accepted flag. */
export type FlagEffect = 'honoured' | 'no-effect' | 'planned';

/** A debug flag without its own field in CliOptions. */
export interface DebugFlag {
  /** the flag as HAProxy names it, e.g. '-de' */
  flag: string;
  effect: FlagEffect;
  /** one line for the user, e.g. why it has no effect */
  note: string;
}

export interface CliOptions {
  mode: CliMode;
  /** -f arguments and the arguments after `--`, in command-line order (files or directories). */
  configFiles: string[];
  /** -cc <cond> */
  conditionExpr?: string;
  /** -q */
  quiet: boolean;
  /** -V (HAProxy: verbose wins over quiet) */
  verbose: boolean;
  /** -d (and any unknown -d<letter>): debug mode, stays in the foreground */
  debug: boolean;
  /** -db, and -Ws: do not go to the background */
  foreground: boolean;
  /** -D */
  daemon: boolean;
  /** -W, and -Ws */
  masterWorker: boolean;
  /** -Ws: systemd `Type=notify` support */
  systemd: boolean;
  /** -p <pidfile> (last one wins) */
  pidFile?: string;
  /** -sf / -st pids, in order */
  oldPids: number[];
  /** SIGUSR1 for -sf (finish), SIGTERM for -st (terminate); set by the last of the two flags */
  oldPidsSignal?: 'SIGUSR1' | 'SIGTERM';
  /** -n <maxconn>: overrides global maxconn when greater than 0 */
  maxconn?: number;
  /** -m <megabytes>: 0 means no limit */
  memoryLimitMb?: number;
  /** -N <maxpconn>: default maxconn of every proxy */
  defaultMaxconnPerProxy?: number;
  /** -L <name>: local peer name; HAProxy also exports it as HAPROXY_LOCALPEER */
  localPeer?: string;
  /** -C <dir>: change to this directory before loading the configuration */
  chdir?: string;
  /** -S <bind>[,<bind options>...]: master CLI listeners, in command-line order */
  masterCli: string[];
  /** -x <unix socket>: where to fetch the listening sockets of the old process ("/dev/null": none) */
  socketForFds?: string;
  /** -dC <format>: print the configuration model after loading it (haproxyd only; 'json') */
  dumpModel?: 'json';
  /** -dK<class,...>: keyword classes to dump once the configuration is loaded ([] for a bare -dK) */
  dumpKeywordClasses?: string[];
  /** -dW: refuse to start if the configuration produced any warning */
  zeroWarning: boolean;
  /** -dr: ignore server address resolution failures */
  ignoreResolveFailures: boolean;
  /** -dR: do not use SO_REUSEPORT */
  noReusePort: boolean;
  /** -dD: diagnostic mode */
  diagnosticMode: boolean;
  /** every other debug flag given (-de, -dp, -dS, -dG, -dL, -dV, -dM...), once each */
  debugFlags: DebugFlag[];
  /** non-fatal remarks about the command line, one line each, e.g. "'-cq' is read as '-c' ..." */
  warnings: string[];
}

export type ParseResult = { ok: true; options: CliOptions } | { ok: false; error: string };

/** How a flag finds its value. */
type ArgKind =
  /** no value */
  | 'none'
  /** the next argument, whatever it is */
  | 'next'
  /** the rest of the same argument (-dM0x41, -dKcfg) */
  | 'glued'
  /** the following arguments that do not start with '-' (-sf / -st) */
  | 'pids'
  /** every following argument (--) */
  | 'rest';

/** A handler returns nothing, an error line, or STOP to end parsing (the mode is decided). */
const STOP = Symbol('stop');
type Outcome = undefined | string | typeof STOP;

interface FlagRow {
  /** as typed, e.g. '-sf' */
  name: string;
  arg: ArgKind;
  /** for 'next': what is expected, used in the missing-value error */
  valueName?: string;
  /** matches only the argument spelled exactly like `name` */
  exact?: boolean;
  // biome-ignore lint/suspicious/noConfusingVoidType: handlers that only set fields return nothing
  apply(o: CliOptions, values: readonly string[]): Outcome | void;
}

const PROG = 'haproxyd';
const INT_MAX = 2147483647;

function err(message: string): string {
  return `${PROG}: ${message}`;
}

function nonNegativeInt(flag: string, value: string, what: string): number | string {
  if (!/^[0-9]+$/.test(value) || Number(value) > INT_MAX) {
    return err(`${flag} expects ${what}, got '${value}'`);
  }
  return Number(value);
}

function addDebugFlag(o: CliOptions, flag: string, effect: FlagEffect, note: string): undefined {
  const existing = o.debugFlags.findIndex((d) => d.flag === flag);
  if (existing >= 0) o.debugFlags.splice(existing, 1);
  o.debugFlags.push({ flag, effect, note });
}

/** Known options of -dM, as [set, clear] pairs (HAProxy 2.6 pool debugging). */
const MEMORY_DEBUG_OPTIONS: readonly (readonly [set: string, clear: string, what: string])[] = [
  ['fail', 'no-fail', 'make allocations fail at random'],
  ['no-merge', 'merge', 'keep pools of similar sizes apart'],
  ['cold-first', 'hot-first', 'reuse the least recently freed objects first'],
  ['integrity', 'no-integrity', 'check objects in the cache are not modified'],
  ['no-global', 'global', 'no cache shared between threads'],
  ['no-cache', 'cache', 'no per-thread cache'],
  ['caller', 'no-caller', 'remember which code released an object'],
  ['tag', 'no-tag', 'tag the end of each object'],
  ['poison', 'no-poison', 'fill new objects with the poison byte'],
];
const MEMORY_DEBUG_WORDS = new Set([
  ...MEMORY_DEBUG_OPTIONS.map((r) => r[0]),
  ...MEMORY_DEBUG_OPTIONS.map((r) => r[1]),
]);

/** Classes -dK knows in HAProxy 2.6; unknown ones are silently skipped there. */
export const KEYWORD_CLASSES: readonly string[] = [
  'help',
  'all',
  'acl',
  'cfg',
  'cli',
  'cnv',
  'flt',
  'smp',
  'svc',
];

/**
 * -dM[<byte>][,<option>...]: a leading number (C strtol base 0: decimal, 0x hex, 0 octal,
 * signed) counts as the poison byte only if the value ends there or goes on with ','.
 * Then comma-separated options, each known; 'help' stops everything (HAProxy exits 0).
 */
function parseMemoryDebug(o: CliOptions, value: string): Outcome {
  let rest = value;
  let poison = 'poisoning with 0x50';
  const num = /^\s*[+-]?(?:0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)/i.exec(value);
  if (value === '' || (num && (value.length === num[0].length || value[num[0].length] === ','))) {
    if (num) {
      const text = num[0].trim();
      const n = /^[+-]?0[0-7]+$/.test(text) ? Number.parseInt(text, 8) : Number(text);
      poison = n >= 0 ? `poisoning with 0x${n.toString(16)}` : 'no poisoning';
      rest = value.slice(num[0].length);
    }
  } else {
    poison = 'default poisoning';
  }
  const set: string[] = [];
  for (const word of rest.split(',')) {
    if (word === '') continue;
    if (word === 'help') return STOP;
    if (!MEMORY_DEBUG_WORDS.has(word)) return err(`-dM: unknown memory debugging option '${word}'`);
    set.push(word);
  }
  const detail = [poison, ...set].join(', ');
  addDebugFlag(o, '-dM', 'no-effect', `memory debugging (${detail}): Node.js manages its own memory`);
  return undefined;
}

/** The flags of HAProxy 2.6 (Linux build, with systemd), plus -h/--help. */
const FLAGS: readonly FlagRow[] = [
  {
    name: '-v',
    arg: 'none',
    apply: (o) => {
      o.mode = 'version';
      return STOP;
    },
  },
  {
    name: '-vv',
    arg: 'none',
    apply: (o) => {
      o.mode = 'version-verbose';
      return STOP;
    },
  },
  {
    name: '-h',
    arg: 'none',
    exact: true,
    apply: (o) => {
      o.mode = 'help';
      return STOP;
    },
  },
  {
    name: '--help',
    arg: 'none',
    exact: true,
    apply: (o) => {
      o.mode = 'help';
      return STOP;
    },
  },
  {
    name: '-f',
    arg: 'next',
    valueName: 'a configuration file or directory',
    apply: (o, [file]) => {
      if (file === '') return err(`-f expects a configuration file or directory, got ''`);
      o.configFiles.push(file!);
    },
  },
  {
    name: '--',
    arg: 'rest',
    exact: true,
    apply: (o, files) => {
      o.configFiles.push(...files);
    },
  },
  {
    name: '-c',
    arg: 'none',
    apply: (o) => {
      // -cc wins over -c whatever their order: HAProxy evaluates the condition first.
      if (o.mode === 'run') o.mode = 'check';
    },
  },
  {
    name: '-cc',
    arg: 'next',
    valueName: 'a condition',
    apply: (o, [cond]) => {
      o.mode = 'check-condition';
      o.conditionExpr = cond!;
    },
  },
  {
    name: '-q',
    arg: 'none',
    apply: (o) => {
      o.quiet = true;
    },
  },
  {
    name: '-V',
    arg: 'none',
    apply: (o) => {
      o.verbose = true;
    },
  },
  {
    name: '-D',
    arg: 'none',
    apply: (o) => {
      o.daemon = true;
    },
  },
  {
    name: '-W',
    arg: 'none',
    apply: (o) => {
      o.masterWorker = true;
    },
  },
  {
    name: '-Ws',
    arg: 'none',
    apply: (o) => {
      o.masterWorker = true;
      o.foreground = true;
      o.systemd = true;
    },
  },
  {
    name: '-p',
    arg: 'next',
    valueName: 'a pid file',
    apply: (o, [file]) => {
      o.pidFile = file!;
    },
  },
  {
    name: '-C',
    arg: 'next',
    valueName: 'a directory',
    apply: (o, [dir]) => {
      o.chdir = dir!;
    },
  },
  {
    name: '-n',
    arg: 'next',
    valueName: 'a number',
    apply: (o, [v]) => {
      const n = nonNegativeInt('-n', v!, 'a number');
      if (typeof n === 'string') return n;
      o.maxconn = n;
    },
  },
  {
    name: '-m',
    arg: 'next',
    valueName: 'a number of megabytes',
    apply: (o, [v]) => {
      const n = nonNegativeInt('-m', v!, 'a number of megabytes');
      if (typeof n === 'string') return n;
      o.memoryLimitMb = n;
    },
  },
  {
    name: '-N',
    arg: 'next',
    valueName: 'a number',
    apply: (o, [v]) => {
      const n = nonNegativeInt('-N', v!, 'a number');
      if (typeof n === 'string') return n;
      o.defaultMaxconnPerProxy = n;
    },
  },
  {
    name: '-L',
    arg: 'next',
    valueName: 'a peer name',
    apply: (o, [name]) => {
      o.localPeer = name!;
    },
  },
  {
    name: '-x',
    arg: 'next',
    valueName: 'a unix socket path',
    apply: (o, [path]) => {
      if (o.socketForFds !== undefined) o.warnings.push(err('-x given more than once, the last one is used'));
      o.socketForFds = path!;
    },
  },
  {
    name: '-S',
    arg: 'next',
    valueName: 'a bind address',
    apply: (o, [bind]) => {
      o.masterCli.push(bind!);
    },
  },
  {
    name: '-sf',
    arg: 'pids',
    apply: (o, pids) => {
      o.oldPidsSignal = 'SIGUSR1';
      return addPids(o, '-sf', pids);
    },
  },
  {
    name: '-st',
    arg: 'pids',
    apply: (o, pids) => {
      o.oldPidsSignal = 'SIGTERM';
      return addPids(o, '-st', pids);
    },
  },
  {
    name: '-d',
    arg: 'none',
    apply: (o) => {
      o.debug = true;
    },
  },
  {
    name: '-db',
    arg: 'none',
    apply: (o) => {
      o.foreground = true;
    },
  },
  {
    name: '-dD',
    arg: 'none',
    apply: (o) => {
      o.diagnosticMode = true;
    },
  },
  {
    name: '-dW',
    arg: 'none',
    apply: (o) => {
      o.zeroWarning = true;
    },
  },
  {
    name: '-dr',
    arg: 'none',
    apply: (o) => {
      o.ignoreResolveFailures = true;
    },
  },
  {
    name: '-dR',
    arg: 'none',
    apply: (o) => {
      o.noReusePort = true;
    },
  },
  {
    // not a HAProxy flag (there, -dC would mean -d): haproxyd's configuration model as JSON
    name: '-dC',
    arg: 'next',
    valueName: 'a format (json)',
    exact: true,
    apply: (o, [format]) => {
      if (format !== 'json') return err(`-dC expects 'json', got '${format}'`);
      o.dumpModel = 'json';
    },
  },
  {
    name: '-dK',
    arg: 'glued',
    apply: (o, [list]) => {
      const classes = list!.split(',').filter((c) => c !== '');
      for (const c of classes) {
        if (!KEYWORD_CLASSES.includes(c)) o.warnings.push(err(`-dK: unknown keyword class '${c}' ignored`));
      }
      o.dumpKeywordClasses = classes;
    },
  },
  {
    name: '-dM',
    arg: 'glued',
    apply: (o, [value]) => {
      const r = parseMemoryDebug(o, value!);
      if (r === STOP) o.mode = 'memory-debug-help';
      return r;
    },
  },
  debugRow('-de', 'no-effect', 'disables epoll: the Node.js event loop (libuv) chooses its poller'),
  debugRow('-dp', 'no-effect', 'disables poll: the Node.js event loop (libuv) chooses its poller'),
  debugRow('-dS', 'no-effect', 'disables splice(): haproxyd never splices'),
  debugRow('-dG', 'no-effect', 'disables getaddrinfo(): name resolution is done by Node.js'),
  debugRow('-dL', 'no-effect', 'dumps loaded shared libraries: haproxyd loads none of its own'),
  debugRow('-dV', 'planned', 'disables verification of server certificates (ssl-server-verify none)'),
];

function debugRow(name: string, effect: FlagEffect, note: string): FlagRow {
  return {
    name,
    arg: 'none',
    apply: (o) => addDebugFlag(o, name, effect, note),
  };
}

/** strtol(…, 10) accepts leading spaces and a sign, HAProxy then allows trailing spaces only. */
function addPids(o: CliOptions, flag: string, pids: readonly string[]): Outcome {
  for (const text of pids) {
    const m = /^\s*([+-]?[0-9]+)\s*$/.exec(text);
    const n = m ? Number(m[1]) : Number.NaN;
    if (!Number.isInteger(n) || n <= 0 || n > INT_MAX) {
      return err(`${flag} expects process ids, got '${text}'`);
    }
    o.oldPids.push(n);
  }
  return undefined;
}

/** Longest names first, so that '-dM' is tried before '-d' and '-vv' before '-v'. */
const LOOKUP: readonly FlagRow[] = [...FLAGS].sort((a, b) => b.name.length - a.name.length);

function findRow(arg: string): FlagRow | undefined {
  return LOOKUP.find((r) => (r.exact ? arg === r.name : arg.startsWith(r.name)));
}

/** Names of every flag the parser accepts (for usage checks and documentation). */
export const FLAG_NAMES: readonly string[] = FLAGS.map((r) => r.name);

function emptyOptions(): CliOptions {
  return {
    mode: 'run',
    configFiles: [],
    quiet: false,
    verbose: false,
    debug: false,
    foreground: false,
    daemon: false,
    masterWorker: false,
    systemd: false,
    oldPids: [],
    masterCli: [],
    zeroWarning: false,
    ignoreResolveFailures: false,
    noReusePort: false,
    diagnosticMode: false,
    debugFlags: [],
    warnings: [],
  };
}

/**
 * Reads the command line (without the node executable and script: `process.argv.slice(2)`).
 * On error, `error` is one line naming the bad argument; the caller prints it, then the usage,
 * and exits 1 (as HAProxy does).
 */
export function parseArgs(argv: readonly string[]): ParseResult {
  const o = emptyOptions();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    i++;
    if (!arg.startsWith('-')) {
      return {
        ok: false,
        error: err(`unexpected argument '${arg}': configuration files are given with -f <file> or after --`),
      };
    }
    const row = findRow(arg);
    if (!row) return { ok: false, error: err(`unknown option '${arg}'`) };

    if (row.name === '-d' && arg !== '-d') {
      o.warnings.push(
        err(`'${arg}' is not a HAProxy 2.6 debug flag; it is read as '-d' (debug mode), as HAProxy does`),
      );
    } else if (row.arg !== 'glued' && !row.exact && arg !== row.name) {
      o.warnings.push(
        err(
          `'${arg}' is read as '${row.name}': HAProxy ignores what follows a flag's letters (flags cannot be combined)`,
        ),
      );
    }

    let values: string[];
    switch (row.arg) {
      case 'none':
        values = [];
        break;
      case 'glued':
        values = [arg.slice(row.name.length)];
        break;
      case 'next': {
        const v = argv[i];
        if (v === undefined)
          return { ok: false, error: err(`${row.name} expects ${row.valueName} after it`) };
        values = [v];
        i++;
        break;
      }
      case 'pids': {
        const start = i;
        while (i < argv.length && !argv[i]!.startsWith('-')) i++;
        values = argv.slice(start, i);
        break;
      }
      case 'rest':
        values = argv.slice(i);
        i = argv.length;
        break;
    }
    const outcome = row.apply(o, values);
    if (outcome === STOP) return { ok: true, options: o };
    if (typeof outcome === 'string') return { ok: false, error: outcome };
  }

  if (o.mode !== 'check-condition' && o.configFiles.length === 0) {
    return { ok: false, error: err('no configuration file: give one with -f <file|dir> or after --') };
  }
  return { ok: true, options: o };
}

/**
 * The usage text (HAProxy prints its version first, then this on stderr, and exits 1).
 * Lists every flag of HAProxy 2.6 in HAProxy's layout; the wording is haproxyd's own.
 */
export function usageText(program = PROG): string {
  const pad = '        ';
  return [
    `Usage : ${program} [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]`,
    `${pad}[ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]`,
    `${pad}-f loads a configuration file, or the .cfg files of a directory (repeatable).`,
    `${pad}-- treats every following argument as a configuration file or directory.`,
    `${pad}-v prints the version ; -vv adds build and feature information.`,
    `${pad}-d runs in debug mode (foreground, traces) ; -db only stays in the foreground.`,
    `${pad}-dM[<byte>][,help,...] memory debugging options (accepted, no effect here)`,
    `${pad}-V verbose mode (cancels quiet mode)`,
    `${pad}-D runs as a daemon ; -C moves to <dir> before reading configuration files.`,
    `${pad}-W master-worker mode.`,
    `${pad}-Ws master-worker mode with systemd notify support.`,
    `${pad}-q quiet mode : print nothing but errors`,
    `${pad}-c checks the configuration, then exits`,
    `${pad}-cc <cond> evaluates a condition, then exits (0 true, 1 false, 2 error)`,
    `${pad}-n caps the total number of connections (global maxconn)`,
    `${pad}-m caps usable memory (in MB)`,
    `${pad}-N default maximum number of connections per proxy`,
    `${pad}-L names the local peer (default: host name)`,
    `${pad}-p writes the pid(s) to this file`,
    `${pad}-de does not use epoll()`,
    `${pad}-dp does not use poll()`,
    `${pad}-dS does not use splice()`,
    `${pad}-dG does not use getaddrinfo()`,
    `${pad}-dR does not use SO_REUSEPORT`,
    `${pad}-dL lists loaded shared objects once the configuration is checked`,
    `${pad}-dK{class[,...]} lists known keywords ('help' lists the classes)`,
    `${pad}-dC json prints the configuration model as JSON (haproxyd only)`,
    `${pad}-dr tolerates server address resolution failures`,
    `${pad}-dV does not verify server certificates`,
    `${pad}-dW refuses to start when any warning was emitted`,
    `${pad}-dD diagnostic mode : extra warnings about doubtful configuration`,
    `${pad}-sf/-st [pid ]* asks old pids to finish / terminate once started.`,
    `${pad}-x <unix_socket> takes listening sockets from the process behind this socket`,
    `${pad}-S <bind>[,<bind options>...] adds a master CLI listener`,
    '',
  ].join('\n');
}

/** Output of -dMhelp (stdout, exit 0). */
export function memoryDebugHelpText(): string {
  const lines = [
    '-dM is accepted for compatibility with HAProxy and has no effect in haproxyd (Node.js',
    'manages memory). HAProxy reads an optional poison byte right after -dM (default 0x50),',
    'then comma-separated options that set or clear memory debugging features:',
    '',
    '    set             clear            description',
    '  ---------------+----------------+-----------------------------------------',
    ...MEMORY_DEBUG_OPTIONS.map(
      ([set, clear, what]) => `    ${set.padEnd(13)}| ${clear.padEnd(15)}| ${what}`,
    ),
    '',
  ];
  return lines.join('\n');
}
