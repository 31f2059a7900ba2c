// The runtime API commands on stick tables, `show table`, `clear table`, `set table`, with
// HAProxy 2.6's output and answers byte for byte (the entry address aside: HAProxy prints
// a memory address, this prints a stable number of the same shape). Each function returns
// the command's whole answer; the CLI layer adds the empty line that ends every answer.
import { dataTypeInfo, STICK_DATA_TYPES, type StickDataType } from './datatypes.ts';
import { FreqCounter } from './freq.ts';
import { cliKey, dumpKey, type NormalizedKey } from './keys.ts';
import type { StickEntry, StickTable } from './table.ts';

/** Comparison operators of `data.<type> <op> <value>` filters. */
export type StickOperator = 'eq' | 'ne' | 'le' | 'ge' | 'lt' | 'gt';

export interface StickDataFilter {
  readonly type: StickDataType;
  readonly op: StickOperator;
  /** Compared as a signed 64-bit integer. */
  readonly value: bigint | number;
}

/** Which entries a command applies to: one key (CLI text), or data filters (AND-ed). */
export type StickSelection = { readonly key: string } | { readonly filters: readonly StickDataFilter[] };

/** Data filters per command (HAProxy's STKTABLE_FILTER_LEN). */
export const MAX_FILTERS = 4;

const POINTER_BASE = 0x55d0c0de0000;

/** The stable stand-in for the entry address HAProxy prints (`0x…:`). */
export function entryAddress(e: StickEntry): string {
  return `0x${(POINTER_BASE + e.id * 0x70).toString(16)}`;
}

/** The `# table: …` line. */
export function tableHeader(t: StickTable): string {
  return `# table: ${t.name}, type: ${t.spec.type}, size:${t.size}, used:${t.used}\n`;
}

/** One `show table` entry line, values read at the table's current time. */
export function entryLine(e: StickEntry): string {
  const t = e.table;
  const now = t.now();
  const exp = Math.max(e.expire - now, 0);
  let out = `${entryAddress(e)}: key=${dumpKey(t.spec.type, e.nkey)} use=${e.refCount} exp=${exp}`;
  for (const info of STICK_DATA_TYPES) {
    const s = t.slot(info.name);
    if (!s) continue;
    if (info.name === 'server_key') {
      out += ` server_key=${e.serverKey ?? '-'}`;
      continue;
    }
    const cut = info.array ? info.name.indexOf('_') : -1;
    for (let i = 0; i < s.count; i++) {
      // arrays print one field per element, the index after the prefix: gpc3_rate(…)=
      const label = !info.array
        ? info.name
        : cut < 0
          ? `${info.name}${i}`
          : `${info.name.slice(0, cut)}${i}${info.name.slice(cut)}`;
      const cell = e.cells[s.offset + i];
      const v = cell instanceof FreqCounter ? cell.read(s.period, now) : (cell as number | bigint);
      out += info.storage === 'rate' ? ` ${label}(${s.period})=${v}` : ` ${label}=${v}`;
    }
  }
  return `${out}\n`;
}

function filterData(e: StickEntry, type: StickDataType): bigint {
  const info = dataTypeInfo(type);
  if (!info || info.storage === 'dict') return 0n;
  const v =
    type === 'bytes_in_cnt' || type === 'bytes_out_cnt'
      ? e.getBig(type)
      : e.get(type as Exclude<StickDataType, 'server_key'>);
  // a 64-bit unsigned count is compared as HAProxy's signed long long
  return BigInt.asIntN(64, BigInt(v ?? 0));
}

/** Whether the entry passes every filter (HAProxy's skip rule, inverted). */
function passes(e: StickEntry, filters: readonly StickDataFilter[]): boolean {
  for (const f of filters) {
    const data = filterData(e, f.type);
    const value = BigInt(f.value);
    const op = f.op;
    if (
      (data < value && (op === 'eq' || op === 'gt' || op === 'ge')) ||
      (data === value && (op === 'ne' || op === 'gt' || op === 'lt')) ||
      (data > value && (op === 'eq' || op === 'lt' || op === 'le'))
    )
      return false;
  }
  return true;
}

