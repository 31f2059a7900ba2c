/**
 * Traffic logs: the `log` lines of the global section and of each proxy (`log global`,
 * `log <target> …`, `no log`), `option httplog [clf]`, `option tcplog`, `log-format`,
 * `option dontlognull`, `option log-separate-errors`, `log-tag` and `log-send-hostname`
 * become, per frontend, a sink that renders and sends one line per stream (per request in
 * HTTP). What is not honoured yet is an alert at its line.
 */

import type { ConfigModel, Diagnostic, Directive, ProxyModel } from '@hap/config';
import {
  createLogger,
  type LogFormat,
  type Logger,
  type LogLevelName,
  type LogRecord,
  type LogTarget,
  logFormatFor,
  logLevel,
  parseLogDirective,
  parseLogFormat,
  streamLogLevel,
} from '@hap/log';
import type { FrontendLog } from '@hap/proxy';
import { chain } from './runtime-http.ts';

/** Proxy keywords this module honours (the others of the family are refused). */
const FORMAT_KEYWORDS = new Set(['option httplog', 'option tcplog', 'log-format']);
const FLAG_OPTIONS = new Set(['option dontlognull', 'option log-separate-errors']);
/** Log keywords of proxies not honoured yet: an alert when used. */
const REFUSED = new Set([
  'option httpslog',
  'option dontlog-normal',
  'option logasap',
  'log-format-sd',
  'error-log-format',
]);

function alert(out: Diagnostic[], d: Directive, message: string): void {
  out.push({
    level: 'alert',
    code: 'HAP_ERR_NOT_SERVED',
    file: d.file,
    line: d.line,
    keyword: d.keyword,
    message,
  });
}

function notYet(out: Diagnostic[], d: Directive): void {
  // a defaults section is read once per frontend: one alert per line
  if (out.some((x) => x.file === d.file && x.line === d.line && x.keyword === d.keyword)) return;
  alert(out, d, `'${d.keyword}' is not supported yet by haproxyd's runtime.`);
}

export interface LogPlan {
  /** The log sink of a frontend, undefined when it logs nothing. */
  forProxy(p: ProxyModel, counters: () => { actconn: number; feconn: number }): FrontendLog | undefined;
  /** Closes every logger. */
  close(): Promise<void>;
  /**
   * Where the process's own messages go (server state changes, health check results): the
   * global `log` targets, as HAProxy's `log global` backends send them; undefined without any.
   */
  admin(): ((level: LogLevelName, text: string) => void) | undefined;
}

/**
 * The configuration check (`-c`, and before the notices of keywords without effect): every
 * log line of the frontends and listens is read and marked as honoured, its refusals
 * returned; no logger is opened.
 */
export function checkLogs(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const plan = planLogs(model, out, true);
  const none = () => ({ actconn: 0, feconn: 0 });
  for (const p of model.proxies) {
    if ((p.kind === 'frontend' || p.kind === 'listen') && !p.disabled && p.binds.length > 0) {
      plan.forProxy(p, none);
    }
  }
  return out;
}

