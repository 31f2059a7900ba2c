/**
 * Stick tables (`stick-table` in a proxy section, named after the section) and the `stick`
 * persistence rules of backends: `stick match` finds the server stored for a request's key,
 * `stick store-request` stores the server chosen, `stick on` does both, `stick store-response`
 * stores the server under a key read from its response (before the `http-response` rules).
 */

import type { ConfigModel, Diagnostic, ProxyModel, RuleModel } from '@hap/config';
import type { Server, StickPersistence } from '@hap/proxy';
import { stickKeyOf } from '@hap/rules';
import {
  type Condition,
  compileCondition,
  compileSampleExpr,
  type SampleEnv,
  type SampleExpr,
} from '@hap/sample';
import { parseStickTable, StickTable, stickMatch, stickStore, withStickRules } from '@hap/stick';
import { alertAt } from './alerts.ts';

const alert = (out: Diagnostic[], at: { file: string; line: number }, keyword: string, message: string) =>
  alertAt(out, 'HAP_ERR_STICK', at, keyword, message);

/** Tables are made once per configuration: rules, persistence and the runtime API share them. */
const made = new WeakMap<ConfigModel, { tables: Map<string, StickTable>; diagnostics: Diagnostic[] }>();

/** The stick tables of a configuration (and what could not be built). */
export function tablesOf(model: ConfigModel): { tables: Map<string, StickTable>; diagnostics: Diagnostic[] } {
  let m = made.get(model);
  if (m === undefined) {
    const diagnostics: Diagnostic[] = [];
    m = { tables: buildTables(model, diagnostics), diagnostics };
    made.set(model, m);
  }
  return m;
}

/** The stick tables of every proxy section that declares one, by section name; alerts into `out`. */
export function stickTables(model: ConfigModel, out: Diagnostic[]): Map<string, StickTable> {
  const m = tablesOf(model);
  out.push(...m.diagnostics);
  return m.tables;
}

function buildTables(model: ConfigModel, out: Diagnostic[]): Map<string, StickTable> {
  const tables = new Map<string, StickTable>();
  for (const p of model.proxies) {
    if (p.kind === 'defaults' || p.disabled) continue;
    const d = p.directives.findLast((x) => x.keyword === 'stick-table');
    if (d === undefined) continue;
    try {
      let spec = parseStickTable(d.args.slice(1));
      // a table a stick rule uses keeps the server of each entry
      if (
        model.proxies.some((q) =>
          q.rules.some((r) => r.ruleSet === 'stick' && (r.args[1] ?? q.name) === p.name),
        )
      )
        spec = withStickRules(spec);
      tables.set(p.name, new StickTable(p.name, spec));
      d.supported = true;
    } catch (err) {
      alert(out, d, 'stick-table', (err as Error).message);
    }
  }
  return tables;
}

interface StickRule {
  readonly kind: 'on' | 'match' | 'store-request' | 'store-response';
  readonly expr: SampleExpr;
  readonly cond: Condition | undefined;
  readonly table: StickTable;
}

/** HAProxy's server ids: the `id` option, else the position in the backend (from 1). */
function serverIds(p: ProxyModel, servers: readonly Server[]): Map<number, Server> {
  const ids = new Map<number, Server>();
  p.servers.forEach((m, i) => {
    const s = servers.find((x) => x.name === m.name);
    if (s === undefined) return;
    const explicit = typeof m.options['id'] === 'string' ? Number(m.options['id']) : Number.NaN;
    ids.set(Number.isInteger(explicit) ? explicit : i + 1, s);
  });
  return ids;
}

/** The `stick` rules of backend `p`, or undefined when it has none. */
export function stickPersistence(
  p: ProxyModel,
  servers: readonly Server[],
  tables: ReadonlyMap<string, StickTable>,
  out: Diagnostic[],
): StickPersistence | undefined {
  const specs = p.rules.filter((r): r is RuleModel => r.ruleSet === 'stick');
  if (specs.length === 0) return undefined;
  const acls = new Map<string, string[][]>();
  for (const a of p.acls) acls.set(a.name, [...(acls.get(a.name) ?? []), a.words]);
  const rules: StickRule[] = [];
  for (const r of specs) {
    const opts = { file: r.file, line: r.line, resolvePath: (x: string) => x };
    const tableName = r.args[1] ?? p.name;
    const table = tables.get(tableName);
    if (table === undefined) {
      alert(out, r, 'stick', `'stick ${r.action}': unable to find table '${tableName}'.`);
      continue;
    }
    // store-response rules read the response (res.hdr, res.cook, status, ...)
    const ruleOpts = r.action === 'store-response' ? { ...opts, direction: 'response' as const } : opts;
    try {
      rules.push({
        kind: r.action as StickRule['kind'],
        expr: compileSampleExpr(r.args[0] ?? '', ruleOpts),
        cond: r.condition ? compileCondition(r.condition, (n) => acls.get(n), ruleOpts) : undefined,
        table,
      });
    } catch (err) {
      alert(out, r, 'stick', `'stick ${r.action}': ${(err as Error).message}`);
    }
  }
  for (const d of p.directives) if (d.keyword === 'stick') d.supported = true;
  const ids = serverIds(p, servers);
  const idOf = new Map([...ids].map(([id, s]) => [s, id]));
  const responseRules = rules.filter((r) => r.kind === 'store-response');
  return {
    storeResponse:
      responseRules.length === 0
        ? undefined
        : (env: SampleEnv, server: Server): void => {
            const id = idOf.get(server);
            if (id === undefined) return;
            // only the first rule that stores into a table does (HAProxy's order of precision)
            const done: StickTable[] = [];
            for (const r of responseRules) {
              if (done.includes(r.table)) continue;
              if (r.cond !== undefined && !r.cond.test(env)) continue;
              const v = r.expr.eval(env);
              if (v === undefined) continue;
              stickStore(r.table, stickKeyOf(v), id, server.name);
              done.push(r.table);
            }
          },
    match(env: SampleEnv): Server | undefined {
      for (const r of rules) {
        if (r.kind === 'store-request' || r.kind === 'store-response') continue;
        if (r.cond !== undefined && !r.cond.test(env)) continue;
        const v = r.expr.eval(env);
        if (v === undefined) continue;
        const found = stickMatch(r.table, stickKeyOf(v));
        if (found !== undefined) return ids.get(found.serverId);
      }
      return undefined;
    },
    serverAdded(server: Server, id: number): void {
      ids.set(id, server);
      idOf.set(server, id);
    },
    serverRemoved(server: Server): void {
      const id = idOf.get(server);
      if (id === undefined) return;
      idOf.delete(server);
      if (ids.get(id) === server) ids.delete(id);
    },
    store(env: SampleEnv, server: Server): void {
      const id = idOf.get(server);
      if (id === undefined) return;
      for (const r of rules) {
        if (r.kind === 'match' || r.kind === 'store-response') continue;
        if (r.cond !== undefined && !r.cond.test(env)) continue;
        const v = r.expr.eval(env);
        if (v !== undefined) stickStore(r.table, stickKeyOf(v), id, server.name);
      }
    },
  };
}

/**
 * The configuration check of stick tables and `stick` rules (`-c` too): a table that cannot
 * be built, a rule naming no table, an expression that does not compile are alerts.
 */
export function checkStickTables(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const tables = stickTables(model, out);
  for (const p of model.proxies) {
    if (p.kind === 'defaults' || p.disabled) continue;
    stickPersistence(p, [], tables, out);
  }
  return out;
}
