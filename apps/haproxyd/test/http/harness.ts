// The differential harness: one test file starts, once, a pair of proxies with the SAME
// configuration text — side A is the real HAProxy 2.6 (the reference), side B is haproxyd
// (or, with HTTP_DIFF_B=haproxy, a second real HAProxy, to prove the machinery itself) —
// each in front of its own recording backend. A case sends the same bytes to both, then
// compares what reached each client and each backend after normalisation (below, in one
// place). Differences are kept failing and, with HTTP_DIFF_LOG=<file>, appended to that
// file as JSON lines for the report.
import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync } from 'node:fs';
import {
  type Binary,
  cleanupAll,
  freePort,
  type ProxyHandle,
  renderConfig,
  requireHaproxy,
  startProxy,
  writeConfig,
} from '@hap/testkit';
import { expect } from 'vitest';
import { INTENDED } from './intended.ts';
import {
  type BackendConnection,
  type ClientOptions,
  type ClientResult,
  type ClientStep,
  defaultScript,
  exchange,
  type RecordingBackend,
  type Script,
  sleep,
  startRecordingBackend,
} from './peers.ts';
import { type Message, parseRequests, parseResponses } from './wire.ts';

export type SideName = 'A' | 'B';

export interface Side {
  readonly name: SideName;
  readonly binary: Binary;
  readonly proxy: ProxyHandle;
  /** Frontend ports by the key used in the template (`${FE_<key>}`). */
  readonly ports: Readonly<Record<string, number>>;
  readonly backend: RecordingBackend;
  /** A port nothing listens on (`${DEAD}`): connections to it are refused. */
  readonly dead: number;
  readonly config: string;
}

/** Which program runs as side B: haproxyd, unless HTTP_DIFF_B=haproxy (self-test of the harness). */
export function sideBBinary(): Binary {
  return process.env['HTTP_DIFF_B'] === 'haproxy' ? 'haproxy' : 'haproxyd';
}

// ---- normalisation: the ONE place that decides what is compared -------------------------------
//
// - Start lines and header values: every port number that legitimately differs between the
//   sides (frontend ports, backend port, the closed port) is replaced by a placeholder.
// - Headers: an ordered list of [lower-cased name, value]. `Date` values become '<date>'.
//   (Name case is compared separately, in the cases that look at it on purpose.)
// - Bodies: the decoded bytes (chunk framing removed): short printable bodies as text, others
//   as '<N bytes sha256:…>'. The framing kind (content-length / chunked / until-close / none)
//   is compared; chunk SIZES are not (they depend on how reads happened to be split), but
//   chunk extensions and trailers are.
// - Client: the framed responses, any unframed trailing bytes, whether the proxy closed the
//   connection before the client stopped (FIN and RST count the same; RST vs FIN is kept in
//   the raw data only).
// - Backend: the number of connections the case opened, per connection the framed requests,
//   unframed leftovers, and whether the proxy had closed it when the client stopped (and,
//   in cases that ask for it, once the client had gone).

export interface NormMessage {
  start: string;
  headers: [string, string][];
  framing: string;
  body: string;
  extensions?: string[];
  trailers?: [string, string][];
  complete: boolean;
}

export interface Observation {
  client: { responses: NormMessage[]; rest: string; error: string; closed: boolean };
  backend: {
    connections: number;
    requests: NormMessage[][];
    rest: string[];
    closedByProxy: boolean[];
    /** Only with Case.backendSettleMs: whether the proxy closed each one once the client was gone. */
    closedAfterClient?: boolean[];
  };
}

export interface Raw {
  readonly client: ClientResult;
  readonly backend: { data: Buffer; peerEnded: boolean; closed: boolean; closedByScript: boolean }[];
}

export interface Observed {
  readonly side: Side;
  readonly norm: Observation;
  readonly raw: Raw;
}

