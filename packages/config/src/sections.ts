/**
 * Section handlers: what a section header does, and how its lines reach the
 * keyword tables. One handler per HAProxy section name.
 */

import { isAbsolute, resolve } from 'node:path';
import type { Diagnostic } from './diagnostics.ts';
import { GLOBAL_TABLE } from './keywords/global.ts';
import { copyDefaults, PROXY_TABLE } from './keywords/proxy.ts';
import { OTHER_SECTIONS } from './keywords/sections-other.ts';
import type { KeywordContext, KeywordRow, SectionClass } from './keywords/types.ts';
import { type Directive, newProxy, type OtherSection, type ProxyKind, type ProxyModel } from './model.ts';
import type { ParseState } from './parser.ts';
import { bestMatch } from './suggest.ts';

export interface SectionHandler {
  readonly name: string;
  begin(state: ParseState, args: string[], file: string, line: number): void;
  keyword(
    state: ParseState,
    args: string[],
    modifier: Directive['modifier'],
    file: string,
    line: number,
  ): void;
  end?(state: ParseState): void;
}

/** Characters HAProxy accepts in proxy, server and section names. */
export function invalidNameChar(name: string): string | undefined {
  for (const ch of name) {
    if (!/[A-Za-z0-9._:-]/.test(ch)) return ch;
  }
  return undefined;
}

function makeContext(
  state: ParseState,
  args: string[],
  modifier: Directive['modifier'],
  file: string,
  line: number,
  proxy: ProxyModel | undefined,
  directive: Directive,
): KeywordContext {
  const sink = state.sink;
  const push = (level: Diagnostic['level'], message: string) => {
    sink.add({ level, code: `HAP_CFG_${level.toUpperCase()}`, message, file, line, keyword: args[0]! });
  };
  return {
    args,
    file,
    line,
    modifier,
    sink,
    model: state.model,
    global: state.model.global,
    proxy,
    directive,
    env: state.cond.env as Record<string, string | undefined>,
    ignoreResolveFailures: state.ignoreResolveFailures,
    resolvePath: (p) => (isAbsolute(p) ? p : resolve(state.cwd, p)),
    alert: (m) => push('alert', m),
    warning: (m) => push('warning', m),
    notice: (m) => push('notice', m),
  };
}

/** Runs one table row: unsupported rows alert, supported ones parse. */
function runRow(
  row: KeywordRow,
  state: ParseState,
  args: string[],
  modifier: Directive['modifier'],
  file: string,
  line: number,
  proxy: ProxyModel | undefined,
  owner: { directives: Directive[] },
): void {
  const directive: Directive = { file, line, keyword: args[0]!, args, modifier, supported: row.supported };
  if (!row.parse) {
    state.sink.alert(
      'HAP_CFG_NOT_SUPPORTED',
      `'${args[0]}' is a HAProxy keyword that haproxyd does not support yet.`,
      file,
      line,
      args[0],
    );
    return;
  }
  const ctx = makeContext(state, args, modifier, file, line, proxy, directive);
  const before = state.sink.list.length;
  row.parse(ctx);
  let failed = false;
  for (let i = before; i < state.sink.list.length; i++)
    if (state.sink.list[i]!.level === 'alert') failed = true;
  if (!failed) owner.directives.push(directive);
}

function unknownKeyword(
  state: ParseState,
  kw: string,
  section: string,
  table: ReadonlyMap<string, KeywordRow>,
  file: string,
  line: number,
): void {
  const best = bestMatch(kw, table.keys());
  state.sink.alert(
    'HAP_CFG_UNKNOWN_KEYWORD',
    `unknown keyword '${kw}' in '${section}' section${best ? `; did you mean '${best}' maybe ?` : ''}`,
    file,
    line,
    kw,
  );
}

const globalHandler: SectionHandler = {
  name: 'global',
  // a configuration may repeat 'global'; every block adds to the same settings
  begin(state, args, file, line) {
    if (args.length > 1) {
      state.sink.alert(
        'HAP_CFG_GLOBAL_ARG',
        `'global' cannot handle unexpected argument '${args[1]}'.`,
        file,
        line,
        'global',
      );
    }
  },
  keyword(state, args, modifier, file, line) {
    const row = GLOBAL_TABLE.get(args[0]!);
    if (!row) return unknownKeyword(state, args[0]!, 'global', GLOBAL_TABLE, file, line);
    runRow(row, state, args, modifier, file, line, undefined, state.model.global);
  },
};

