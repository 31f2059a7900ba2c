/**
 * Master-worker mode (`-W`, `-Ws`, `master-worker`): the glue between haproxyd's start-up
 * phases and @hap/master. This process becomes the master: it turns each configuration into
 * the list of listening sockets (the same listeners a worker creates, so the keys match),
 * lets @hap/master bind them once and start workers on them, and re-reads the configuration
 * on SIGUSR2 or the master CLI's `reload`. Workers are this same program started with the
 * same arguments: they see HAPROXYD_MASTER_PID and serve (main.ts' ordinary path), adopting
 * the inherited sockets instead of binding.
 */

import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ConfigModel } from '@hap/config';
import { closePidFile, openPidFile, writePids } from '@hap/daemon';
import { createListeners, type Listener, ListenerError } from '@hap/listeners';
import {
  attachToMaster,
  type CliBind,
  isMasterWorker,
  type ListenSpec,
  type LogLevel,
  Master,
  type MasterConfig,
  type MasterLink,
  parseCliBind,
} from '@hap/master';
import type { CliOptions } from './cli.ts';
import type { Daemon } from './serve.ts';
import { HAPROXYD_VERSION as VERSION } from './version.ts';

export { isMasterWorker };

const PROG = 'haproxyd';
/** Set in a daemonized master (`-W -D`): the fd its launcher reads the start-up report on. */
const MASTER_STARTUP_FD_ENV = 'HAPROXYD_MASTER_STARTUP_FD';

const LABEL: Record<LogLevel, string> = {
  alert: '[ALERT]    ',
  warning: '[WARNING]  ',
  notice: '[NOTICE]   ',
};

let startupFd: number | undefined;

function log(quiet: boolean, level: LogLevel, text: string): void {
  if (quiet && level !== 'alert') return;
  const line = `${LABEL[level]}(${process.pid}) : ${text}`;
  process.stderr.write(`${line}\n`);
  if (startupFd !== undefined && level === 'alert') report(line);
}

/** A daemonized master tells its launcher how the start went (alerts, then READY). */
function report(line: string): void {
  if (startupFd === undefined) return;
  try {
    writeSync(startupFd, `${line.replace(/\n/g, ' ')}\n`);
    if (line === 'READY') {
      closeSync(startupFd);
      startupFd = undefined;
    }
  } catch {
    startupFd = undefined;
  }
}

/** The listening sockets a worker running `model` will want, keyed as its listeners are. */
async function listenSpecs(o: CliOptions, model: ConfigModel): Promise<ListenSpec[] | undefined> {
  // the same runtime plan the worker builds: what it would refuse, the master refuses first
  const serve = await import('./serve.ts');
  const d = await serve.prepare(o, model);
  if (d === undefined) return undefined;
  const noReusePort = o.noReusePort || model.global.directives.some((x) => x.keyword === 'noreuseport');
  const specs: ListenSpec[] = [];
  for (const f of d.frontends) {
    const proxy = `${f.proxy.kind === 'listen' ? 'proxy' : f.proxy.kind} ${f.proxy.name}`;
    for (const b of f.binds) {
      let created: Listener[];
      try {
        created = createListeners(b, {
          onAccept: () => {},
          proxy,
          noReusePort,
          ...(f.proxy.maxconn !== undefined ? { defaultMaxconn: f.proxy.maxconn } : {}),
        });
      } catch (err) {
        log(false, 'alert', err instanceof ListenerError ? err.message : String(err));
        return undefined;
      }
      for (const l of created) specs.push(specOf(l));
    }
  }
  if (specs.length === 0) {
    log(
      false,
      'alert',
      `[${PROG}.main()] No enabled listener found (check for 'bind' directives) ! Exiting.`,
    );
    return undefined;
  }
  return specs;
}

function specOf(l: Listener): ListenSpec {
  const spec: ListenSpec = {
    key: l.key,
    family: l.family,
    host: l.host,
    port: l.port,
    backlog: l.backlog,
    reusePort: l.reusePort,
    ipv6Only: l.ipv6Only,
    where: `${l.source === null ? '' : ` [${l.source.file}:${l.source.line}]`}${l.proxy === '' ? '' : ` for ${l.proxy}`}`,
  };
  if (l.mode > 0) spec.mode = l.mode;
  if (l.user !== -1) spec.user = l.user;
  if (l.group !== -1) spec.group = l.group;
  return spec;
}

/** The few global settings the master acts on. */
async function masterConfig(o: CliOptions, model: ConfigModel): Promise<MasterConfig | undefined> {
  const listeners = await listenSpecs(o, model);
  if (listeners === undefined) return undefined;
  const c: MasterConfig = { listeners };
  const g = model.global;
  if (g.hardStopAfter !== undefined) c.hardStopAfterMs = g.hardStopAfter;
  const max = g.directives.findLast((x) => x.keyword === 'mworker-max-reloads');
  if (max !== undefined && /^\d+$/.test(max.args[1] ?? '')) c.maxReloads = Number(max.args[1]);
  // `grace`: how long a retired worker drains (still accepting, each connection closed after
  // its response) before its soft stop; haproxyd's default 500 ms
  const grace = g.directives.findLast((x) => x.keyword === 'grace');
  const graceMs = grace === undefined ? undefined : parseMs(grace.args[1] ?? '');
  if (graceMs !== undefined) c.drainMs = graceMs;
  const mw = g.directives.findLast((x) => x.keyword === 'master-worker');
  if (mw?.args[1] === 'no-exit-on-failure') c.noExitOnFailure = true;
  return c;
}

