// What haproxyd implements, against HAProxy 2.6's whole vocabulary, for the config checker
// ("not supported yet") and the documentation.
import { HAPROXY_CONVERTER_NAMES, HAPROXY_FETCH_NAMES } from './catalog.ts';
import { CONV_DEFS } from './expr.ts';
import { FETCH_DEFS } from './fetch/index.ts';

function listOf(
  all: ReadonlySet<string>,
  ours: ReadonlyMap<string, unknown>,
): { name: string; implemented: boolean }[] {
  const names = new Set([...all, ...ours.keys()]);
  return [...names].sort().map((name) => ({ name, implemented: ours.has(name) }));
}

/** Every HAProxy 2.6 sample fetch, and whether haproxyd implements it. */
export const FETCHES: readonly { name: string; implemented: boolean }[] = listOf(
  HAPROXY_FETCH_NAMES,
  FETCH_DEFS,
);

/** Every HAProxy 2.6 converter, and whether haproxyd implements it. */
export const CONVERTERS: readonly { name: string; implemented: boolean }[] = listOf(
  HAPROXY_CONVERTER_NAMES,
  CONV_DEFS,
);
