#!/usr/bin/env node
/**
 * haproxyd: HAProxy's main() as a list of phases (see DESIGN.md's start-up
 * sequence): `main()` below calls them in order, each one a call into its
 * package (serve.ts holds the thin glue).
 */

import {
  type ConfigModel,
  type Diagnostic,
  dumpKeywords,
  evaluateCondition,
  formatDiagnostic,
  type HonouredKeywords,
  type LoadResult,
  loadConfig,
} from '@hap/config';
import { type CliOptions, memoryDebugHelpText, parseArgs, usageText } from './cli.ts';
import { uses } from './features.ts';
import type { Daemon } from './serve.ts';
import {
  buildInfoText,
  ENABLED_FEATURES,
  HAPROXY_COMPAT_VERSION,
  TLS_LIBRARY_NAME,
  TLS_LIBRARY_VERSION,
  versionText,
} from './version.ts';

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

/** Phase 1a: the command line. Returns the options, or the exit code when the command line ends the run. */
function parseCommandLine(argv: readonly string[]): CliOptions | number {
  const r = parseArgs(argv);
  if (!r.ok) {
    out(versionText().split('\n')[0]!);
    err(r.error);
    err(usageText());
    return 1;
  }
  const o = r.options;
  for (const w of o.warnings) err(`[WARNING]  (${process.pid}) : ${w}`);
  switch (o.mode) {
    case 'version':
      out(versionText());
      return 0;
    case 'version-verbose':
      out(buildInfoText());
      return 0;
    case 'help':
      out(versionText().split('\n')[0]!);
      err(usageText());
      return 1;
    case 'memory-debug-help':
      out(memoryDebugHelpText());
      return 0;
    case 'check-condition':
      return checkCondition(o);
    default:
      break;
  }
  if (o.configFiles.length === 0) {
    out(versionText().split('\n')[0]!);
    err(usageText());
    return 1;
  }
  return o;
}

/** `-cc <expr>`: 0 when true, 1 when false, 2 when the expression is wrong. */
function checkCondition(o: CliOptions): number {
  const r = evaluateCondition(o.conditionExpr ?? '', {
    env: process.env,
    version: HAPROXY_COMPAT_VERSION,
    features: ENABLED_FEATURES,
    sslVersion: TLS_LIBRARY_VERSION,
    sslLibName: TLS_LIBRARY_NAME,
  });
  if (!r.ok) {
    err(`[ALERT]    (${process.pid}) : config : Failed to evaluate condition: ${r.message}`);
    return 2;
  }
  return r.value ? 0 : 1;
}

/** Phase 1b: read every -f file and directory into one checked model. */
function loadConfiguration(o: CliOptions): LoadResult {
  if (o.chdir !== undefined) process.chdir(o.chdir);
  if (o.localPeer !== undefined) process.env['HAPROXY_LOCALPEER'] = o.localPeer;
  return loadConfig(o.configFiles, {
    env: process.env,
    diagnosticMode: o.diagnosticMode,
    ignoreResolveFailures: o.ignoreResolveFailures,
    features: [...ENABLED_FEATURES],
  });
}

/**
 * Phase 1c: ACLs and rules are compiled as part of the check (bad regexes, missing map files,
 * unknown backends are alerts under -c too). The rule engine is loaded only when needed.
 */
async function compileRules(result: LoadResult): Promise<void> {
  let found: Diagnostic[] = [];
  const m = result.model;
  // the pattern references of `acl` lines are named after those lines, whoever compiles them
  if (m.proxies.some((p) => p.acls.length > 0))
    (await import('./runtime-maps-ops.ts')).declarePatternSources(m);
  const page = uses.statsPage(m) ? await import('./stats-page.ts') : undefined;
  if (page !== undefined) found.push(...page.checkStats(m));
  if (uses.rules(m)) {
    const rules = await import('./runtime-rules.ts');
    if (page !== undefined) rules.useServices(page.serviceByName);
    found.push(...rules.checkRules(m));
  }
  if (uses.stick(m)) found.push(...(await import('./runtime-stick.ts')).checkStickTables(m));
  if (uses.cookie(m)) found.push(...(await import('./runtime-cookie.ts')).checkCookies(m));
  if (uses.checks(m)) found.push(...(await import('./runtime-checks.ts')).checkHealthChecks(m));
  // certificates are read and TLS options checked as HAProxy does while parsing
  if (uses.tls(m)) found.push(...(await import('./runtime-ssl.ts')).checkTls(m));
  if (uses.h2(m)) found.push(...(await import('./runtime-h2.ts')).checkH2(m));
  if (uses.logs(m)) found.push(...(await import('./runtime-log.ts')).checkLogs(m));
  // server addresses are set up last (loadConfig did it), and only when nothing before failed
  const init = result.diagnostics.filter((d) => d.phase === 'init');
  let rest = result.diagnostics.filter((d) => d.phase !== 'init');
  const failed = found.some((d) => d.level === 'alert');
  // HAProxy stops reading at a bad HTTP rule: nothing after it, and no later phase, is reported
  const stop = firstBadHttpRule(found, m.files);
  if (stop !== undefined) {
    result.aborted = true;
    const after = (d: Diagnostic) => d.phase !== undefined || isAfter(d, stop, m.files);
    rest = rest.filter((d) => !after(d));
    found = found.filter((d) => d === stop || !after(d));
  }
  result.diagnostics = [...rest, ...found, ...(failed ? [] : init)];
  result.ok = !result.diagnostics.some((d) => d.level === 'alert');
}