/** A HAProxy time (`500`, `500ms`, `2s`, `1m` ...) in ms, or undefined. */
function parseMs(text: string): number | undefined {
  const m = /^(\d+)(us|ms|s|m|h|d)?$/.exec(text);
  if (m === null) return undefined;
  const unit: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Math.floor(Number(m[1]) * (unit[m[2] ?? 'ms'] ?? 1));
}

/** The worker's command line: ours without -sf/-st (the master tells old processes itself). */
export function workerArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('-sf') || a.startsWith('-st')) {
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function wantsDaemon(o: CliOptions, model: ConfigModel): boolean {
  if (o.debug || o.foreground || o.systemd) return false;
  return o.daemon || model.global.daemon;
}

/**
 * Runs the master until every worker is gone; returns the exit status. `reload` re-reads the
 * configuration (phase 1 again, its diagnostics printed), undefined when it is invalid.
 */
export async function runMaster(
  o: CliOptions,
  model: ConfigModel,
  reload: () => Promise<ConfigModel | undefined>,
): Promise<number> {
  const quiet = o.quiet || (model.global.quiet && !o.verbose);
  const startup = process.env[MASTER_STARTUP_FD_ENV];
  if (startup !== undefined) {
    delete process.env[MASTER_STARTUP_FD_ENV];
    if (/^\d+$/.test(startup)) startupFd = Number(startup);
  } else if (wantsDaemon(o, model)) {
    return daemonizeMaster();
  }
  let cli: CliBind[];
  try {
    cli = o.masterCli.map(parseCliBind);
  } catch (err) {
    log(false, 'alert', (err as Error).message);
    return 1;
  }
  // the master binds its sockets once and keeps them: there is nothing to take from elsewhere
  if (o.socketForFds !== undefined && o.socketForFds !== '/dev/null')
    log(
      quiet,
      'notice',
      `-x ${o.socketForFds} has no effect in master-worker mode: the master keeps the listening sockets itself.`,
    );
  const initial = await masterConfig(o, model);
  if (initial === undefined) return 1;
  const pidPath = o.pidFile ?? model.global.pidfile;
  if (pidPath !== undefined) {
    try {
      const pf = openPidFile(pidPath, { program: PROG });
      writePids(pf, [process.pid]);
      closePidFile(pf);
    } catch (err) {
      log(false, 'alert', (err as Error).message);
      return 1;
    }
  }
  const env: NodeJS.ProcessEnv = { ...process.env, HAPROXY_MWORKER: '1' };
  delete env['NOTIFY_SOCKET'];
  process.env['HAPROXY_MWORKER'] = '1';
  const master = new Master({
    program: PROG,
    version: VERSION,
    worker: {
      args: [...process.execArgv, process.argv[1]!, ...workerArgs(process.argv.slice(2))],
      env,
      // a daemonized master has no terminal: neither have its workers
      output: startupFd !== undefined ? 'ignore' : 'inherit',
    },
    load: async () => {
      const next = await reload();
      return next === undefined ? undefined : masterConfig(o, next);
    },
    log: (level, text) => log(quiet, level, text),
    systemd: o.systemd,
    cli,
    oldPids: o.oldPids,
    ...(o.oldPidsSignal !== undefined ? { oldPidsSignal: o.oldPidsSignal } : {}),
  });
  const ok = await master.start(initial);
  if (ok) report('READY');
  const code = await master.done;
  if (!ok) report(`${LABEL.alert}(${process.pid}) : [${PROG}.main()] the master failed to start.`);
  return code;
}

/** `-W -D`: the master goes to the background; this launcher returns once its first worker serves. */
async function daemonizeMaster(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, [MASTER_STARTUP_FD_ENV]: '3' },
  });
  const pipe = child.stdio[3] as Readable;
  const result = await new Promise<{ ready: boolean; lines: string[] }>((resolve) => {
    const lines: string[] = [];
    let rest = '';
    let done = false;
    const finish = (ready: boolean) => {
      if (done) return;
      done = true;
      pipe.destroy();
      resolve({ ready, lines });
    };
    child.once('error', (err) => {
      lines.push(`${LABEL.alert}(${process.pid}) : [${PROG}.main()] Cannot start the master: ${err.message}`);
      finish(false);
    });
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      rest += chunk;
      for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n')) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (line === 'READY') return finish(true);
        lines.push(line);
      }
    });
    pipe.on('close', () => finish(false));
  });
  child.unref();
  for (const line of result.lines) process.stderr.write(`${line}\n`);
  return result.ready ? 0 : 1;
}

/**
 * Worker side, once the runtime is planned: the link to the master (CLI commands routed with
 * `@1`/`@!pid`, server state at reloads; the worker leaves when the master is gone). When
 * the master is about to retire this worker, every HTTP frontend goes into its stopping
 * state (each connection is closed after its current response) while still accepting: the
 * SIGUSR1 that follows finds few idle keep-alive connections to close.
 */
export function attachWorker(d: Daemon): MasterLink | undefined {
  const link = attachToMaster();
  // `@1 show info` on the master CLI: the worker's runtime API, whether or not the
  // configuration has a `stats socket` (HAProxy's master reaches its workers the same way)
  let api: Promise<{ execute(text: string, level: 'admin'): Promise<string> }> | undefined;
  link?.onCommand(async (cmd) => {
    api ??= import('./runtime-cli.ts').then((m) => m.createRuntimeApi(d).api);
    return (await api).execute(`${cmd}\n`, 'admin');
  });
  // at a reload, the new worker gets this one's server states and counters (runtime-state.ts)
  link?.onStateRequest(async () => (await import('./runtime-state.ts')).handOverText(d));
  link?.onDrain(() => {
    for (const f of d.frontends) {
      const fe = f.frontend as { stopping?: boolean };
      if (fe.stopping === false) fe.stopping = true;
    }
  });
  return link;
}
