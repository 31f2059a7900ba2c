// Syslog facilities and levels, numbered as syslog numbers them (RFC 5424 section 6.2.1).

/** The 24 facilities, in their numeric order (`kern` = 0 … `local7` = 23). */
export const LOG_FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'auth2',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'cron2',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

/** The 8 levels, most severe first (`emerg` = 0 … `debug` = 7). */
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export type LogFacilityName = (typeof LOG_FACILITIES)[number];
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** Numeric levels HAProxy uses for traffic logs. */
export const LOG_EMERG = 0;
export const LOG_ALERT = 1;
export const LOG_CRIT = 2;
export const LOG_ERR = 3;
export const LOG_WARNING = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;
export const LOG_DEBUG = 7;

/** The facility's number, or -1 when the name is not one of the 24. */
export function logFacility(name: string): number {
  return (LOG_FACILITIES as readonly string[]).indexOf(name);
}

/** The level's number, or -1 when the name is not one of the 8. */
export function logLevel(name: string): number {
  return (LOG_LEVELS as readonly string[]).indexOf(name);
}
