// The ids HAProxy gives proxies (`iid`, `be_id`, `fe_id`) and servers (`sid`, `srv_id`):
// configuration order around the ids forced with `id`. Read by the stats and by the
// sample fetches.
import type { ConfigModel, Directive, ProxyModel } from '@hap/config';
import type { CompileOptions } from '@hap/sample';

function lastDirective(p: ProxyModel, keyword: string): Directive | undefined {
  return p.directives.findLast((d) => d.keyword === keyword);
}

/** HAProxy's get_next_id(): the first id at or above `from` not in `used`. */
function nextFree(used: ReadonlySet<number>, from: number): number {
  let id = from;
  while (used.has(id)) id++;
  return id;
}

function forcedIdOf(words: string | true | undefined): number | undefined {
  if (typeof words !== 'string' || !/^\d+$/.test(words)) return undefined;
  const n = Number(words);
  return n > 0 ? n : undefined;
}

/**
 * Proxy ids as HAProxy 2.6 numbers them: configuration order, forced `id`s kept, and the
 * CLI's GLOBAL proxy (created by the first `stats socket|timeout|maxconn` line) taking a
 * place at the point of that line. Disabled proxies take their id too.
 */
export function proxyIds(model: ConfigModel): Map<ProxyModel, { id: number; forced: boolean }> {
  const files = model.files;
  const order = (f: string, line: number) => {
    const i = files.indexOf(f);
    return (i < 0 ? files.length : i) * 1e7 + line;
  };
  const statsLine = model.global.directives.find(
    (d) => d.keyword === 'stats socket' || d.keyword === 'stats timeout' || d.keyword === 'stats maxconn',
  );
  type Entry = { kind: 'global' } | { kind: 'proxy'; p: ProxyModel; forced: number | undefined };
  const entries: { at: number; e: Entry }[] = [];
  const used = new Set<number>();
  for (const p of model.proxies) {
    if (p.kind === 'defaults') continue;
    const forced = forcedIdOf(lastDirective(p, 'id')?.args[1]);
    if (forced !== undefined) used.add(forced);
    entries.push({ at: order(p.file, p.line), e: { kind: 'proxy', p, forced } });
  }
  if (statsLine) entries.push({ at: order(statsLine.file, statsLine.line), e: { kind: 'global' } });
  entries.sort((a, b) => a.at - b.at);
  const ids = new Map<ProxyModel, { id: number; forced: boolean }>();
  let next = 1;
  for (const { e } of entries) {
    if (e.kind === 'proxy') {
      if (e.forced !== undefined) ids.set(e.p, { id: e.forced, forced: true });
      else {
        next = nextFree(used, next);
        used.add(next);
        ids.set(e.p, { id: next, forced: false });
      }
    }
    // every proxy with an id shifts the numbering, GLOBAL's #0 included
    next++;
  }
  return ids;
}

/** Server ids (puid): forced `id`s kept, the others numbered in order around them. */
export function serverIds(p: ProxyModel): { id: number; forced: boolean }[] {
  const used = new Set<number>();
  const forced = p.servers.map((s) => forcedIdOf(s.options['id']));
  for (const f of forced) if (f !== undefined) used.add(f);
  let next = 1;
  return forced.map((f) => {
    let r: { id: number; forced: boolean };
    if (f !== undefined) r = { id: f, forced: true };
    else {
      next = nextFree(used, next);
      used.add(next);
      r = { id: next, forced: false };
    }
    next++;
    return r;
  });
}

/**
 * How the expressions of proxy `p` resolve the proxies and servers they name: a name alone
 * is one of `p`, an empty or absent proxy is `p` (HAProxy's smp_resolve_args).
 */
export function proxyRefs(
  model: ConfigModel,
  p: ProxyModel,
): Pick<CompileOptions, 'currentProxy' | 'proxyCaps' | 'serverExists'> {
  return {
    currentProxy: p.name,
    proxyCaps: (name) => {
      // a frontend and a backend may share a name
      const qs = model.proxies.filter((x) => x.kind !== 'defaults' && x.name === name);
      return qs.length === 0
        ? undefined
        : { frontend: qs.some((q) => q.kind !== 'backend'), backend: qs.some((q) => q.kind !== 'frontend') };
    },
    serverExists: (be, srv) =>
      model.proxies.some(
        (x) => x.kind !== 'defaults' && x.name === be && x.servers.some((s) => s.name === srv),
      ),
  };
}
