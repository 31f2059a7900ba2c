/**
 * The `global` section (manual §3). Rows with a parser are checked now; the
 * `supported` flag turns true when the runtime honours the keyword. Every
 * other 2.6 global keyword comes from the catalog as "not supported yet".
 */

import { groupExists, userExists } from '../accounts.ts';
import { GLOBAL_KEYWORDS } from '../catalog/index.ts';
import { atoiI32, atolU32 } from '../units.ts';
import {
  type ArgSpec,
  checkArgs,
  intArg,
  simpleRow,
  tableOf,
  timeArg,
  tooManyArgs,
  unsupportedRow,
} from './args.ts';
import { parseBindLine } from './bind.ts';
import { parseLogLine } from './log.ts';
import { GLOBAL, type KeywordContext, type KeywordRow } from './types.ts';

function flag(name: string, apply?: (ctx: KeywordContext) => void): KeywordRow {
  return simpleRow(name, GLOBAL, 'none', false, apply);
}

function arg(name: string, spec: ArgSpec, apply?: (ctx: KeywordContext) => void): KeywordRow {
  return simpleRow(name, GLOBAL, spec, false, apply);
}

/** Rows the start-up spine honours (daemon, pidfile, chroot, identity, limits). */
function honouredFlag(name: string, apply?: (ctx: KeywordContext) => void): KeywordRow {
  return simpleRow(name, GLOBAL, 'none', true, apply);
}

function honouredArg(name: string, spec: ArgSpec, apply?: (ctx: KeywordContext) => void): KeywordRow {
  return simpleRow(name, GLOBAL, spec, true, apply);
}

function parseUserOrGroup(ctx: KeywordContext, kind: 'user' | 'group'): void {
  if (!checkArgs(ctx, 'word')) return;
  const name = ctx.args[1]!;
  const g = ctx.global;
  if (kind === 'user') {
    if (g.uid !== undefined || g.user !== undefined) ctx.alert('user/uid already specified. Continuing.');
    if (!userExists(name)) ctx.alert(`cannot find user id for '${name}' (no such user).`);
    g.user = name;
  } else {
    if (g.gid !== undefined || g.group !== undefined) ctx.alert('group/gid already specified. Continuing.');
    if (!groupExists(name)) ctx.alert(`cannot find group id for '${name}' (no such group).`);
    g.group = name;
  }
}

/**
 * `maxconnrate`, `maxsessrate`, `maxsslrate` <number>: read with atol() (no digits: 0, which
 * is no limit), a second line with a limit already set is refused and the first kept.
 */
function rateRow(name: string, field: 'maxconnrate' | 'maxsessrate' | 'maxsslrate'): KeywordRow {
  return {
    name,
    sections: GLOBAL,
    supported: true,
    parse(ctx) {
      if (tooManyArgs(ctx, 1)) return;
      if (ctx.global[field] !== 0) return ctx.alert(`'${name}' already specified. Continuing.`);
      const a = ctx.args[1];
      if (!a) return ctx.alert(`'${name}' expects an integer argument.`);
      ctx.global[field] = atolU32(a);
    },
  };
}

/**
 * `uid` / `gid` <number>: a name there is only warned about (HAProxy 2.6 points to
 * `user` / `group`) and no id is taken from it.
 */
function parseIdNumber(c: KeywordContext, name: 'uid' | 'gid'): void {
  const byName = name === 'uid' ? 'user' : 'group';
  if (c.global[name] !== undefined || c.global[byName] !== undefined)
    c.alert(`${byName}/${name} already specified. Continuing.`);
  const a = c.args[1];
  if (a === undefined) {
    c.alert(`'${name}' expects an integer argument.`);
    return;
  }
  if (tooManyArgs(c, 1)) return;
  if (!/^\d+$/.test(a)) {
    c.warning(
      ` ${name}: string '${a}' is not a number.\n   | You might want to use the '${byName}' parameter to use a system ${byName} name.`,
    );
    return;
  }
  c.global[name] = Number(a);
}

