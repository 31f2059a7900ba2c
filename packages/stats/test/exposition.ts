// A small parser of the Prometheus text exposition format (version 0.0.4), strict enough
// to reject what a scraper would: it checks every line, and that each sample belongs to a
// family announced by # HELP and # TYPE, whose samples come as one group.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The value as written (NaN, +Inf, 0.000000 …). */
  readonly raw: string;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help: string | null;
  type: string | null;
  readonly samples: Sample[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(raw: string): number {
  if (raw === 'NaN') return Number.NaN;
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) throw new Error(`bad value '${raw}'`);
  return Number(raw);
}

/** Labels between braces: name="value" pairs, values with \\, \" and \n escapes. */
function parseLabels(s: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at;
  for (;;) {
    if (s[i] === '}') return { labels, end: i + 1 };
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error('label without =');
    const name = s.slice(i, eq).trim();
    if (!LABEL.test(name)) throw new Error(`bad label name '${name}'`);
    if (name in labels) throw new Error(`duplicate label '${name}'`);
    if (s[eq + 1] !== '"') throw new Error(`label ${name}: value not quoted`);
    let v = '';
    let j = eq + 2;
    for (;;) {
      const c = s[j];
      if (c === undefined) throw new Error(`label ${name}: unterminated value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = s[j + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new Error(`label ${name}: bad escape \\${n}`);
        j += 2;
        continue;
      }
      if (c === '\n') throw new Error(`label ${name}: raw newline`);
      v += c;
      j++;
    }
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`label ${name}: expected , or }`);
  }
}

/** Parses a whole exposition; throws with the line number on the first error. */
export function parseExposition(text: string): Family[] {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the last line has no newline');
  const families = new Map<string, Family>();
  const order: Family[] = [];
  let current: Family | null = null;
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: null, type: null, samples: [] };
      families.set(name, f);
      order.push(f);
    }
    return f;
  };
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, n) => {
    const where = `line ${n + 1}: ${line}`;
    try {
      if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
        if (!m) return; // a plain comment
        const [, kind, name = '', rest = ''] = m;
        if (!METRIC.test(name)) throw new Error('bad metric name');
        const f = family(name);
        if (f.samples.length > 0) throw new Error(`${kind} after the samples of ${name}`);
        if (kind === 'HELP') {
          if (f.help !== null) throw new Error('second HELP');
          f.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
        } else {
          if (f.type !== null) throw new Error('second TYPE');
          if (!TYPES.has(rest)) throw new Error(`bad type '${rest}'`);
          f.type = rest;
        }
        return;
      }
      if (line.trim() === '') throw new Error('empty line');
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
      if (!m) throw new Error('bad metric name');
      const name = m[1]!;
      let rest = line.slice(name.length);
      let labels: Record<string, string> = {};
      if (rest.startsWith('{')) {
        const parsed = parseLabels(line, name.length + 1);
        labels = parsed.labels;
        rest = line.slice(parsed.end);
      }
      const parts = rest.trim().split(/\s+/);
      if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2)
        throw new Error('expected " value [timestamp]"');
      if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error('bad timestamp');
      const f = families.get(name);
      if (!f) throw new Error(`sample of ${name} without HELP/TYPE`);
      if (current !== f && f.samples.length > 0) throw new Error(`samples of ${name} are not grouped`);
      const key = JSON.stringify(Object.entries(labels).sort());
      if (f.samples.some((s) => JSON.stringify(Object.entries(s.labels).sort()) === key)) {
        throw new Error('duplicate label set');
      }
      f.samples.push({ name, labels, raw: parts[0]!, value: parseValue(parts[0]!) });
      current = f;
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  });
  for (const f of order) {
    if (f.help === null || f.type === null)
      throw new Error(`${f.name}: missing ${f.help === null ? 'HELP' : 'TYPE'}`);
  }
  return order;
}
