/**
 * @hap/config — HAProxy's configuration language: tokenizer, conditional
 * blocks, sections, keyword tables, a typed model, whole-model checks, and
 * diagnostics in HAProxy's shape. Pure: reads files, opens no socket, changes
 * no process state. Usable alone as a parser and linter.
 */

export { CRT_LIST_OPTIONS } from './catalog/bind.ts';
export { type ConditionContext, type ConditionResult, evaluateCondition } from './condition.ts';
export { type Diagnostic, type DiagnosticLevel, formatDiagnostic, hasAlerts } from './diagnostics.ts';
export {
  dumpKeywords,
  type HonouredKeywords,
  KEYWORD_CLASSES,
  type KeywordDumpRow,
  keywordRows,
} from './dump.ts';
export {
  checkServerAddresses,
  chooseInitAddr,
  hostNamedServers,
  type InitAddrOutcome,
  initAddrMethods,
} from './init-addr.ts';
export { type CookieParse, type CookieSettings, parseCookieArgs } from './keywords/cookie.ts';
export { LOG_FACILITIES, LOG_LEVELS } from './keywords/log.ts';
export {
  type NameserverModel,
  type ResolversHold,
  type ResolversModel,
  resolversOf,
  serverResolvers,
} from './keywords/resolvers.ts';
export { type LexResult, tokenizeLine } from './lexer.ts';
export {
  DEFAULT_FEATURES,
  HAPROXY_COMPAT_VERSION,
  type LoadOptions,
  type LoadResult,
  loadConfig,
  parseConfig,
} from './loader.ts';
export type {
  AclModel,
  AddressFamily,
  BindAddress,
  BindModel,
  ConditionModel,
  ConfigModel,
  Directive,
  GlobalModel,
  OtherSection,
  ProxyKind,
  ProxyModel,
  RuleModel,
  ServerAddress,
  ServerModel,
  SourceRef,
  SwitchingRule,
} from './model.ts';
export { parseSize, parseTime } from './units.ts';