function keyError(
  t: StickTable,
  text: string,
  verb: 'Showing' | 'Removing' | 'Inserting',
): NormalizedKey | string {
  const r = cliKey(t.spec.type, t.spec.keyLength, text);
  if (r.ok) return r.key;
  if (r.error === 'invalid') return 'Invalid key\n';
  const where = verb === 'Inserting' ? 'into' : 'from';
  return `${verb} keys ${where} tables of type other than ip, ipv6, string and integer is not supported\n`;
}

/** Filters naming data types the table does not store are refused, as HAProxy does. */
function checkFilters(t: StickTable, filters: readonly StickDataFilter[]): string | null {
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i] as StickDataFilter;
    if (!dataTypeInfo(f.type)) return `Filter entry #${i + 1}: Unknown data type\n`;
    if (!t.slot(f.type)) return `Filter entry #${i + 1}: Data type not stored in this table\n`;
  }
  return null;
}

/** `show table <name> [key <k> | data.<type> <op> <v> …]`. */
export function showTable(t: StickTable, selection?: StickSelection): string {
  if (selection && 'key' in selection) {
    if (selection.key === '') return 'Key value expected\n';
    const nk = keyError(t, selection.key, 'Showing');
    if (typeof nk === 'string') return nk;
    const e = t.lookupKey(nk);
    return e ? tableHeader(t) + entryLine(e) : '';
  }
  const filters = selection?.filters ?? [];
  const bad = checkFilters(t, filters);
  if (bad) return bad;
  let out = tableHeader(t);
  for (const e of t.entries()) if (passes(e, filters)) out += entryLine(e);
  return out;
}

/**
 * `show table` without a name: one header line per table. Pass the tables in declaration
 * order; HAProxy lists the last declared first.
 */
export function showTableList(tables: Iterable<StickTable>): string {
  return [...tables]
    .reverse()
    .map((t) => tableHeader(t))
    .join('');
}

/**
 * `clear table <name> [key <k> | data.<type> <op> <v> …]`: removes the entries not tracked
 * by a stream. HAProxy 2.6 decides whether to remove an entry while already holding the
 * next one, and keeps the entry when that next one is tracked; this is reproduced.
 */
export function clearTable(t: StickTable, selection?: StickSelection): string {
  if (selection && 'key' in selection) {
    if (selection.key === '') return 'Key value expected\n';
    const nk = keyError(t, selection.key, 'Removing');
    if (typeof nk === 'string') return nk;
    const e = t.lookupKey(nk);
    if (!e) return '';
    return t.removeEntry(e) ? '' : 'Entry currently in use, cannot remove\n';
  }
  const filters = selection?.filters ?? [];
  const bad = checkFilters(t, filters);
  if (bad) return bad;
  walkAndKill(t, (e) => passes(e, filters));
  return '';
}

function walkAndKill(t: StickTable, select: (e: StickEntry) => boolean): void {
  const list = t.entries();
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as StickEntry;
    const next = list[i + 1] ?? e;
    if (select(e) && next.refCount === 0) t.removeEntry(e);
  }
}

/** A value for `set table`, as HAProxy reads a long long (digits, optional leading '-'). */
export function parseLongLong(text: string): bigint | undefined {
  if (!/^-?\d*$/.test(text) || text === '') return undefined;
  const v = text === '-' ? 0n : BigInt(text);
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return undefined;
  return v;
}

/**
 * `set table <name> key <k> [data.<type> <value>]*`: creates the entry if needed, stores
 * the values in order, and refreshes it. A bad pair stops there with HAProxy's message,
 * the pairs before it applied. Rates are set to hold the value for one period.
 */
