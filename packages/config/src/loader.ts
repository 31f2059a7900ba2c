/**
 * Loading: `-f` files and directories (their `*.cfg`, in lexical order), in
 * the order given, into one model; then the whole-model checks.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { runChecks } from './checks.ts';
import type { ConditionContext } from './condition.ts';
import { type Diagnostic, hasAlerts } from './diagnostics.ts';
import { checkServerAddresses } from './init-addr.ts';
import type { ConfigModel } from './model.ts';
import { newParseState, parseText } from './parser.ts';

/** The HAProxy version whose configuration language haproxyd speaks. */
export const HAPROXY_COMPAT_VERSION = '2.6.12';

/** What `feature()` finds: what haproxyd has, under HAProxy's feature names. */
export const DEFAULT_FEATURES: readonly string[] = [
  'ACCEPT4',
  'EPOLL',
  'GETADDRINFO',
  'OPENSSL',
  'PROMEX',
  'RT',
  'SYSTEMD',
  'ZLIB',
];

export interface LoadOptions {
  /** Environment for `${VAR}` expansion and `defined()`; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved from; defaults to process.cwd(). */
  cwd?: string;
  /** `-dr`: accept server host names that do not resolve. */
  ignoreResolveFailures?: boolean;
  /** `-dD`: emit `.diag` messages. */
  diagnosticMode?: boolean;
  version?: string;
  features?: readonly string[];
}

export interface LoadResult {
  ok: boolean;
  model: ConfigModel;
  diagnostics: Diagnostic[];
  /**
   * Reading stopped at an error HAProxy does not read past (a bad `http-request` rule, a
   * `.alert`, …): its check then ends without "Fatal errors found in configuration.".
   */
  aborted: boolean;
}

/** Expands directories into their `*.cfg` files (lexical order), keeps files as given. */
function expandPaths(paths: readonly string[], cwd: string, out: Diagnostic[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    const abs = isAbsolute(p) ? p : resolve(cwd, p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      files.push(p);
      continue;
    }
    if (!isDir) {
      files.push(p);
      continue;
    }
    let entries: string[];
    try {
      entries = readdirSync(abs);
    } catch (err) {
      out.push({
        level: 'alert',
        code: 'HAP_CFG_DIR',
        message: `Cannot open configuration directory ${p} : ${(err as Error).message}`,
      });
      continue;
    }
    for (const name of entries.sort()) {
      if (!name.endsWith('.cfg') || name.startsWith('.')) continue;
      const full = join(p, name);
      try {
        if (statSync(isAbsolute(full) ? full : resolve(cwd, full)).isFile()) files.push(full);
      } catch {
        // vanished between readdir and stat: HAProxy skips it too
      }
    }
  }
  return files;
}

function conditionContext(env: Record<string, string | undefined>, options: LoadOptions): ConditionContext {
  return {
    env,
    version: options.version ?? HAPROXY_COMPAT_VERSION,
    features: new Set(options.features ?? DEFAULT_FEATURES),
    sslVersion: process.versions.openssl ?? '0',
    sslLibName: 'OpenSSL',
  };
}

export function loadConfig(paths: readonly string[], options: LoadOptions = {}): LoadResult {
  const cwd = options.cwd ?? process.cwd();
  const env = { ...(options.env ?? process.env) };
  const cond = conditionContext(env, options);
  const state = newParseState(cond, options.diagnosticMode ?? false, cwd);
  state.ignoreResolveFailures = options.ignoreResolveFailures ?? false;
  const pre: Diagnostic[] = [];
  const files = expandPaths(paths, cwd, pre);
  for (const d of pre) state.sink.add(d);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(isAbsolute(file) ? file : resolve(cwd, file), 'latin1');
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'No such file or directory'
          : (err as Error).message;
      state.sink.add({
        level: 'alert',
        code: 'HAP_CFG_OPEN',
        message: `Could not open configuration file ${file} : ${reason}`,
      });
      return finish(state.model, state.sink.list, false, state);
    }
    parseText(state, text, file);
    if (state.aborted) break;
  }
  return finish(state.model, state.sink.list, !hasAlerts(state.sink.list), state);
}

/** Parses configuration text held in memory (for linters and tests). */
export function parseConfig(text: string, file = 'haproxy.cfg', options: LoadOptions = {}): LoadResult {
  const env = { ...(options.env ?? process.env) };
  const cond = conditionContext(env, options);
  const state = newParseState(cond, options.diagnosticMode ?? false, options.cwd ?? process.cwd());
  state.ignoreResolveFailures = options.ignoreResolveFailures ?? false;
  parseText(state, text, file);
  return finish(state.model, state.sink.list, !hasAlerts(state.sink.list), state);
}

function finish(
  model: ConfigModel,
  diagnostics: Diagnostic[],
  parsedCleanly: boolean,
  state: { aborted: boolean; ignoreResolveFailures: boolean },
): LoadResult {
  // like HAProxy, whole-model checks only run on a configuration that parsed, and server
  // addresses are set up only once those checks passed
  if (parsedCleanly) {
    const checks = runChecks(model);
    diagnostics.push(...checks);
    if (!hasAlerts(checks)) diagnostics.push(...checkServerAddresses(model, state.ignoreResolveFailures));
  }
  return { ok: !hasAlerts(diagnostics), model, diagnostics, aborted: state.aborted };
}
