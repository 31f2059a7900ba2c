// Generated from HAProxy 2.6 (haproxy -dKall of 2.6.12, v2.6.0 sources, configuration.txt).
// Regenerate by hand from those sources; conventions are described in index.ts.

/** Names usable after the proxy 'filter' keyword. */
export const FILTER_NAMES: readonly string[] = [
  'cache',
  'compression',
  'fcgi-app',
  'opentracing',
  'spoe',
  'trace',
];

/** Services usable with 'use-service' (Lua services are declared at run time and are not listed). */
export const SERVICE_NAMES: readonly string[] = ['prometheus-exporter'];
