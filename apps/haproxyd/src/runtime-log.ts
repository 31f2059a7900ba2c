/**
 * Traffic logs: the `log` lines of the global section and of each proxy (`log global`,
 * `log <target> …`, `no log`), `option httplog [clf]`, `option httpslog`, `option tcplog`,
 * `log-format`, `log-format-sd` (the structured data of rfc5424 targets), `option
 * dontlognull`, `option dontlog-normal`, `option logasap`, `option log-separate-errors`,
 * `log-tag` and `log-send-hostname` become, per frontend, a sink that renders and sends one
 * line per stream (per request in HTTP); a proxy with a `log` and no log format sends
 * HAProxy's accept-time "Connect from" line instead. What is not honoured yet is an alert at
 * its line.
 */

import type { ConfigModel, Diagnostic, Directive, ProxyModel } from '@hap/config';
import {
  createLogger,
  createLogRecord,
  defaultConnectLine,
  embryonicLogLine,
  LOG_ERR,
  LOG_INFO,
  type LogFormat,
  type Logger,
  type LogLevelName,
  type LogRecord,
  type LogTarget,
  logFormatFor,
  logLevel,
  parseLogDirective,
  parseLogFormat,
  type SendOptions,
  type StreamLogPolicy,
  streamLogLevel,
} from '@hap/log';
import { connectionAddresses, type FrontendLog, PROXY_ERROR_CONN_CODE } from '@hap/proxy';
import { alertAt } from './alerts.ts';
import { proxyRefs } from './proxy-ids.ts';
import { chain } from './runtime-http.ts';

const CO_ER_PRX_EMPTY = PROXY_ERROR_CONN_CODE.HAP_ERR_PROXY_EMPTY;
const CO_ER_PRX_ABORT = PROXY_ERROR_CONN_CODE.HAP_ERR_PROXY_ABORT;

/** Proxy keywords this module honours (the others of the family are refused). */
const FORMAT_KEYWORDS = new Set(['option httplog', 'option httpslog', 'option tcplog', 'log-format']);
const FLAG_OPTIONS = new Set([
  'option dontlognull',
  'option log-separate-errors',
  'option dontlog-normal',
  'option logasap',
]);