export function setTable(t: StickTable, key: string, data: readonly string[]): string {
  if (key === '') return 'Key value expected\n';
  const nk = keyError(t, key, 'Inserting');
  if (typeof nk === 'string') return nk;
  const e = t.getOrCreateKey(nk);
  if (!e) return 'Unable to allocate a new entry\n';
  let answer = '';
  for (let i = 0; i < data.length; i += 2) {
    const w = data[i] as string;
    if (!w.startsWith('data.')) {
      answer = '"data.<type>" followed by a value expected\n';
      break;
    }
    const info = dataTypeInfo(w.slice(5));
    if (!info) {
      answer = 'Unknown data type\n';
      break;
    }
    if (!t.slot(info.name)) {
      answer = 'Data type not stored in this table\n';
      break;
    }
    const v = parseLongLong(data[i + 1] ?? '');
    if (v === undefined) {
      answer = 'Require a valid integer value to store\n';
      break;
    }
    if (info.storage === 'dict') continue; // HAProxy has no way to set a server_key from here
    // arrays: the first element, as HAProxy's data pointer designates it
    e.set(info.name as Exclude<StickDataType, 'server_key'>, v);
  }
  t.touch(e);
  return answer;
}

/** A set of tables as the CLI sees them, in declaration order. */
export type StickTables = Iterable<StickTable>;

/** Reads `data.<type> <op> <value>` triplets, checking them in HAProxy's order. */
function parseFilters(t: StickTable, words: readonly string[]): StickDataFilter[] | string {
  const filters: StickDataFilter[] = [];
  let i = 0;
  for (; i < MAX_FILTERS; i++) {
    const w = words[3 * i];
    if (i > 0 && !w) break;
    const info = dataTypeInfo((w ?? '').slice(5));
    if (!info) return `Filter entry #${i + 1}: Unknown data type\n`;
    if (!t.slot(info.name)) return `Filter entry #${i + 1}: Data type not stored in this table\n`;
    const opWord = words[3 * i + 1] ?? '';
    const op = (['eq', 'ne', 'le', 'ge', 'lt', 'gt'] as const).find((o) => o === opWord);
    if (!op) return `Filter entry #${i + 1}: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n`;
    const value = parseLongLong(words[3 * i + 2] ?? '');
    if (value === undefined)
      return `Filter entry #${i + 1}: Require a valid integer value to compare against\n`;
    filters.push({ type: info.name, op, value });
  }
  if (words[3 * i]) {
    return `Detected extra data in filter, ${3 + 3 * i + 1}th word of input, after '${words[3 * i - 1] ?? ''}'\n`;
  }
  return filters;
}

/**
 * Runs `show table …`, `clear table …` or `set table …` given as words (the command
 * split as the CLI splits it, escapes resolved). Returns the answer text; commands other
 * than these three return undefined.
 */
export function tableCommand(words: readonly string[], tables: StickTables): string | undefined {
  const verb = words[0];
  if (words[1] !== 'table' || (verb !== 'show' && verb !== 'clear' && verb !== 'set')) return undefined;
  const list = [...tables];
  const name = words[2] ?? '';
  if (name === '') {
    if (verb === 'show') return showTableList(list);
    return verb === 'clear'
      ? 'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n'
      : 'Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n';
  }
  const t = list.find((x) => x.name === name);
  if (!t) return 'No such table\n';
  const sub = words[3] ?? '';
  if (sub === 'key') {
    const key = words[4] ?? '';
    if (verb === 'show') return showTable(t, { key });
    if (verb === 'clear') return clearTable(t, { key });
    return setTable(t, key, words.slice(5));
  }
  if (sub.startsWith('data.')) {
    if (verb === 'set') return 'content-based lookup is only supported with the "show" and "clear" actions\n';
    const parsed = parseFilters(t, words.slice(3));
    if (typeof parsed === 'string') return parsed;
    return verb === 'show' ? showTable(t, { filters: parsed }) : clearTable(t, { filters: parsed });
  }
  if (sub !== '') {
    if (verb === 'show')
      return 'Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>\n';
    return verb === 'clear'
      ? 'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n'
      : 'Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n';
  }
  if (verb === 'show') return showTable(t);
  // HAProxy 2.6 runs `set table <name>` without a key like `clear table <name>`
  walkAndKill(t, () => true);
  return '';
}