/** Reads the log configuration; alerts go to `out`. `checkOnly`: no logger is made. */
export function planLogs(model: ConfigModel, out: Diagnostic[], checkOnly = false): LogPlan {
  const globalTargets: LogTarget[] = [];
  let tag = 'haproxy';
  let sendHostname: boolean | string | undefined;
  for (const d of model.global.directives) {
    if (d.keyword === 'log') {
      if (d.modifier !== 'none') {
        notYet(out, d);
        continue;
      }
      try {
        const r = parseLogDirective(d.args, { global: true });
        if (r.kind === 'target') {
          if (r.target.address.kind === 'ring') notYet(out, d);
          else globalTargets.push(r.target);
        }
        d.supported = true;
      } catch (err) {
        alert(out, d, (err as Error).message);
      }
    } else if (d.keyword === 'log-tag') {
      if (d.args[1] !== undefined) tag = d.args[1];
      d.supported = true;
    } else if (d.keyword === 'log-send-hostname') {
      sendHostname = d.args[1] ?? true;
      d.supported = true;
    } else if (
      d.keyword === 'log-set-hostname' ||
      d.keyword === 'log-format-sd' ||
      d.keyword === 'log-format' ||
      d.keyword === 'setenv'
    ) {
      // only the log keywords of the family concern this module
      if (d.keyword !== 'setenv') notYet(out, d);
    }
  }
  const loggers: Logger[] = [];
  const loggerFor = (targets: LogTarget[]): Logger => {
    const l = createLogger(targets, {
      tag,
      ...(sendHostname !== undefined ? { sendHostname } : {}),
    });
    loggers.push(l);
    return l;
  };
  let globalLogger: Logger | undefined;

  return {
    forProxy(p, counters) {
      // the proxy's directives after its defaults' (the nearest defaults last)
      const sections = chain(model, p).reverse();
      let targets: LogTarget[] = [];
      let usesGlobal = false;
      let formatDirective: Parameters<typeof logFormatFor>[0];
      let formatLine: Directive | undefined;
      let dontlognull = false;
      let separateErrors = false;
      let proxyTag: string | undefined;
      for (const s of sections) {
        for (const d of s.directives) {
          const k = d.keyword;
          if (k === 'log') {
            if (d.modifier === 'no') {
              targets = [];
              usesGlobal = false;
              d.supported = true;
              continue;
            }
            try {
              const r = parseLogDirective(d.args, { global: false });
              if (r.kind === 'global') usesGlobal = true;
              else if (r.kind === 'none') {
                targets = [];
                usesGlobal = false;
              } else if (r.target.address.kind === 'ring') notYet(out, d);
              else targets.push(r.target);
              d.supported = true;
            } catch (err) {
              alert(out, d, (err as Error).message);
            }
          } else if (FORMAT_KEYWORDS.has(k)) {
            d.supported = true;
            if (d.modifier === 'no') {
              formatDirective = undefined;
              continue;
            }
            formatLine = d;
            if (k === 'log-format') formatDirective = { kind: 'log-format', text: d.args[1] ?? '' };
            else if (k === 'option tcplog') formatDirective = { kind: 'tcplog' };
            else if (d.args[2] !== undefined && d.args[2] !== 'clf') {
              alert(out, d, `'option httplog' only accepts 'clf' as an argument.`);
            } else formatDirective = { kind: 'httplog', clf: d.args[2] === 'clf' };
          } else if (FLAG_OPTIONS.has(k)) {
            d.supported = true;
            const on = d.modifier !== 'no';
            if (k === 'option dontlognull') dontlognull = on;
            else separateErrors = on;
          } else if (k === 'log-tag') {
            proxyTag = d.args[1];
            d.supported = true;
          } else if (REFUSED.has(k) && d.modifier !== 'no') notYet(out, d);
        }
      }
      if (p.kind === 'backend' || p.kind === 'defaults') return undefined;
      const all = usesGlobal ? [...globalTargets, ...targets] : targets;
      if (all.length === 0) return undefined;
      const mode: 'tcp' | 'http' = p.mode === 'http' ? 'http' : 'tcp';
      const text = logFormatFor(formatDirective, mode);
      if (text === undefined) {
        // HAProxy's accept-time "Connect from" line
        if (formatLine === undefined) {
          out.push({
            level: 'alert',
            code: 'HAP_ERR_NOT_SERVED',
            file: p.file,
            line: p.line,
            keyword: 'log',
            message: `${p.kind} '${p.name}': a 'log' without a log format (the accept-time line) is not supported yet by haproxyd's runtime; add 'option tcplog' or 'option httplog'.`,
          });
        }
        return undefined;
      }
      let format: LogFormat;
      try {
        format = parseLogFormat(text, { mode });
      } catch (err) {
        out.push({
          level: 'alert',
          code: 'HAP_ERR_NOT_SERVED',
          file: formatLine?.file ?? p.file,
          line: formatLine?.line ?? p.line,
          keyword: formatLine?.keyword ?? 'log-format',
          message: `failed to parse log-format : ${(err as Error).message}`,
        });
        return undefined;
      }
      if (checkOnly) return undefined;
      let logger: Logger;
      if (!usesGlobal || targets.length > 0) logger = loggerFor(all);
      else {
        globalLogger ??= loggerFor(globalTargets);
        logger = globalLogger;
      }
      const policy = { mode, dontlognull, separateErrors };
      const sendOpts = proxyTag !== undefined ? { tag: proxyTag } : undefined;
      let lines = 0;
      return {
        emit(r: LogRecord): void {
          const level = streamLogLevel(r, policy);
          if (level === undefined) return;
          const c = counters();
          r.actconn = c.actconn;
          r.feconn = c.feconn;
          r.logCounter = lines++;
          let line: string;
          try {
            line = format.render(r);
          } catch {
            // a log line must never take the stream (or the process) down
            return;
          }
          logger.send(level, line, sendOpts);
        },
      };
    },
    async close() {
      await Promise.all(loggers.map((l) => l.close()));
    },
    admin() {
      if (checkOnly || globalTargets.length === 0) return undefined;
      globalLogger ??= loggerFor(globalTargets);
      const l = globalLogger;
      return (level, text) => l.send(logLevel(level), text);
    },
  };
}