function describeBytes(b: Buffer, ports: Map<string, string>): string {
  const printable = /^[\t\r\n\x20-\x7e]*$/.test(b.toString('latin1'));
  if (b.length <= 512 && printable) return replacePorts(b.toString('latin1'), ports);
  const sha = createHash('sha256').update(b).digest('hex').slice(0, 16);
  return `<${b.length} bytes sha256:${sha}>`;
}

function replacePorts(text: string, ports: Map<string, string>): string {
  if (ports.size === 0) return text;
  return text.replace(/\b\d{2,5}\b/g, (m) => ports.get(m) ?? m);
}

function normMessage(m: Message, ports: Map<string, string>): NormMessage {
  const out: NormMessage = {
    start: replacePorts(m.startLine, ports),
    headers: m.headers.map(([n, v]) => {
      const name = n.toLowerCase();
      return [name, name === 'date' ? '<date>' : replacePorts(v, ports)];
    }),
    framing: m.framing,
    body: describeBytes(m.body, ports),
    complete: m.complete,
  };
  if (m.chunked) {
    out.extensions = m.chunked.extensions;
    out.trailers = m.chunked.trailers.map(([n, v]) => [n.toLowerCase(), replacePorts(v, ports)]);
  }
  return out;
}

function portMap(side: Side): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, p] of Object.entries(side.ports)) m.set(String(p), `<FE_${k}>`);
  m.set(String(side.backend.port), '<BE>');
  m.set(String(side.dead), '<DEAD>');
  return m;
}

export function normalise(
  side: Side,
  client: ClientResult,
  conns: readonly BackendConnection[],
  closedAtStop: readonly boolean[],
  methods: readonly string[] | undefined,
): Observation {
  const ports = portMap(side);
  const parsed = parseResponses(client.data, { ...(methods ? { methods } : {}), closed: client.closed });
  const requests: NormMessage[][] = [];
  const rest: string[] = [];
  for (const c of conns) {
    const r = parseRequests(c.data, { tunnelAfter: (_m, i) => i === c.tunnelAt });
    requests.push(r.messages.map((m) => normMessage(m, ports)));
    rest.push(describeBytes(r.rest, ports) + (r.error ? ` (${r.error})` : ''));
  }
  return {
    client: {
      responses: parsed.messages.map((m) => normMessage(m, ports)),
      rest: describeBytes(parsed.rest, ports),
      error: parsed.error,
      closed: client.closed,
    },
    backend: { connections: conns.length, requests, rest, closedByProxy: [...closedAtStop] },
  };
}

// ---- cases ---------------------------------------------------------------------------------------

export interface Case {
  readonly name: string;
  /** Template key of the frontend to send to (default: the first one given to startPair). */
  readonly frontend?: string;
  readonly steps: readonly ClientStep[];
  /** The backend's behaviour for this case (default: 200 "hello N" for every request). */
  readonly script?: Script;
  /** Client stop conditions (see ClientOptions); `responses` defaults to 1. */
  readonly client?: ClientOptions;
  /**
   * After the client stopped (and closed): wait up to this long for the case's backend
   * connections to be closed by the proxy, and compare which were (default: not looked at).
   */
  readonly backendSettleMs?: number;
  /** Leave the case's backend connections open afterwards (default: they are destroyed). */
  readonly keepBackend?: boolean;
  /** Extra assertions made on each side's observation (both must pass). */
  readonly check?: (o: Observed) => void;
  /** Extra assertions on both observations together (e.g. timings). */
  readonly checkPair?: (a: Observed, b: Observed) => void;
}

export interface Pair {
  readonly a: Side;
  readonly b: Side;
  /** Runs a case on both sides (concurrently: they share nothing) and returns both observations. */
  observe(c: Case): Promise<{ a: Observed; b: Observed }>;
  /** observe() + the comparison (B must equal A, or A as an intended difference describes) + check. */
  check(c: Case): Promise<{ a: Observed; b: Observed }>;
  /**
   * For the few cases where HAProxy 2.6 itself is not deterministic (README.md, "Cases where
   * the reference varies"): each side's outcome, summarised by `classify`, must be one of
   * `allowed` (the outcomes HAProxy was seen to produce), plus `c.check` on both.
   */
  checkOneOf(
    c: Case,
    classify: (o: Observed) => string,
    allowed: readonly string[],
  ): Promise<{ a: Observed; b: Observed }>;
  /** Runs `fn` for each side concurrently (custom scenarios: several clients, undici). */
  both<T>(fn: (side: Side) => Promise<T>): Promise<{ a: T; b: T }>;
  close(): Promise<void>;
}

