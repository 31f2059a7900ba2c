// @hap/checks: HAProxy's active health checks, agent checks and server state machine.
export type { AgentReply } from './agent.ts';
export { parseAgentReply, parseWeight } from './agent.ts';
export { HealthChecker } from './checker.ts';
export type { BackendCheckConfig, ServerCheckConfig } from './compile.ts';
export { checkerOptionsFrom, compileCheckSpecs, parseTime } from './compile.ts';
export type { CheckErrorCode } from './errors.ts';
export { CheckConfigError, CheckerError } from './errors.ts';
export type { HttpResponse } from './http.ts';
export { buildHttpRequest, parseHttpResponse } from './http.ts';
export type { CheckResultKind, CheckStatus } from './status.ts';
export { statusDescription } from './status.ts';
export type {
  AdminState,
  AgentSpec,
  ChangeCause,
  CheckerHooks,
  CheckerOptions,
  CheckKind,
  CheckResult,
  CheckRule,
  CheckSpec,
  CheckState,
  CheckTls,
  EffectiveState,
  ExpectMatch,
  Figures,
  HeaderMatchMethod,
  LogLevel,
  LogLine,
  ObservedEvent,
  ObserveMode,
  OnErrorMode,
  OperState,
  RestoredServer,
  ServerCheckState,
  ServerView,
  StateChange,
} from './types.ts';
