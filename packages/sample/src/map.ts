// Map converters: map_<match>_<output>(file[,default]) (HAProxy manual 7.3.1 "map").
// The file is one pattern reference shared by every user of its name (pattern/ref.ts, the
// runtime API changes it); the key column is indexed like ACL patterns (exact strings
// hashed, prefixes and networks longest-first, the other methods in file order), the value
// column parsed into the output type when loaded or changed.
import { type ArgVal, argSpec } from './args.ts';
import type { ConvDef } from './defs.ts';
import type { SampleValue } from './env.ts';
import { SampleError } from './errors.ts';
import { ipv4, ipv6, parseIpv4Prefix, parseIpv6 } from './ip.ts';
import type { CompileOptions } from './options.ts';
import { MATCH_TYPES, type MatchMethod, type PatEntry, type PatternSet } from './pattern/match.ts';
import { PATTERN_REFS, REF_MAP } from './pattern/ref.ts';
import type { SmpType } from './types.ts';

type MapOut = 'str' | 'int' | 'ip';

const OUT_TYPES: Readonly<Record<MapOut, SmpType>> = { str: 'str', int: 'sint', ip: 'addr' };

/** The value column of a map read as the converter's output type (HAProxy's parse_smp). */
function parseValue(out: MapOut): (v: string) => SampleValue {
  switch (out) {
    case 'str':
      return (v) => v;
    case 'int':
      return (v) => {
        if (!/^[+-]?\d+$/.test(v)) throw new SampleError('HAP_ERR_SAMPLE_PATTERN', `unable to parse '${v}'`);
        return Number(v);
      };
    case 'ip':
      return (v) => {
        const b4 = parseIpv4Prefix(v);
        if (b4) return ipv4(b4);
        const b6 = parseIpv6(v);
        if (b6) return ipv6(b6);
        throw new SampleError('HAP_ERR_SAMPLE_PATTERN', `unable to parse '${v}'`);
      };
  }
}

interface MapArg {
  set: PatternSet;
  regm: boolean;
}

/** map_regm: the value with \1…\9 replaced by the key's groups. */
function substitute(value: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) {
      const n = value[i + 1]!;
      if (n >= '0' && n <= '9') {
        out += m[Number(n)] ?? '';
        i++;
        continue;
      }
      out += n;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}

function mapDef(name: string, method: MatchMethod, out: MapOut, regm = false): ConvDef {
  const outType = OUT_TYPES[out];
  return {
    name,
    args: argSpec(1, 'str', out === 'int' ? 'sint' : 'str'),
    in: MATCH_TYPES[method],
    out: outType,
    check(args: ArgVal[], opts: CompileOptions) {
      const file = args[0] as string;
      const ref = PATTERN_REFS.fileRef(
        file,
        opts.resolvePath(file),
        true,
        REF_MAP,
        opts.file,
        opts.line,
        0,
        name,
      );
      // one expression per output type: values are parsed into it
      const set = ref.expr(regm ? 'regm' : method, false, true, out, parseValue(out));
      const arg: MapArg = { set, regm };
      args[0] = arg;
      if (out === 'ip' && typeof args[1] === 'string') {
        const def = args[1];
        try {
          args[1] = parseValue('ip')(def);
        } catch {
          throw new SampleError('HAP_ERR_SAMPLE_PATTERN', `map: cannot parse default ip <${def}>.`);
        }
      }
    },
    fn(v, args) {
      const m = args[0] as MapArg;
      const e: PatEntry | undefined = m.set.lookup(v);
      if (!e) return args[1] as SampleValue | undefined;
      if (m.regm && e.re && typeof e.value === 'string') {
        const r = e.re.exec(v as string);
        return r ? substitute(e.value, r) : e.value;
      }
      return e.value;
    },
  };
}

const STR_METHODS: readonly MatchMethod[] = ['str', 'beg', 'sub', 'dir', 'dom', 'end', 'reg'];

function build(): ConvDef[] {
  const defs: ConvDef[] = [mapDef('map', 'str', 'str')];
  for (const m of [...STR_METHODS, 'int', 'ip'] as MatchMethod[]) {
    defs.push(mapDef(`map_${m}`, m, 'str'));
    defs.push(mapDef(`map_${m}_int`, m, 'int'));
    defs.push(mapDef(`map_${m}_ip`, m, 'ip'));
  }
  defs.push(mapDef('map_regm', 'reg', 'str', true));
  return defs;
}

export const MAP_CONVERTERS: readonly ConvDef[] = build();
