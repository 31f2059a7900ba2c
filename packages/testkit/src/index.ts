// @hap/testkit: real HAProxy and haproxyd side by side, throw-away backends, cleanup.
// Private test utility; the vitest glue (useTestkit) is in the '@hap/testkit/vitest' entry.

export type {
  Backend,
  BackendOptions,
  HttpHandler,
  RecordedConnection,
  RecordedHttpRequest,
} from './backends.ts';
export { startHttpBackend, startRawBackend, startTcpEchoBackend } from './backends.ts';
export type { Binary, HaproxyInfo, RequireHaproxyOptions } from './binaries.ts';
export { binaryPath, haproxyAvailable, repoRoot, requireHaproxy } from './binaries.ts';
export type { CheckConfigOptions, CheckResult } from './check.ts';
export { checkConfig } from './check.ts';
export type { TemplateVars } from './config.ts';
export { renderConfig, tempDir, writeConfig } from './config.ts';
export type { Diagnostic, DiagnosticLevel } from './diagnostics.ts';
export { parseDiagnostics } from './diagnostics.ts';
export type { OneShotAnswer, OneShotOptions, RequestOptions, Response } from './http-client.ts';
export { oneShot, request } from './http-client.ts';
export type { ReadyCheck } from './ports.ts';
export { canConnect, freePort, freePorts, hostPort } from './ports.ts';
export type { ExitStatus, OutputStream, ProcessHandle, SpawnOptions } from './process.ts';
export type { ProxyHandle, StartProxyOptions } from './proxy.ts';
export { startProxy } from './proxy.ts';
export { cleanupAll, pendingResources } from './registry.ts';
export type { SyslogSink, SyslogSinkOptions } from './syslog.ts';
export { startSyslogSink } from './syslog.ts';
