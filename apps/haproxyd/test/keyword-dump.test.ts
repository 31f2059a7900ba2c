// `haproxyd -dK…` says, for each HAProxy keyword, whether haproxyd honours it. The status of
// sample fetches and converters (and of HTTP rule actions) must be what the configuration check
// does with them: every one listed `unsupported` is refused "not supported yet", and no
// `supported` one is.
import { compileSampleExpr } from '@hap/sample';
import { writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllRuns, runBinary } from './helpers.ts';

useTestkit();
afterEach(() => killAllRuns());

async function haproxyd(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  const r = runBinary('haproxyd', args);
  const { code } = await r.closed;
  return { code, out: r.stdout() + r.stderr() };
}

/** `name → status` of one -dK class. */
function statuses(dump: string, title: string): Map<string, string> {
  const lines = dump.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`# List of ${title} `));
  expect(start, `no '${title}' list in -dK's output`).toBeGreaterThanOrEqual(0);
  const out = new Map<string, string>();
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('\t')) break;
    const [name, status] = l.slice(1).split('\t') as [string, string];
    out.set(name, status);
  }
  return out;
}

/** Runs `-c` on one rule per name and returns the names the check refused (not supported, or unknown). */
async function refused(names: readonly string[], line: (name: string) => string): Promise<Set<string>> {
  const cfg = writeConfig(
    [
      'defaults',
      '  mode http',
      '  timeout client 1s',
      '  timeout server 1s',
      '  timeout connect 1s',
      'frontend fe',
      '  bind 127.0.0.1:1',
      ...names.map((n) => `  ${line(n)}`),
      '  default_backend be',
      'backend be',
      '  server s1 127.0.0.1:2',
      '',
    ].join('\n'),
    'dump-check.cfg',
  );
  const { out } = await haproxyd(['-c', '-f', cfg]);
  const first = 8; // the line of the first rule
  const notSupported = new Set<string>();
  // refused: not supported yet, or unknown like HAProxy's optional modules (51d, wurfl, …)
  const refusal =
    /\[[^\]]*:(\d+)\] : .*(?:not supported yet|does not support yet|unknown fetch method|unknown converter)/g;
  for (const m of out.matchAll(refusal)) notSupported.add(names[Number(m[1]) - first]!);
  return notSupported;
}

describe('-dK statuses match what -c refuses', () => {
  it('sample fetches, converters and http-request actions', async () => {
    const { code, out } = await haproxyd(['-dKsmp,cnv,cfg', '-c', '-f', '/dev/null']);
    expect(code).toBe(2); // an empty configuration: no listener
    const fetches = statuses(out, 'sample fetch functions');
    const converters = statuses(out, 'sample converter functions');
    const config = statuses(out, 'configuration keywords');
    expect(fetches.get('req.hdr')).toBe('supported');
    expect(converters.get('map_str')).toBe('supported');
    expect(config.get('http-request set-header')).toBe('supported');
    expect(config.get('http-request cache-use')).toBe('unsupported');
    for (const map of [fetches, converters])
      expect([...map.values()].every((s) => s !== 'parsed')).toBe(true);

    // each name alone through the sample compiler -c uses (in one -c run, the first bad rule
    // ends the reading, as in HAProxy)
    const opts = { file: 'dump-check.cfg', line: 1, resolvePath: (x: string) => x };
    const refusedName = (text: string) => {
      try {
        compileSampleExpr(text, opts);
        return false;
      } catch (err) {
        const code = (err as { code?: string }).code;
        // argument errors are not refusals: the name is known and runs
        return code === 'HAP_ERR_SAMPLE_UNSUPPORTED' || code === 'HAP_ERR_SAMPLE_UNKNOWN';
      }
    };
    for (const [n, status] of fetches)
      expect({ n, refused: refusedName(n) }).toEqual({ n, refused: status === 'unsupported' });
    for (const [n, status] of converters)
      expect({ n, refused: refusedName(`str(a),${n}`) }).toEqual({ n, refused: status === 'unsupported' });

    // actions need their own arguments: a few, each with a valid line
    const lines: Record<string, string> = {
      'set-header': 'set-header X-A b',
      'set-src': 'set-src hdr(x-forwarded-for)',
      'set-var(': 'set-var(txn.a) str(b)',
      'wait-for-body': 'wait-for-body time 1s',
      'early-hint': 'early-hint link </a>',
      'del-header': 'del-header x-a',
    };
    let refusals = 0;
    for (const [a, line] of Object.entries(lines)) {
      const bad = (await refused([a], () => `http-request ${line}`)).has(a);
      if (bad) refusals++;
      expect({ a, refused: bad }).toEqual({ a, refused: config.get(`http-request ${a}`) === 'unsupported' });
    }
    expect(refusals).toBeGreaterThan(0);
  });
});
