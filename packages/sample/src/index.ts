// @hap/sample: HAProxy's sample engine, pure (no sockets): fetches, converters, ACL
// matching, rule conditions, variables, maps and log-format strings.

export type { Acl } from './acl.ts';
export { compileAcl, compileAclFrom } from './acl.ts';
export type { Userlist } from './auth/userlist.ts';
export { createUserlist } from './auth/userlist.ts';
export type { Condition, ConditionSpec, ConditionTerm } from './condition.ts';
export { compileCondition } from './condition.ts';
export type {
  BackendFigure,
  CaptureSlots,
  CertificateView,
  ConnectionTlsView,
  FrontendFigure,
  HttpMessageView,
  IpValue,
  ListenerView,
  ProxyWorld,
  RequestLine,
  SampleEnv,
  SampleValue,
  ServerFigure,
  VarStore,
} from './env.ts';
export type { SampleErrorCode } from './errors.ts';
export { SampleError } from './errors.ts';
export type { SampleExpr } from './expr.ts';
export { compileSampleExpr } from './expr.ts';
export { fetchesUsed, rateFetchesUsed } from './fetch/index.ts';
export type { LogFormat } from './logformat.ts';
export { compileLogFormat } from './logformat.ts';
export type { CompileOptions } from './options.ts';
export type { PatEntry } from './pattern/match.ts';
export type { InlineSource, PatRefEntry, PatternExpr, ValueKind } from './pattern/ref.ts';
export { PATTERN_REFS, PatRef, PatternRegistry, REF_ACL, REF_MAP, REF_SMP } from './pattern/ref.ts';
export { CONVERTERS, FETCHES } from './tables.ts';
export type { SessionVarStore } from './vars.ts';
export { createVarStore, SET_VAR_CONDITIONS, setVarConditionsHold } from './vars.ts';

import type { SampleValue } from './env.ts';
import { toStr } from './types.ts';

/**
 * How a sample prints in a log-format or a header value, as HAProxy casts it to a string:
 * IPv4 dotted, IPv6 in inet_ntop's form, booleans 1/0, integers in decimal, binary
 * samples as their bytes (latin1) up to the first NUL.
 */
export function sampleToString(v: SampleValue): string {
  return toStr(v);
}