/** Proxy sections: the last anonymous defaults, or a named one with `from`. */
interface ProxyParseState {
  current: ProxyModel | undefined;
  lastDefaults: ProxyModel | undefined;
  /** The header could not be read at all: HAProxy has no proxy, every line of the section is refused. */
  broken: boolean;
}

/** Rule sets a named defaults section may hold but an anonymous one may not. */
const ANON_DEFAULTS_FORBIDDEN = new Set([
  'http-request',
  'http-response',
  'http-after-response',
  'tcp-request',
  'tcp-response',
  'http-error',
  'http-check',
  'tcp-check',
]);

const proxyStates = new WeakMap<ParseState, ProxyParseState>();

function proxyState(state: ParseState): ProxyParseState {
  let ps = proxyStates.get(state);
  if (!ps) {
    ps = { current: undefined, lastDefaults: undefined, broken: false };
    proxyStates.set(state, ps);
  }
  return ps;
}

function makeProxyHandler(kind: ProxyKind): SectionHandler {
  return {
    name: kind,
    begin(state, args, file, line) {
      const ps = proxyState(state);
      const { sink } = state;
      ps.current = undefined;
      ps.broken = false;
      const name = args[1] ?? '';
      if (kind !== 'defaults' && name === '') {
        sink.alert('HAP_CFG_PROXY_NAME', `'${kind}' expects an <id> argument`, file, line, kind);
        state.aborted = true;
        return;
      }
      const bad = invalidNameChar(name);
      if (bad !== undefined) {
        sink.alert(
          'HAP_CFG_PROXY_NAME',
          `character '${bad}' is not permitted in '${kind}' name '${name}'.`,
          file,
          line,
          kind,
        );
        return;
      }
      let fromName: string | undefined;
      if (args.length > 2) {
        // HAProxy once took a listening address here; it still reads a word other
        // than 'from' that way, refuses it, and then has no proxy for the section
        ps.broken = true;
        if (args[2] !== 'from' || args.length < 4) {
          // only sections that could listen complain here; the others just lose their lines
          if (kind === 'frontend' || kind === 'listen') {
            sink.alert(
              'HAP_CFG_PROXY_ADDRESS',
              "please use the 'bind' keyword for listening addresses.",
              file,
              line,
              kind,
            );
          }
          return;
        }
        if (args.length > 4) {
          sink.alert(
            'HAP_CFG_PROXY_FROM',
            `'${kind}' cannot handle unexpected argument '${args[4]}'.`,
            file,
            line,
            kind,
          );
          return;
        }
        ps.broken = false;
        fromName = args[3];
      }
      let base: ProxyModel | undefined = ps.lastDefaults;
      if (fromName !== undefined) {
        base = undefined;
        for (let i = state.model.proxies.length - 1; i >= 0; i--) {
          const p = state.model.proxies[i]!;
          if (p.kind === 'defaults' && p.name === fromName) {
            base = p;
            break;
          }
        }
        if (!base) {
          sink.alert(
            'HAP_CFG_PROXY_FROM',
            `defaults section '${fromName}' not found for ${kind} '${name}'.`,
            file,
            line,
            kind,
          );
          return;
        }
      }
      if (kind !== 'defaults') {
        for (const p of state.model.proxies) {
          if (p.kind === 'defaults' || p.name !== name) continue;
          // HAProxy 2.6 only refuses two sections of the same kind with one name
          const clash = p.kind === kind;
          if (clash) {
            sink.alert(
              'HAP_CFG_PROXY_DUPLICATE',
              `${kind} '${name}' has the same name as ${p.kind} '${p.name}' declared at ${p.file}:${p.line}.`,
              file,
              line,
              kind,
            );
            return;
          }
        }
      }
      const proxy = newProxy(kind, name, { file, line });
      if (base) copyDefaults(base, proxy);
      proxy.defaultsFrom = base ? base.name : undefined;
      state.model.proxies.push(proxy);
      ps.current = proxy;
      if (kind === 'defaults' && name === '') ps.lastDefaults = proxy;
      else if (kind === 'defaults') ps.lastDefaults = proxy;
    },
    keyword(state, args, modifier, file, line) {
      const ps = proxyState(state);
      const proxy = ps.current;
      if (!proxy) {
        if (ps.broken) {
          state.sink.alert('HAP_CFG_NO_PROXY', "'listen' or 'defaults' expected.", file, line, args[0]);
        }
        return; // otherwise HAProxy reports only the header
      }
      const kw = args[0]!;
      const row = PROXY_TABLE.get(kw);
      if (!row) return unknownKeyword(state, kw, kind, PROXY_TABLE, file, line);
      const where = kind as SectionClass;
      if (kind === 'defaults' && proxy.name === '' && ANON_DEFAULTS_FORBIDDEN.has(kw)) {
        state.sink.alert(
          'HAP_CFG_NOT_IN_DEFAULTS',
          `'${kw}' not allowed in anonymous 'defaults' section.`,
          file,
          line,
          kw,
        );
        return;
      }
      if (!row.sections.includes(where)) {
        if (kw === 'server' || kw === 'default-server' || kw === 'server-template') {
          state.sink.alert(
            'HAP_CFG_CAPABILITY',
            `'${kw}' not allowed because ${kind} '${proxy.name}' has no backend capability.`,
            file,
            line,
            kw,
          );
          return;
        }
        if (kind === 'defaults') {
          state.sink.alert(
            'HAP_CFG_NOT_IN_DEFAULTS',
            `'${kw}' not allowed in 'defaults' section.`,
            file,
            line,
            kw,
          );
          return;
        }
        const needFe = row.sections.includes('frontend');
        state.sink.warning(
          'HAP_CFG_CAPABILITY',
          `'${kw}' ignored because ${kind} '${proxy.name}' has no ${needFe ? 'frontend' : 'backend'} capability.`,
          file,
          line,
          kw,
        );
        return;
      }
      runRow(row, state, args, modifier, file, line, proxy, proxy);
    },
    end(state) {
      proxyState(state).current = undefined;
    },
  };
}