export interface PairOptions {
  /** Config template; `${FE_<key>}` for each frontend key, `${BE}` the recording backend's
   * `127.0.0.1:port`, `${DEAD}` a `127.0.0.1:port` that refuses connections, plus `vars`. */
  readonly template: string;
  readonly frontends: readonly string[];
  readonly vars?: Readonly<Record<string, string | number>>;
}

async function startSide(name: SideName, binary: Binary, opts: PairOptions): Promise<Side> {
  const backend = await startRecordingBackend();
  const ports: Record<string, number> = {};
  for (const k of opts.frontends) ports[k] = await freePort();
  const dead = await freePort();
  const vars: Record<string, string | number> = {
    ...opts.vars,
    BE: `127.0.0.1:${backend.port}`,
    DEAD: `127.0.0.1:${dead}`,
  };
  for (const [k, p] of Object.entries(ports)) vars[`FE_${k}`] = `127.0.0.1:${p}`;
  const config = renderConfig(opts.template, vars);
  const file = writeConfig(config, `http-${name}-${binary}.cfg`);
  let proxy: ProxyHandle;
  try {
    proxy = await startProxy(binary, file, { readyPorts: Object.values(ports) });
  } catch (e) {
    await backend.close();
    throw e;
  }
  return { name, binary, proxy, ports, backend, dead, config };
}

/** Starts A (haproxy) and B (haproxyd) with the same configuration template. */
/**
 * The template most files use: one frontend (`main`) in front of one backend with the
 * recording server, in mode http. `serverTimeout` and `global` lines vary by file.
 */
export function oneFrontendTemplate(o: { serverTimeout?: string; global?: readonly string[] } = {}): string {
  const global = o.global?.length ? `global\n${o.global.map((l) => `  ${l}`).join('\n')}\n` : '';
  return `
${global}defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server ${o.serverTimeout ?? '5s'}
  timeout http-request 3s
frontend fe
  bind \${FE_main}
  default_backend be
backend be
  server s1 \${BE}
`;
}

export async function startPair(opts: PairOptions): Promise<Pair> {
  requireHaproxy();
  const [ra, rb] = await Promise.allSettled([
    startSide('A', 'haproxy', opts),
    startSide('B', sideBBinary(), opts),
  ]);
  if (ra.status === 'rejected' || rb.status === 'rejected') {
    if (ra.status === 'fulfilled') await closeSide(ra.value);
    if (rb.status === 'fulfilled') await closeSide(rb.value);
    await cleanupAll().catch(() => {});
    const why = [ra, rb].flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    throw new Error(`could not start the proxy pair:\n${why.join('\n')}`);
  }
  const a = ra.value;
  const b = rb.value;
  const observe = async (c: Case) => {
    const [oa, ob] = await Promise.all([runOn(a, c), runOn(b, c)]);
    return { a: oa, b: ob };
  };
  return {
    a,
    b,
    observe,
    async check(c) {
      const r = await observe(c);
      dump(c.name, r.a);
      // Every assertion is made even when an earlier one failed: a difference in the
      // comparison must not hide a broken invariant or a wrong timing.
      const errors: unknown[] = [];
      const attempt = (f: () => void) => {
        try {
          f();
        } catch (e) {
          errors.push(e);
        }
      };
      attempt(() => compare(c.name, r.a, r.b));
      const one = c.check;
      if (one) {
        attempt(() => one(r.a));
        attempt(() => one(r.b));
      }
      const pairCheck = c.checkPair;
      if (pairCheck) attempt(() => pairCheck(r.a, r.b));
      const [first, ...more] = errors;
      if (first instanceof Error && more.length > 0)
        first.message += `\n\nand also:\n${more.map((e) => (e instanceof Error ? e.message : String(e))).join('\n\n')}`;
      if (first !== undefined) throw first;
      return r;
    },
    async checkOneOf(c, classify, allowed) {
      const r = await observe(c);
      dump(c.name, r.a);
      const ka = classify(r.a);
      const kb = classify(r.b);
      expect(allowed, `${c.name}: haproxy (A) did something new: ${ka}`).toContain(ka);
      try {
        expect(allowed, `${c.name}: ${b.binary} (B) outcome ${kb} is not one of HAProxy's`).toContain(kb);
      } catch (e) {
        logDifference(c.name, r.a, r.b);
        throw e;
      }
      if (c.check) {
        c.check(r.a);
        c.check(r.b);
      }
      return r;
    },
    async both(fn) {
      const [ta, tb] = await Promise.all([fn(a), fn(b)]);
      return { a: ta, b: tb };
    },
    async close() {
      await Promise.all([closeSide(a), closeSide(b)]);
      await cleanupAll();
    },
  };
}

