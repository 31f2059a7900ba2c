// End-to-end: the quick start. examples/quickstart.cfg binds 127.0.0.1:8080 (frontend www,
// roundrobin over demo1/demo2) and 127.0.0.1:8081/8082 (demo1/demo2 answering with
// `http-request return`). So that the test never depends on those ports being free, it runs
// a copy of the file in a temp dir with the three ports replaced by free ones — and checks
// that the copy differs from the original in nothing but those port numbers. Four requests
// (undici) must be answered 200 text/plain by demo1, demo2, demo1, demo2, in haproxyd and,
// with the same configuration, in the real HAProxy 2.6.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Binary,
  freePorts,
  type ProxyHandle,
  repoRoot,
  requireHaproxy,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteDir, settleLeftovers } from './helpers.ts';

useTestkit();
afterAll(async () => {
  expect(await settleLeftovers()).toEqual([]);
});
beforeAll(() => void requireHaproxy());

const ORIGINAL_PATH = join(repoRoot(), 'examples', 'quickstart.cfg');
/** The ports the quick start binds, the frontend's first. */
const ORIGINAL_PORTS = [8080, 8081, 8082] as const;
const FRONTEND_PORT = 8080;

const EXPECTED = [1, 2, 3, 4].map((i) => ({
  status: 200,
  contentType: 'text/plain',
  body: `hello from demo${i % 2 === 1 ? 1 : 2}\n`,
}));

function original(): string {
  return readFileSync(ORIGINAL_PATH, 'utf8');
}

/** Every `127.0.0.1:<port>` of `text` with the port replaced through `map` (others kept). */
function withPorts(text: string, map: ReadonlyMap<number, number>): string {
  return text.replace(/127\.0\.0\.1:(\d+)\b/g, (m, p: string) => {
    const to = map.get(Number(p));
    return to === undefined ? m : `127.0.0.1:${to}`;
  });
}

/**
 * The differences between two texts, checked independently of withPorts(): both are cut at
 * every run of digits; everything that is not a digit run must be identical, and the result
 * is every pair of digit runs that differ, [original, copy], in order.
 */
function numberChanges(orig: string, copy: string): [number, number][] {
  const a = orig.split(/(\d+)/);
  const b = copy.split(/(\d+)/);
  expect(b.length, 'the copy has as many numbers as the original').toBe(a.length);
  const changes: [number, number][] = [];
  for (let i = 0; i < a.length; i++) {
    if (i % 2 === 0) {
      expect(JSON.stringify(b[i]), `text between numbers, piece ${i}`).toBe(JSON.stringify(a[i]));
    } else if (a[i] !== b[i]) {
      changes.push([Number(a[i]), Number(b[i])]);
    }
  }
  return changes;
}

interface QuickstartCopy {
  readonly path: string;
  readonly text: string;
  /** original port -> free port */
  readonly map: ReadonlyMap<number, number>;
  readonly frontendPort: number;
  readonly ports: readonly number[];
}

/** Writes the copy with free ports into the test's temp dir, checking it changed ports only. */
async function quickstartCopy(name: string): Promise<QuickstartCopy> {
  const text = original();
  const found = [...new Set([...text.matchAll(/127\.0\.0\.1:(\d+)\b/g)].map((m) => Number(m[1])))].sort(
    (x, y) => x - y,
  );
  expect(found, `the addresses in ${ORIGINAL_PATH}`).toEqual([...ORIGINAL_PORTS]);
  expect(text, 'frontend www binds 127.0.0.1:8080').toMatch(
    new RegExp(`\\nfrontend www\\n\\s+bind 127\\.0\\.0\\.1:${FRONTEND_PORT}\\n`),
  );
  const free = await freePorts(ORIGINAL_PORTS.length);
  const map = new Map<number, number>(ORIGINAL_PORTS.map((p, i) => [p, free[i] as number]));
  const copy = withPorts(text, map);

  // The copy differs from the original only in port numbers, each original port always
  // becoming the same free port, and every occurrence of the three ports replaced.
  const changes = numberChanges(text, copy);
  const occurrences = [...text.matchAll(/127\.0\.0\.1:(\d+)\b/g)].filter((m) => map.has(Number(m[1]))).length;
  expect(changes.length, 'number of changed numbers').toBe(occurrences);
  for (const [from, to] of changes) expect(to, `port ${from} in the copy`).toBe(map.get(from));
  for (const p of ORIGINAL_PORTS) expect(copy).not.toContain(`127.0.0.1:${p}`);

  noteDir(tempDir());
  const path = writeConfig(copy, name);
  return { path, text: copy, map, frontendPort: map.get(FRONTEND_PORT) as number, ports: free };
}

interface Answer {
  status: number;
  contentType: string | string[] | undefined;
  body: string;
}

/** Starts `binary -db -f <copy>` and sends 4 requests, one after the other, with undici. */
async function fourRequests(binary: Binary): Promise<{ answers: Answer[]; proxy: ProxyHandle }> {
  const copy = await quickstartCopy(`quickstart-${binary}.cfg`);
  const proxy = await startProxy(binary, copy.path, { readyPorts: copy.ports });
  const agent = new Agent({ connect: { timeout: 5000 }, headersTimeout: 5000, bodyTimeout: 5000 });
  try {
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(`http://127.0.0.1:${copy.frontendPort}/`, { dispatcher: agent });
      answers.push({
        status: res.statusCode,
        contentType: res.headers['content-type'],
        body: await res.body.text(),
      });
    }
    return { answers, proxy };
  } finally {
    await agent.close();
  }
}

describe('examples/quickstart.cfg', () => {
  it('the copy run by the tests differs from the original only in its three port numbers', async () => {
    const copy = await quickstartCopy('quickstart-check.cfg');
    expect(readFileSync(copy.path, 'utf8')).toBe(copy.text);
    expect(new Set(copy.ports).size).toBe(3);
    for (const p of copy.ports) expect(ORIGINAL_PORTS as readonly number[]).not.toContain(p);
  });

  it.each(['haproxyd', 'haproxy'] as const)(
    '%s -db -f quickstart.cfg: 4 requests answered 200 text/plain by demo1, demo2, demo1, demo2',
    async (binary) => {
      const { answers, proxy } = await fourRequests(binary);
      expect(answers, proxy.stderr()).toEqual(EXPECTED);
      expect(proxy.exitStatus(), 'still running').toBeNull();
    },
  );

  it('differential: haproxyd gives the same statuses, content types and bodies, in the same order, as haproxy', async () => {
    const [ref, ours] = await Promise.all([fourRequests('haproxy'), fourRequests('haproxyd')]);
    expect(ours.answers, 'haproxyd (actual) against haproxy (expected)').toEqual(ref.answers);
  });
});
