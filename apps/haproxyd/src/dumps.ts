/**
 * What the process prints when it is asked for its state by a signal, in HAProxy 2.6's
 * words:
 *
 * - SIGHUP: the servers' states. One warning "SIGHUP received, dumping servers states.",
 *   then for each proxy in configuration order: a line to the proxy's log only ("…for proxy
 *   <name>."), a line per server ("SIGHUP: Server <proxy>/<server> is UP|DOWN. Conn: <cur>
 *   act, <queued> pend, <total> tot.") and a summary of the proxy, both as warnings on
 *   stderr and to the proxy's log at level notice.
 * - SIGQUIT: HAProxy dumps its memory pools to stderr. haproxyd has no pools of its own; the
 *   same frame ("Dumping pools usage…", one "  - Pool" line each, a "Total:" line) lists the
 *   V8 heap spaces, which play that part here.
 *
 * HAProxy's internal `<HTTPCLIENT>` proxy has no counterpart in haproxyd and is not listed.
 */

import { getHeapSpaceStatistics } from 'node:v8';
import type { ProxyState, StatsSource } from '@hap/stats';

/** One line of the SIGHUP dump. */
export interface DumpLine {
  /** The proxy whose log gets the line. */
  readonly proxy: string;
  readonly text: string;
  /** Also a warning on stderr (the per-proxy heading line goes to the log only). */
  readonly warn: boolean;
}

function proxySummary(p: ProxyState): string {
  const servers = p.servers ?? [];
  const be = p.backend;
  const feconn = p.frontend?.scur ?? 0;
  const beconn = be?.scur ?? 0;
  const unassigned = be?.qcur ?? 0;
  let pending = unassigned;
  for (const s of servers) pending += s.qcur;
  const feTotal = p.frontend?.counters.conn_tot ?? 0;
  const beTotal = be?.counters.stot ?? 0;
  const conn = `Conn: act(FE+BE): ${feconn}+${beconn}, ${pending} pend (${unassigned} unass), tot(FE+BE): ${feTotal}+${beTotal}.`;
  if (servers.length === 0) return `SIGHUP: Proxy ${p.name} has no servers. ${conn}`;
  const act = be?.act ?? 0;
  const bck = be?.bck ?? 0;
  if (act === 0) {
    const how = bck > 0 ? 'is running on backup servers' : 'has no server available';
    return `SIGHUP: Proxy ${p.name} ${how} ! ${conn}`;
  }
  return `SIGHUP: Proxy ${p.name} has ${act} active servers and ${bck} backup servers available. ${conn}`;
}

/** The SIGHUP dump's lines after its first warning, in HAProxy's order. */
export function serverStateDump(source: StatsSource): DumpLine[] {
  const out: DumpLine[] = [];
  for (const p of source.proxies()) {
    out.push({
      proxy: p.name,
      text: `SIGHUP received, dumping servers states for proxy ${p.name}.`,
      warn: false,
    });
    for (const s of p.servers ?? []) {
      const state = s.opState === 'stopped' ? 'DOWN' : 'UP';
      out.push({
        proxy: p.name,
        text: `SIGHUP: Server ${p.name}/${s.name} is ${state}. Conn: ${s.scur} act, ${s.qcur} pend, ${s.counters.stot} tot.`,
        warn: true,
      });
    }
    out.push({ proxy: p.name, text: proxySummary(p), warn: true });
  }
  return out;
}

/** The SIGQUIT dump, as written to stderr (ends with a newline). */
export function poolsDump(): string {
  let out = 'Dumping pools usage. Use SIGQUIT to flush them.\n';
  let allocated = 0;
  let used = 0;
  const spaces = getHeapSpaceStatistics();
  for (const s of spaces) {
    allocated += s.space_size;
    used += s.space_used_size;
    out += `  - Pool ${s.space_name} (${s.space_size} bytes) : ${s.space_used_size} used, ${s.space_available_size} available, ${s.physical_space_size} physical\n`;
  }
  out += `Total: ${spaces.length} pools, ${allocated} bytes allocated, ${used} used.\n`;
  return out;
}