async function closeSide(s: Side): Promise<void> {
  await s.proxy.stop();
  await s.backend.close();
}

/** Runs one case on one side only. */
export async function runOn(side: Side, c: Case): Promise<Observed> {
  const key = c.frontend ?? Object.keys(side.ports)[0] ?? '';
  const port = side.ports[key];
  if (port === undefined) throw new Error(`case ${c.name}: no frontend '${key}'`);
  side.backend.script = c.script ?? defaultScript;
  const mark = side.backend.connections.length;
  const client = await exchange(port, c.steps, c.client ?? {});
  const conns = side.backend.since(mark);
  // When the proxy closed the client, it closes the server side at about the same moment:
  // give that close a short, bounded chance to arrive before taking the snapshot.
  if (client.closed) await side.backend.settle(mark, 30);
  const closedAtStop = conns.map((x) => (x.peerEnded || x.closed) && !x.closedByScript);
  let closedAfterClient: boolean[] | undefined;
  if (c.backendSettleMs) {
    await side.backend.settle(mark, c.backendSettleMs);
    closedAfterClient = conns.map((x) => (x.peerEnded || x.closed) && !x.closedByScript);
  }
  const raw: Raw = {
    client,
    backend: conns.map((x) => ({
      data: x.data,
      peerEnded: x.peerEnded,
      closed: x.closed,
      closedByScript: x.closedByScript,
    })),
  };
  const norm = normalise(side, client, conns, closedAtStop, c.client?.methods);
  if (closedAfterClient) norm.backend.closedAfterClient = closedAfterClient;
  // Isolation: nothing of this case survives into the next one on the backend side. The
  // backend closes its connections gracefully (FIN) and waits, bounded, until the proxy
  // closed them too: a proxy that reuses idle server connections (http-reuse) has then seen
  // the close before the next case, instead of racing it.
  if (!c.keepBackend) await side.backend.retire(mark, 100);
  side.backend.script = defaultScript;
  return { side, norm, raw };
}

// ---- comparison ----------------------------------------------------------------------------------

/** Shows raw bytes readably (CR/LF visible), capped. */
export function show(b: Buffer, max = 1500): string {
  const t = b.toString('latin1').replace(/\r/g, '\\r').replace(/\n/g, '\\n\n');
  return t.length > max ? `${t.slice(0, max)}…(${b.length} bytes)` : t;
}

/** With HTTP_DIFF_DUMP=<file>: what side A (HAProxy) did in every case, for reading. */
function dump(name: string, a: Observed): void {
  const file = process.env['HTTP_DIFF_DUMP'];
  if (!file) return;
  const backend = a.raw.backend.map((x) => show(x.data, 800)).join('\n~~~ next connection\n');
  appendFileSync(
    file,
    `==== ${name} [client stop=${a.raw.client.stop} ${a.raw.client.elapsedMs} ms${a.raw.client.reset ? ' RST' : ''}]\n` +
      `${show(a.raw.client.data, 800)}\n---- backend (${a.raw.backend.length} conn):\n${backend}\n`,
  );
}

