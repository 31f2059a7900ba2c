// Syslog facilities and levels, numbered as syslog numbers them (RFC 5424 section 6.2.1).

import { LOG_FACILITIES, LOG_LEVELS } from '@hap/config';

// the names are the configuration's (a `log` line is checked against the same lists)
export { LOG_FACILITIES, LOG_LEVELS };

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