const HTTP_RULE_SETS = new Set(['http-request', 'http-response', 'http-after-response']);

/** Whether `d` is placed after `stop` in the reading order of `files`. */
function isAfter(d: Diagnostic, stop: Diagnostic, files: readonly string[]): boolean {
  if (d.file === undefined || d.line === undefined) return false;
  const a = files.indexOf(d.file);
  const b = files.indexOf(stop.file ?? '');
  return a > b || (a === b && d.line > (stop.line ?? 0));
}

/** The first alert about an HTTP rule, in reading order: where HAProxy would have stopped. */
function firstBadHttpRule(found: readonly Diagnostic[], files: readonly string[]): Diagnostic | undefined {
  let first: Diagnostic | undefined;
  for (const d of found) {
    if (
      d.level !== 'alert' ||
      d.file === undefined ||
      d.phase === 'check' ||
      !HTTP_RULE_SETS.has(d.keyword ?? '')
    )
      continue;
    if (first === undefined || isAfter(first, d, files)) first = d;
  }
  return first;
}

/** What the sample and rule engines honour, for `-dK` (loaded only then). */
async function honouredKeywords(): Promise<HonouredKeywords> {
  const [{ CONVERTERS, FETCHES }, { HTTP_ACTIONS }] = await Promise.all([
    import('@hap/sample'),
    import('@hap/rules'),
  ]);
  const implemented = (list: readonly { name: string; implemented: boolean }[]) =>
    new Set(list.filter((x) => x.implemented).map((x) => x.name));
  return {
    fetches: implemented(FETCHES),
    converters: implemented(CONVERTERS),
    httpActions: HTTP_ACTIONS,
    // `use-service` names stats-page.ts serves
    services: new Set(['prometheus-exporter']),
  };
}

/** Prints diagnostics as HAProxy does; `-q` keeps only alerts. Returns whether any alert or (with -dW) warning was seen. */
function reportDiagnostics(o: CliOptions, result: LoadResult): { fatal: boolean; warnings: number } {
  let warnings = 0;
  const unhonoured = new Map<string, Diagnostic>();
  for (const d of result.diagnostics) {
    if (d.level === 'warning') warnings++;
    if (o.quiet && d.level !== 'alert') continue;
    err(formatDiagnostic(d));
  }
  // keywords that are understood but have no effect yet: one notice each, never silent
  const dirs = [
    ...result.model.global.directives,
    ...result.model.proxies.flatMap((p) => p.directives),
    ...result.model.sections.flatMap((s) => s.directives),
  ];
  for (const d of dirs) {
    for (const opt of d.unhonoured ?? []) {
      const key = `${d.keyword} … ${opt}`;
      if (unhonoured.has(key)) continue;
      unhonoured.set(key, {
        level: 'notice',
        code: 'HAP_CFG_NOT_HONOURED',
        file: d.file,
        line: d.line,
        keyword: d.keyword,
        message: `'${d.keyword}' option '${opt}' is understood but has no effect in haproxyd yet.`,
      });
    }
    if (d.supported || unhonoured.has(d.keyword)) continue;
    unhonoured.set(d.keyword, {
      level: 'notice',
      code: 'HAP_CFG_NOT_HONOURED',
      file: d.file,
      line: d.line,
      keyword: d.keyword,
      message: `'${d.keyword}' is understood but has no effect in haproxyd yet.`,
    });
  }
  if (!o.quiet) for (const d of unhonoured.values()) err(formatDiagnostic(d));
  const fatal = !result.ok || (o.zeroWarning && warnings > 0);
  if (!result.ok) {
    // as HAProxy: "Error(s) found" for each file with errors while reading it; "Fatal errors"
    // after those (unless reading stopped at once) or after the whole-configuration checks;
    // nothing more after the address set-up's own "Failed to initialize server(s) addr."
    const alerts = result.diagnostics.filter((d) => d.level === 'alert');
    const reading = alerts.filter((d) => d.phase === undefined);
    for (const f of result.model.files) {
      if (reading.some((d) => d.file === f)) {
        err(`[ALERT]    (${process.pid}) : config : Error(s) found in configuration file : ${f}`);
      }
    }
    const aborted = result.aborted && reading.length > 0;
    if (!aborted && alerts.some((d) => d.phase !== 'init'))
      err(`[ALERT]    (${process.pid}) : config : Fatal errors found in configuration.`);
  } else if (o.zeroWarning && warnings > 0) {
    err(
      `[ALERT]    (${process.pid}) : config : Some warnings were found and 'zero-warning' is set. Aborting.`,
    );
  }
  return { fatal, warnings };
}

