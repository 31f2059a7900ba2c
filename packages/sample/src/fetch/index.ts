// Every fetch haproxyd implements, by name, and HAProxy's whole list with what is missing.
import type { FetchDef } from '../defs.ts';
import { AUTH_FETCHES } from './auth.ts';
import { HTTP_FETCHES, HTTP_MORE_FETCHES } from './http.ts';
import { INTERNAL_FETCHES } from './internal.ts';
import { L4_FETCHES } from './l4.ts';
import { PAYLOAD_FETCHES } from './payload.ts';
import { SSL_FETCHES } from './ssl.ts';
import { RATE_FETCHES, STATE_FETCHES } from './state.ts';
import { STICK_FETCH_DEFS } from './stick.ts';
import { STREAM_FETCHES } from './stream.ts';

export const FETCH_DEFS: ReadonlyMap<string, FetchDef> = new Map(
  [
    ...INTERNAL_FETCHES,
    ...L4_FETCHES,
    ...SSL_FETCHES,
    ...PAYLOAD_FETCHES,
    ...HTTP_FETCHES,
    ...HTTP_MORE_FETCHES,
    ...AUTH_FETCHES,
    ...STICK_FETCH_DEFS,
    ...STATE_FETCHES,
    ...STREAM_FETCHES,
  ].map((f) => [f.name, f]),
);

/** Names of the fetches compiled so far in this process (rules, ACLs, log-formats). */
const USED = new Set<string>();

/** The fetches compiled so far (what the application needs to prepare for). */
export function fetchesUsed(): ReadonlySet<string> {
  return USED;
}

/** Records that an expression uses fetch `name` (at compile time). */
export function noteFetchUsed(name: string): void {
  USED.add(name);
}

/**
 * Whether a compiled expression reads a per-second rate (`fe_sess_rate`, `be_sess_rate`,
 * `fe_req_rate`, `srv_sess_rate`): the proxies need to count their rates then.
 */
export function rateFetchesUsed(): boolean {
  for (const n of RATE_FETCHES) if (USED.has(n)) return true;
  return false;
}