function logDifference(name: string, a: Observed, b: Observed): void {
  const file = process.env['HTTP_DIFF_LOG'];
  if (!file) return;
  const rawOf = (o: Observed) => ({
    client: o.raw.client.data.toString('latin1').slice(0, 3000),
    clientStop: o.raw.client.stop,
    clientElapsedMs: o.raw.client.elapsedMs,
    backend: o.raw.backend.map((x) => x.data.toString('latin1').slice(0, 3000)),
  });
  appendFileSync(
    file,
    `${JSON.stringify({ case: name, a: a.norm, b: b.norm, rawA: rawOf(a), rawB: rawOf(b) })}\n`,
  );
}

/**
 * B must equal A after normalisation. When the case has an intended difference (intended.ts,
 * listed in README.md), B must equal what that entry derives from A — so the difference
 * itself is asserted.
 */
export function compare(name: string, a: Observed, b: Observed): void {
  const intended = b.side.binary === 'haproxyd' ? INTENDED.find((d) => d.matches(name)) : undefined;
  const want = intended ? intended.expectB(structuredClone(a.norm)) : a.norm;
  try {
    expect(
      b.norm,
      `${name}: ${b.side.binary} (B) differs from haproxy (A)${intended ? ` beyond the intended difference "${intended.title}"` : ''}\n` +
        `--- A raw client bytes:\n${show(a.raw.client.data)}\n--- B raw client bytes:\n${show(b.raw.client.data)}\n` +
        `--- A backend bytes:\n${a.raw.backend.map((x) => show(x.data)).join('\n~~~\n')}\n` +
        `--- B backend bytes:\n${b.raw.backend.map((x) => show(x.data)).join('\n~~~\n')}\n`,
    ).toEqual(want);
  } catch (e) {
    logDifference(name, a, b);
    throw e;
  }
}

/** For custom scenarios: B's value must equal A's (logged like compare() when it does not). */
export function compareValues<T>(name: string, a: T, b: T, context = ''): void {
  try {
    expect(b, `${name}: B differs from haproxy (A)${context ? `\n${context}` : ''}`).toEqual(a);
  } catch (e) {
    const file = process.env['HTTP_DIFF_LOG'];
    if (file) appendFileSync(file, `${JSON.stringify({ case: name, a, b, context })}\n`);
    throw e;
  }
}

// ---- helpers for assertions ----------------------------------------------------------------------

export function statusesOf(o: Observed): number[] {
  return o.norm.client.responses.map((m) => Number(m.start.slice(9, 12)));
}

/** The number of file descriptors the process holds now. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Waits (bounded) until the fd count of `pid` is at most `target`; returns the last count. */
export async function fdsSettle(pid: number, target: number, ms = 2000): Promise<number> {
  const deadline = Date.now() + ms;
  let n = fdCount(pid);
  while (n > target && Date.now() < deadline) {
    await sleep(20);
    n = fdCount(pid);
  }
  return n;
}

/** `head` + CRLF CRLF + body: a request written with CRLF line endings. */
export function req(lines: readonly string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A chunked body from the given chunk payloads (plus the last chunk and optional trailers). */
export function chunked(parts: readonly string[], trailers: readonly string[] = []): string {
  let s = '';
  for (const p of parts) s += `${Buffer.byteLength(p, 'latin1').toString(16)}\r\n${p}\r\n`;
  return `${s}0\r\n${trailers.map((t) => `${t}\r\n`).join('')}\r\n`;
}

/** Splits bytes into single-byte writes separated by `delayMs` (at least 1 ms). */
export function byteByByte(text: string, delayMs = 1): ClientStep[] {
  const out: ClientStep[] = [];
  for (const ch of text) out.push(ch, { delay: Math.max(1, delayMs) });
  return out;
}
