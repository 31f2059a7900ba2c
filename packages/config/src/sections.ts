/**
 * Section handlers: what a section header does, and how its lines reach the
 * keyword tables. One handler per HAProxy section name.
 */

import { isAbsolute, resolve } from 'node:path';
import { findRemovedKeyword } from './catalog/index.ts';
import type { Diagnostic } from './diagnostics.ts';
import { GLOBAL_TABLE } from './keywords/global.ts';
import { copyDefaults, PROXY_TABLE, reportRemoved } from './keywords/proxy.ts';
import { OTHER_SECTIONS } from './keywords/sections-other.ts';
import type { KeywordContext, KeywordRow, SectionClass } from './keywords/types.ts';
import { type Directive, newProxy, type OtherSection, type ProxyKind, type ProxyModel } from './model.ts';
import { invalidNameChar } from './names.ts';
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
    abort: () => {
      state.aborted = true;
    },
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
    // keywords 2.6 refuses (or still reads with a warning), in HAProxy's words
    const removed = findRemovedKeyword('global', args[0]!);
    if (removed?.message !== undefined) {
      const d: Directive = { file, line, keyword: args[0]!, args, modifier, supported: false };
      reportRemoved(makeContext(state, args, modifier, file, line, undefined, d), removed);
      if (removed.level === 'alert' || !row) return;
    }
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

/** How a defaults section is used: by name (`from`), implicitly, and by which side. */
interface DefaultsUse {
  explicit: boolean;
  implicit: boolean;
  side: 'frontend' | 'backend' | undefined;
}

const defaultsUses = new WeakMap<ProxyModel, DefaultsUse>();

/** The value kept for `key` in `map`, created on first use. */
function memo<K extends object, V>(map: WeakMap<K, V>, key: K, create: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = create();
    map.set(key, v);
  }
  return v;
}

function defaultsUse(p: ProxyModel): DefaultsUse {
  return memo(defaultsUses, p, () => ({ explicit: false, implicit: false, side: undefined }));
}

/**
 * A defaults section holding TCP/HTTP rules runs them before the proxy's own;
 * HAProxy restricts who may inherit from it so that the order stays clear.
 */
function checkRulesInheritance(
  state: ParseState,
  base: ProxyModel,
  kind: ProxyKind,
  file: string,
  line: number,
): boolean {
  if (base.rules.length === 0) return true;
  const at = `${base.file}:${base.line}`;
  const fail = (message: string) => {
    state.sink.alert('HAP_CFG_DEFAULTS_RULES', message, file, line, kind);
    state.aborted = true;
    return false;
  };
  if (kind === 'defaults') {
    return fail(
      `a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (defaults section at ${at}).`,
    );
  }
  if (kind === 'listen')
    return fail('a listen section cannot inherit from a defaults section defining TCP/HTTP rules.');
  const use = defaultsUse(base);
  if (use.side !== undefined && use.side !== kind) {
    return fail(
      `frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at ${at}).`,
    );
  }
  const sets = new Set(base.rules.map((r) => r.ruleSet));
  if (kind === 'backend' && (sets.has('tcp-request connection') || sets.has('tcp-request session'))) {
    return fail(
      `a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules (defaults section at ${at}).`,
    );
  }
  if (kind === 'frontend' && sets.has('tcp-response content')) {
    return fail(
      `a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules (defaults section at ${at}).`,
    );
  }
  use.side = kind;
  return true;
}

const proxyStates = new WeakMap<ParseState, ProxyParseState>();

function proxyState(state: ParseState): ProxyParseState {
  return memo(proxyStates, state, () => ({ current: undefined, lastDefaults: undefined, broken: false }));
}

function makeProxyHandler(kind: ProxyKind): SectionHandler {
  return {
    name: kind,
    begin(state, args, file, line) {
      const ps = proxyState(state);
      const { sink } = state;
      ps.current = undefined;
      ps.broken = false;
      let name = args[1] ?? '';
      let at = 2;
      // "defaults from <name>": an anonymous defaults section that inherits
      if (kind === 'defaults' && args[1] === 'from' && args[2] !== undefined && args.length === 3) {
        name = '';
        at = 1;
      }
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
      if (args.length > at) {
        // HAProxy once took a listening address here; it still reads a word other
        // than 'from' that way, refuses it, and then has no proxy for the section
        ps.broken = true;
        if (args[at] !== 'from' || args.length < at + 2) {
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
        if (args.length > at + 2) {
          sink.alert(
            'HAP_CFG_PROXY_FROM',
            `'${kind}' cannot handle unexpected argument '${args[at + 2]}'.`,
            file,
            line,
            kind,
          );
          return;
        }
        ps.broken = false;
        fromName = args[at + 1];
      }
      // only frontends, backends and listens take the last defaults implicitly
      let base: ProxyModel | undefined = kind === 'defaults' ? undefined : ps.lastDefaults;
      if (fromName !== undefined) {
        const found = state.model.proxies.filter((p) => p.kind === 'defaults' && p.name === fromName);
        base = found[found.length - 1];
        if (!base) {
          sink.alert(
            'HAP_CFG_PROXY_FROM',
            `defaults section '${fromName}' not found for ${kind} '${name}'.`,
            file,
            line,
            kind,
          );
          state.aborted = true;
          return;
        }
        if (found.length > 1) {
          const [x, y] = found;
          sink.alert(
            'HAP_CFG_PROXY_FROM',
            `ambiguous defaults section name '${fromName}' referenced by ${kind} '${name}' exists at least at ${x!.file}:${x!.line} and ${y!.file}:${y!.line}.`,
            file,
            line,
            kind,
          );
        }
        defaultsUse(base).explicit = true;
      } else if (base) {
        defaultsUse(base).implicit = true;
      }
      if (base && defaultsUse(base).explicit && defaultsUse(base).implicit) {
        sink.warning(
          'HAP_CFG_DEFAULTS_MIXED',
          `defaults section '${base.name}' (declared at ${base.file}:${base.line}) is explicitly referenced by another proxy and implicitly used here. To avoid any ambiguity don't mix both usage. Add a last defaults section not explicitly used or always use explicit references.`,
          file,
          line,
          kind,
        );
      }
      if (kind !== 'defaults') {
        for (const p of state.model.proxies) {
          // HAProxy 2.6 only refuses two sections of the same kind with one name
          if (p.kind !== kind || p.name !== name) continue;
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
      if (base && !checkRulesInheritance(state, base, kind, file, line)) return;
      const proxy = newProxy(kind, name, { file, line });
      if (base) copyDefaults(base, proxy);
      proxy.defaultsFrom = base ? base.name : undefined;
      state.model.proxies.push(proxy);
      ps.current = proxy;
      if (kind === 'defaults') ps.lastDefaults = proxy;
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
