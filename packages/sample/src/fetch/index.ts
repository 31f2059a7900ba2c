// Every fetch haproxyd implements, by name, and HAProxy's whole list with what is missing.
import type { FetchDef } from '../defs.ts';
import { HTTP_FETCHES } from './http.ts';
import { INTERNAL_FETCHES } from './internal.ts';
import { L4_FETCHES } from './l4.ts';

export const FETCH_DEFS: ReadonlyMap<string, FetchDef> = new Map(
  [...INTERNAL_FETCHES, ...L4_FETCHES, ...HTTP_FETCHES].map((f) => [f.name, f]),
);