function makeOtherHandler(
  kind: string,
  table: ReadonlyMap<string, KeywordRow>,
  needsName: boolean,
  supported: boolean,
): SectionHandler {
  const current = new WeakMap<ParseState, OtherSection | undefined>();
  return {
    name: kind,
    begin(state, args, file, line) {
      const name = args[1] ?? '';
      current.set(state, undefined);
      if (needsName && name === '') {
        state.sink.alert('HAP_CFG_SECTION_NAME', `missing name for ${kind} section.`, file, line, kind);
        return;
      }
      const bad = invalidNameChar(name);
      if (bad !== undefined) {
        state.sink.alert(
          'HAP_CFG_SECTION_NAME',
          `character '${bad}' is not permitted in '${kind}' name '${name}'.`,
          file,
          line,
          kind,
        );
        return;
      }
      if (!supported) {
        state.sink.alert(
          'HAP_CFG_NOT_SUPPORTED',
          `'${kind}' is a HAProxy keyword that haproxyd does not support yet.`,
          file,
          line,
          kind,
        );
        return;
      }
      const section: OtherSection = { kind, name, file, line, directives: [] };
      state.model.sections.push(section);
      current.set(state, section);
    },
    keyword(state, args, modifier, file, line) {
      const section = current.get(state);
      const row = table.get(args[0]!);
      if (!row) return unknownKeyword(state, args[0]!, kind, table, file, line);
      // inside a section that is not supported, the header's alert says it all
      if (!section) return;
      runRow(row, state, args, modifier, file, line, undefined, section);
    },
  };
}

export const sectionHandlers: ReadonlyMap<string, SectionHandler> = new Map<string, SectionHandler>([
  ['global', globalHandler],
  ['defaults', makeProxyHandler('defaults')],
  ['frontend', makeProxyHandler('frontend')],
  ['backend', makeProxyHandler('backend')],
  ['listen', makeProxyHandler('listen')],
  ...OTHER_SECTIONS.map((s): [string, SectionHandler] => [
    s.name,
    makeOtherHandler(s.name, s.table, s.needsName, s.supported),
  ]),
]);