const stats: KeywordRow = {
  name: 'stats',
  sections: GLOBAL,
  supported: false,
  parse(ctx) {
    const sub = ctx.args[1];
    switch (sub) {
      case 'socket': {
        ctx.directive.keyword = 'stats socket';
        if (ctx.args[2] === undefined) {
          ctx.alert(`'stats socket' requires an address or a path.`);
          return;
        }
        const bind = parseBindLine(ctx, 2, 'stats socket');
        if (bind) ctx.global.statsSockets.push(bind);
        // served by the runtime API
        ctx.directive.supported = true;
        return;
      }
      case 'timeout':
        ctx.directive.keyword = 'stats timeout';
        ctx.directive.supported = true;
        checkArgs(ctx, 'time', 2, 'stats timeout');
        return;
      case 'maxconn':
        ctx.directive.keyword = 'stats maxconn';
        ctx.directive.supported = true;
        checkArgs(ctx, 'int', 2, 'stats maxconn');
        return;
      case 'bind-process':
        ctx.directive.keyword = 'stats bind-process';
        ctx.warning("'stats bind-process' has no effect, is deprecated, and will be removed in version 2.7.");
        return;
      default:
        ctx.alert(
          `'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '${sub ?? ''}').`,
        );
    }
  },
};

const ROWS: KeywordRow[] = [
  honouredFlag('daemon', (c) => {
    c.global.daemon = true;
  }),
  {
    name: 'master-worker',
    sections: GLOBAL,
    supported: true,
    parse(ctx) {
      const a = ctx.args[1];
      if (a !== undefined && a !== 'no-exit-on-failure')
        return ctx.alert(`'master-worker' only supports 'no-exit-on-failure' (got '${a}').`);
      if (tooManyArgs(ctx, a === undefined ? 0 : 1)) return;
      ctx.global.masterWorker = true;
    },
  },
  honouredFlag('quiet', (c) => {
    c.global.quiet = true;
  }),
  flag('noepoll'),
  flag('nopoll'),
  flag('nosplice'),
  flag('nogetaddrinfo'),
  honouredFlag('noreuseport'),
  flag('zero-warning'),
  honouredFlag('strict-limits'),
  flag('busy-polling'),
  flag('set-dumpable'),
  flag('insecure-fork-wanted'),
  flag('insecure-setuid-wanted'),
  // honoured: it lets the experimental actions (normalize-uri) be used
  simpleRow('expose-experimental-directives', GLOBAL, 'none', true),
  flag('external-check'),
  flag('h1-accept-payload-with-any-method'),
  flag('no-memory-trimming'),
  honouredArg('maxconn', 'atol', (c) => {
    c.global.maxconn = intArg(c);
  }),
  rateRow('maxconnrate', 'maxconnrate'),
  rateRow('maxsessrate', 'maxsessrate'),
  rateRow('maxsslrate', 'maxsslrate'),
  arg('maxsslconn', 'int'),
  arg('maxpipes', 'atol'),
  // the compression rate limit is kept and reported (`show info` CompressBpsRateLim, `set
  // rate-limit http-compression`) but haproxyd's compression does not bypass responses over it
  {
    name: 'maxcomprate',
    sections: GLOBAL,
    supported: true,
    parse(ctx) {
      if (tooManyArgs(ctx, 1)) return;
      const a = ctx.args[1];
      if (!a) return ctx.alert(`'${ctx.args[0]}' expects an integer argument in kb/s.`);
      ctx.global.maxcomprate = Math.imul(atoiI32(a), 1024) >>> 0;
    },
  },
  {
    name: 'maxcompcpuusage',
    sections: GLOBAL,
    supported: true,
    parse(ctx) {
      if (tooManyArgs(ctx, 1)) return;
      const a = ctx.args[1];
      const pct = a ? atoiI32(a) : -1;
      if (pct < 0 || pct > 100)
        return ctx.alert(`'${ctx.args[0]}' expects an integer argument between 0 and 100.`);
      ctx.global.maxcompcpuusage = pct;
    },
  },
  arg('maxzlibmem', 'int'),
  arg('nbthread', 'int', (c) => {
    const n = intArg(c);
    if (n === 0 || (n !== undefined && n > 4096))
      c.alert(`'nbthread' must be between 1 and 4096 (was ${n}).`);
    else c.global.nbthread = n;
  }),
  honouredArg('ulimit-n', 'atol', (c) => {
    c.global.ulimitN = intArg(c);
  }),
  honouredArg('pidfile', 'word', (c) => {
    if (c.global.pidfile !== undefined) c.alert('pidfile already specified. Continuing.');
    c.global.pidfile = c.args[1];
  }),
  honouredArg('chroot', 'word', (c) => {
    if (c.global.chroot !== undefined) c.alert('chroot already specified. Continuing.');
    c.global.chroot = c.args[1];
  }),
  { name: 'user', sections: GLOBAL, supported: true, parse: (c) => parseUserOrGroup(c, 'user') },
  { name: 'group', sections: GLOBAL, supported: true, parse: (c) => parseUserOrGroup(c, 'group') },
  { name: 'uid', sections: GLOBAL, supported: true, parse: (c) => parseIdNumber(c, 'uid') },
  { name: 'gid', sections: GLOBAL, supported: true, parse: (c) => parseIdNumber(c, 'gid') },
  honouredArg('hard-stop-after', 'time', (c) => {
    c.global.hardStopAfter = timeArg(c);
  }),
  honouredArg('grace', 'time'),
  arg('close-spread-time', 'time'),
  honouredArg('mworker-max-reloads', 'int'),
  arg('spread-checks', 'int'),
  arg('max-spread-checks', 'time'),
  arg('node', 'word'),
  arg('description', 'words'),
  arg('localpeer', 'word'),
  arg('log-tag', 'word'),
  arg('log-send-hostname', 'any'),
  honouredArg('ca-base', 'word'),
  honouredArg('crt-base', 'word'),
  honouredArg('server-state-base', 'word'),
  honouredArg('server-state-file', 'word'),
  honouredArg('ssl-default-bind-ciphers', 'word'),
  honouredArg('ssl-default-bind-ciphersuites', 'word'),
  honouredArg('ssl-default-bind-curves', 'word'),
  honouredArg('ssl-default-bind-options', 'words'),
  honouredArg('ssl-default-server-ciphers', 'word'),
  honouredArg('ssl-default-server-ciphersuites', 'word'),
  honouredArg('ssl-default-server-options', 'words'),
  honouredArg('ssl-dh-param-file', 'word'),
  honouredArg('ssl-server-verify', ['none', 'required']),
  arg('cpu-map', 'words'),
  arg('default-path', 'words'),
  arg('unix-bind', 'words'),
  arg('profiling.tasks', ['on', 'off', 'auto']),
  arg('profiling.memory', ['on', 'off']),
  arg('numa-cpu-mapping', 'none'),
  arg('thread-groups', 'int'),
  arg('fd-hard-limit', 'int'),
  arg('httpclient.resolvers.prefer', ['ipv4', 'ipv6']),
  arg('httpclient.ssl.verify', ['none', 'required']),
  arg('httpclient.ssl.ca-file', 'word'),
  arg('h1-case-adjust', 'words'),
  arg('h1-case-adjust-file', 'word'),
  {
    name: 'log',
    sections: GLOBAL,
    supported: false,
    parse(ctx) {
      parseLogLine(ctx);
    },
  },
  {
    name: 'setenv',
    sections: GLOBAL,
    supported: true,
    parse(ctx) {
      if (ctx.args.length < 3) return ctx.alert(`'setenv' expects a name and a value.`);
      if (tooManyArgs(ctx, 2)) return;
      ctx.env[ctx.args[1]!] = ctx.args[2]!;
    },
  },
  {
    name: 'presetenv',
    sections: GLOBAL,
    supported: true,
    parse(ctx) {
      if (ctx.args.length < 3) return ctx.alert(`'presetenv' expects a name and a value.`);
      if (tooManyArgs(ctx, 2)) return;
      ctx.env[ctx.args[1]!] ??= ctx.args[2]!;
    },
  },
  simpleRow('unsetenv', GLOBAL, 'words', true, (c) => {
    for (const name of c.args.slice(1)) delete c.env[name];
  }),
  simpleRow('resetenv', GLOBAL, 'any', true, (c) => {
    const keep = new Set(c.args.slice(1));
    for (const name of Object.keys(c.env)) if (!keep.has(name)) delete c.env[name];
  }),
  stats,
];

