// The counters the forwarding engine increments, without the column tables and renderers.
// (package.json exports it as "@hap/stats/engine"; everything here is in index.ts too)

export { countHttpStatus, countRate, ProxyCounters, rateCounting, ServerCounters } from './counters.ts';
