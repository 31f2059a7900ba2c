// Every fetch haproxyd implements, by name, and HAProxy's whole list with what is missing.
import type { FetchDef } from '../defs.ts';
import { AUTH_FETCHES } from './auth.ts';
import { HTTP_FETCHES, HTTP_MORE_FETCHES } from './http.ts';
import { INTERNAL_FETCHES } from './internal.ts';
import { L4_FETCHES } from './l4.ts';
import { PAYLOAD_FETCHES } from './payload.ts';
import { SSL_FETCHES } from './ssl.ts';
import { STICK_FETCH_DEFS } from './stick.ts';

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
  ].map((f) => [f.name, f]),
);