// tune.* keywords: numbers, sizes or on/off, checked by shape
const TUNE_SPECS: Record<string, ArgSpec> = {
  'tune.bufsize': 'int',
  'tune.maxrewrite': 'int',
  'tune.maxaccept': 'sint',
  'tune.maxpollevents': 'int',
  'tune.recv_enough': 'int',
  'tune.runqueue-depth': 'int',
  'tune.rcvbuf.client': 'int',
  'tune.rcvbuf.server': 'int',
  'tune.sndbuf.client': 'int',
  'tune.sndbuf.server': 'int',
  'tune.pipesize': 'int',
  'tune.http.maxhdr': 'int',
  'tune.http.cookielen': 'int',
  'tune.http.logurilen': 'int',
  'tune.idletimer': 'time',
  'tune.pattern.cache-size': 'int',
  'tune.ssl.cachesize': 'int',
  'tune.ssl.lifetime': 'time-s',
  'tune.ssl.maxrecord': 'int',
  'tune.ssl.default-dh-param': 'int',
  'tune.ssl.force-private-cache': 'none',
  'tune.ssl.capture-buffer-size': 'int',
  'tune.ssl.capture-cipherlist-size': 'int',
  'tune.ssl.ssl-ctx-cache-size': 'int',
  'tune.ssl.keylog': 'on-off',
  'tune.h2.header-table-size': 'int',
  'tune.h2.initial-window-size': 'int',
  'tune.h2.max-concurrent-streams': 'int',
  'tune.h2.max-frame-size': 'int',
  'tune.listener.multi-queue': 'on-off',
  'tune.sched.low-latency': 'on-off',
  'tune.fd.edge-triggered': 'on-off',
  'tune.idle-pool.shared': 'on-off',
  'tune.pool-high-fd-ratio': 'int',
  'tune.pool-low-fd-ratio': 'int',
  'tune.vars.global-max-size': 'size',
  'tune.vars.proc-max-size': 'size',
  'tune.vars.reqres-max-size': 'size',
  'tune.vars.sess-max-size': 'size',
  'tune.vars.txn-max-size': 'size',
  'tune.vars.check-max-size': 'size',
  'tune.comp.maxlevel': 'int',
  'tune.zlib.memlevel': 'int',
  'tune.zlib.windowsize': 'int',
  'tune.buffers.limit': 'int',
  'tune.buffers.reserve': 'int',
  'tune.chksize': 'int',
  'tune.max-checks-per-thread': 'int',
  'tune.peers.max-updates-at-once': 'int',
  'tune.fail-alloc': 'int',
};
for (const [name, spec] of Object.entries(TUNE_SPECS)) ROWS.push(arg(name, spec));

// Lua, SPOE/filters, 51Degrees, DeviceAtlas, WURFL and the like stay unsupported.
for (const name of GLOBAL_KEYWORDS) {
  if (!ROWS.some((r) => r.name === name)) ROWS.push(unsupportedRow(name, GLOBAL));
}

export const GLOBAL_TABLE: ReadonlyMap<string, KeywordRow> = tableOf(ROWS);