/** A master's reload (master.ts): phase 1 again; the -C directory is already the current one. */
async function reloadConfiguration(o: CliOptions): Promise<ConfigModel | undefined> {
  const { chdir: _, ...again } = o;
  const config = loadConfiguration(again);
  // rules are compiled even when other lines have errors: HAProxy reports both in one pass
  await compileRules(config);
  return reportDiagnostics(o, config).fatal ? undefined : config.model;
}

/** Whether the configuration binds anything: an enabled frontend's `bind`, or a stats socket. */
function hasListener(model: ConfigModel): boolean {
  return (
    model.proxies.some(
      (p) => (p.kind === 'frontend' || p.kind === 'listen') && !p.disabled && p.binds.length > 0,
    ) || model.global.directives.some((d) => d.keyword === 'stats socket')
  );
}

async function main(argv: readonly string[]): Promise<number> {
  // 1. init: command line, configuration, keyword dump; -c stops here
  const o = parseCommandLine(argv);
  if (typeof o === 'number') return o;
  const config = loadConfiguration(o);
  // rules are compiled even when other lines have errors: HAProxy reports both in one pass
  await compileRules(config);
  if (o.dumpKeywordClasses !== undefined) out(dumpKeywords(o.dumpKeywordClasses, await honouredKeywords()));
  if (o.dumpModel === 'json') out(JSON.stringify(config.model, null, 2));
  const { fatal, warnings } = reportDiagnostics(o, config);
  if (fatal) return 1;
  if (o.mode === 'check') {
    if (warnings > 0 && !o.quiet) out('Warnings were found.');
    // as HAProxy: a valid configuration that would bind nothing cannot start
    if (!hasListener(config.model)) {
      if (!o.quiet) out('Configuration file has no error but will not start (no listener) => exit(2).');
      return 2;
    }
    if (!o.quiet) out('Configuration file is valid');
    return 0;
  }
  // master-worker mode: this process is the master, unless a master started it as its worker
  let worker: typeof import('./master.ts') | undefined;
  if (o.masterWorker || config.model.global.masterWorker) {
    worker = await import('./master.ts');
    if (!worker.isMasterWorker()) return worker.runMaster(o, config.model, () => reloadConfiguration(o));
  }
  // the serving phases are loaded only now: `-c` runs dozens of times per test and stays cold-start cheap
  const p = await import('./serve.ts');
  const d = await p.prepare(o, config.model);
  if (!d) return 1;
  const link = worker?.attachWorker(d); // a master's worker: its link to the master
  if (!(await p.resolveServers(d))) return 1; // server host names, once, with the system resolver
  p.registerSignals(d); // 2. signal_register: handlers run from the loop
  if (!(await p.startProxies(d))) return 1; // 3. bind, with the old-pid SIGTTOU/SIGTTIN dance
  if (!p.checkListeners(d)) return 1; // 4. listeners == 0
  // 5. protocol_bind_all is done: the sockets exist; 6. SIGTTOU/SIGTTIN are registered
  p.enterQuietMode(d); // 7. quiet mode
  if (!p.openPidfile(d)) return cleanExit(p, d, 1); // 8. pidfile, before chroot
  if (!p.raiseFdLimit(d)) return cleanExit(p, d, 1); // 12. ulimits (before a worker is started, so it inherits them)
  if (p.wantsDaemon(d)) return p.daemonize(d); // 13. daemon: a detached worker takes the sockets; this process leaves
  if (!(await p.startStatsSockets(d))) return cleanExit(p, d, 1); // 13b. stats sockets, before chroot and setuid
  await p.readServerStateFiles(d); // 13c. server-state-file, read before chroot
  if (!p.chroot(d)) return cleanExit(p, d, 1); // 9. chroot
  p.tellOldPids(d); // 10. old processes: we are in charge now
  if (!p.dropPrivileges(d)) return cleanExit(p, d, 1); // 11. setgid / setuid
  await p.restoreServerStates(d, link); // 13d. the previous process's server states, before accepting
  p.enableListeners(d); // 14. protocol_enable_all
  p.startHealthChecks(d); // 14b. health checks (HAProxy starts them with the tasks)
  await p.runPollLoop(d); // 15. run_poll_loop until no job remains
  p.deinit(d); // 16. deinit
  p.dieByStopSignal(d); // SIGINT/SIGTERM end the process by that signal, as in HAProxy
  return d.exitCode;
}

function cleanExit(p: typeof import('./serve.ts'), d: Daemon, code: number): number {
  p.deinit(d);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `[ALERT]    (${process.pid}) : haproxyd: unexpected error: ${(err as Error).stack ?? String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
