// @hap/log: HAProxy 2.6's logs. Log-format strings compiled once and rendered over a
// stream's LogRecord, the predefined formats (tcplog, httplog, clf, the accept-time line),
// termination-state letters, syslog headers (rfc3164, rfc5424, local, short, priority,
// timed, iso, raw) and senders to UDP, unix datagram, file descriptor and TCP targets that
// never block the event loop and never throw.

export { dateLog, gmtDateLog, isoSyslogDate, legacySyslogDate, localDateLog } from './dates.ts';
export type { LogErrorCode } from './errors.ts';
export { LogError } from './errors.ts';
export { unixDatagramAvailable } from './ffi.ts';
export type { LogFormat, LogFormatOptions } from './format.ts';
export { LOG_FORMAT_ALIASES, parseLogFormat } from './format.ts';
export type { SyslogMeta } from './header.ts';
export { buildSyslogHeader, effectiveFormat } from './header.ts';
export type { LogFacilityName, LogLevelName } from './levels.ts';
export {
  LOG_ALERT,
  LOG_CRIT,
  LOG_DEBUG,
  LOG_EMERG,
  LOG_ERR,
  LOG_FACILITIES,
  LOG_INFO,
  LOG_LEVELS,
  LOG_NOTICE,
  LOG_WARNING,
  logFacility,
  logLevel,
} from './levels.ts';
export type { Logger, LoggerOptions, LoggerStats, SendOptions } from './logger.ts';
export { createLogger } from './logger.ts';
export type { StreamLogPolicy } from './policy.ts';
export { embryonicLogLine, streamLogLevel } from './policy.ts';
export {
  CLF_HTTP_LOG_FORMAT,
  DEFAULT_RFC5424_SD_LOG_FORMAT,
  defaultConnectLine,
  HTTP_LOG_FORMAT,
  HTTPS_LOG_FORMAT,
  logFormatFor,
  TCP_LOG_FORMAT,
} from './predefined.ts';
export type { LogRecord } from './record.ts';
export {
  createLogRecord,
  formatRequestLine,
  httpLogBytes,
  htxHeadBytes,
  htxTrailerBytes,
} from './record.ts';
export type {
  LogAddress,
  LogDirective,
  LogSampling,
  LogTarget,
  ParseLogOptions,
  SyslogFormat,
} from './target.ts';
export { MAX_SYSLOG_LEN, parseLogAddress, parseLogDirective, SYSLOG_FORMATS, SYSLOG_PORT } from './target.ts';
export type {
  ClientCookieState,
  CookieStates,
  ServerCookieState,
  TerminationCause,
  TerminationFacts,
  TerminationPhase,
} from './termination.ts';
export {
  isErrorStream,
  parseTerminationState,
  terminationState,
  terminationStateWithCookie,
} from './termination.ts';