const alert = (out: Diagnostic[], d: Directive, message: string) =>
  alertAt(out, 'HAP_ERR_NOT_SERVED', d, d.keyword, message);

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
  /**
   * Where a proxy's own messages go (HAProxy's send_log(proxy): the SIGHUP dump): the log
   * targets of any proxy, backends included, with its `log-tag`; undefined when it has none.
   * Made on first use, not on a hot path.
   */
  proxyLog(name: string): ((level: LogLevelName, text: string) => void) | undefined;
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
  const proxyLogs = new Map<string, ((level: LogLevelName, text: string) => void) | undefined>();

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
      let dontlogNormal = false;
      let logasap = false;
      let sdLine: Directive | undefined;
      let errorLine: Directive | undefined;
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
            else if (k === 'option httpslog') formatDirective = { kind: 'httpslog' };
            else if (d.args[2] !== undefined && d.args[2] !== 'clf') {
              alert(out, d, `'option httplog' only accepts 'clf' as an argument.`);
            } else formatDirective = { kind: 'httplog', clf: d.args[2] === 'clf' };
          } else if (FLAG_OPTIONS.has(k)) {
            d.supported = true;
            const on = d.modifier !== 'no';
            if (k === 'option dontlognull') dontlognull = on;
            else if (k === 'option log-separate-errors') separateErrors = on;
            else if (k === 'option dontlog-normal') dontlogNormal = on;
            else logasap = on;
          } else if (k === 'log-format-sd') {
            d.supported = true;
            sdLine = d;
          } else if (k === 'error-log-format') {
            d.supported = true;
            errorLine = d;
          } else if (k === 'log-tag') {
            proxyTag = d.args[1];
            d.supported = true;
          }
        }
      }
      if (p.kind === 'backend' || p.kind === 'defaults') return undefined;
      const all = usesGlobal ? [...globalTargets, ...targets] : targets;
      if (all.length === 0) return undefined;
      const mode: 'tcp' | 'http' = p.mode === 'http' ? 'http' : 'tcp';
      const text = logFormatFor(formatDirective, mode);
      const compile = (fmt: string, d: Directive | undefined, keyword: string): LogFormat | undefined => {
        try {
          return parseLogFormat(fmt, {
            mode,
            logasap,
            proxies: proxyRefs(model, p),
            ...(d !== undefined ? { file: d.file, line: d.line } : {}),
          });
        } catch (err) {
          out.push({
            level: 'alert',
            code: 'HAP_ERR_NOT_SERVED',
            file: d?.file ?? p.file,
            line: d?.line ?? p.line,
            keyword: d?.keyword ?? keyword,
            message: `failed to parse ${keyword} : ${(err as Error).message}`,
          });
          return undefined;
        }
      };
      // every format is compiled, so that each bad one is reported
      let failed = false;
      let format: LogFormat | undefined;
      if (text !== undefined) {
        format = compile(text, formatLine, 'log-format');
        if (format === undefined) failed = true;
      }
      // log-format-sd: only rfc5424 targets print it, so it is rendered only when one exists
      let sd: LogFormat | undefined;
      if (sdLine !== undefined && sdLine.args[1] !== undefined && sdLine.args[1] !== '') {
        sd = compile(sdLine.args[1], sdLine, 'log-format-sd');
        if (sd === undefined) failed = true;
        if (!all.some((t) => t.format === 'rfc5424')) sd = undefined;
      }
      // error-log-format: the line of a connection that fails before it is a stream
      let errorFormat: LogFormat | undefined;
      if (errorLine !== undefined && errorLine.args[1] !== undefined && errorLine.args[1] !== '') {
        errorFormat = compile(errorLine.args[1], errorLine, 'error-log-format');
        if (errorFormat === undefined) failed = true;
      }
      if (checkOnly || failed) return undefined;
      let logger: Logger;
      if (!usesGlobal || targets.length > 0) logger = loggerFor(all);
      else {
        globalLogger ??= loggerFor(globalTargets);
        logger = globalLogger;
      }
      const tagOpts = proxyTag !== undefined ? { tag: proxyTag } : undefined;
      if (format === undefined) {
        // no log format: HAProxy's accept-time line, once per connection, and nothing at the end
        return {
          emit() {},
          accepted(r: LogRecord): void {
            logger.send(LOG_INFO, defaultConnectLine(r, mode, 1), tagOpts);
          },
        };
      }
      const line = format;
      const policy: StreamLogPolicy = { mode, dontlognull, separateErrors, dontlogNormal };
      // logasap's early line: dontlognull is not looked at then (the request came already)
      const earlyPolicy: StreamLogPolicy = { ...policy, dontlognull: false };
      let lines = 0;
      const send = (r: LogRecord, level: number | undefined): void => {
        if (level === undefined) return;
        // logged (or about to be): the stream's end sends nothing more
        r.sent = true;
        const c = counters();
        r.actconn = c.actconn;
        r.feconn = c.feconn;
        r.logCounter = lines++;
        let text: string;
        let opts: SendOptions | undefined = tagOpts;
        try {
          text = line.render(r);
          if (sd !== undefined) opts = { ...tagOpts, structuredData: sd.render(r) };
        } catch {
          // a log line must never take the stream (or the process) down
          return;
        }
        logger.send(level, text, opts);
      };
      const log: FrontendLog = {
        emit(r: LogRecord): void {
          if (!r.sent) send(r, streamLogLevel(r, policy));
        },
        // only then does a stream without rules make a sample environment for its line
        samples: line.samples || sd?.samples === true,
      };
      if (logasap) {
        log.early = (r: LogRecord): void => {
          if (!r.sent) send(r, streamLogLevel(r, earlyPolicy));
        };
      }
      const errors = errorFormat;
      log.connectionError = (client, acceptDate, listener, code, message) => {
        // dontlognull: a connection that sent nothing (closed or reset while waiting) is not logged
        if (dontlognull && (code === CO_ER_PRX_EMPTY || code === CO_ER_PRX_ABORT)) return;
        const level = separateErrors ? LOG_ERR : LOG_INFO;
        const r = createLogRecord(p.name, acceptDate);
        const a = connectionAddresses(client);
        r.clientAddress = a.src;
        r.clientPort = a.srcPort;
        r.frontendAddress = a.dst;
        r.frontendPort = a.dstPort;
        if (errors === undefined) {
          logger.send(level, embryonicLogLine(r, listener, message), tagOpts);
          return;
        }
        // as HAProxy renders a session without a stream: refused by the proxy in the request phase
        r.connError = code;
        r.termCause = 'proxy';
        r.termPhase = 'request';
        r.tClose = Math.max(0, Date.now() - acceptDate);
        const c = counters();
        // the failing connection is still counted while it is logged
        r.actconn = c.actconn + 1;
        r.feconn = c.feconn + 1;
        r.logCounter = lines++;
        let text: string;
        let opts: SendOptions | undefined = tagOpts;
        try {
          text = errors.render(r);
          if (sd !== undefined) opts = { ...tagOpts, structuredData: sd.render(r) };
        } catch {
          return;
        }
        logger.send(level, text, opts);
      };
      return log;
    },
    async close() {
      await Promise.all(loggers.map((l) => l.close()));
    },
    proxyLog(name) {
      if (checkOnly) return undefined;
      const known = proxyLogs.get(name);
      if (known !== undefined || proxyLogs.has(name)) return known;
      const p = model.proxies.find((q) => q.kind !== 'defaults' && q.name === name);
      let send: ((level: LogLevelName, text: string) => void) | undefined;
      if (p !== undefined) {
        let targets: LogTarget[] = [];
        let usesGlobal = false;
        let proxyTag: string | undefined;
        for (const sec of chain(model, p).reverse()) {
          for (const d of sec.directives) {
            if (d.keyword === 'log-tag') proxyTag = d.args[1];
            if (d.keyword !== 'log') continue;
            if (d.modifier === 'no') {
              targets = [];
              usesGlobal = false;
              continue;
            }
            try {
              const r = parseLogDirective(d.args, { global: false });
              if (r.kind === 'global') usesGlobal = true;
              else if (r.kind === 'none') {
                targets = [];
                usesGlobal = false;
              } else if (r.target.address.kind !== 'ring') targets.push(r.target);
            } catch {
              // reported by the configuration check
            }
          }
        }
        const all = usesGlobal ? [...globalTargets, ...targets] : targets;
        if (all.length > 0) {
          const l = loggerFor(all);
          const opts = proxyTag !== undefined ? { tag: proxyTag } : undefined;
          send = (level, text) => l.send(logLevel(level), text, opts);
        }
      }
      proxyLogs.set(name, send);
      return send;
    },
    admin() {
      if (checkOnly || globalTargets.length === 0) return undefined;
      globalLogger ??= loggerFor(globalTargets);
      const l = globalLogger;
      return (level, text) => l.send(logLevel(level), text);
    },
  };
}
