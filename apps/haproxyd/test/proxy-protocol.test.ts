// End-to-end, differential: the PROXY protocol on both ends of the proxy. The same
// configuration runs in the real HAProxy 2.6 (the reference) and in haproxyd, each with its
// own ports and its own recording backends, in `mode tcp` and in `mode http`:
//
//   listen plain   bind … accept-proxy   server s1 <backend>                 (no header sent on)
//   listen v1      bind … accept-proxy   server s1 <backend> send-proxy      (PROXY v1 text)
//   listen v2      bind … accept-proxy   server s1 <backend> send-proxy-v2   (PROXY v2 binary)
//
// A client sends a PROXY header (v1 TCP4, v2 TCP4 built by hand below, or `PROXY UNKNOWN`),
// then its payload. Every backend records every byte it receives; both proxies must deliver
// the same header bytes, announcing the client's addresses (192.0.2.10:40000 ->
// 198.51.100.20:8080; for UNKNOWN, the real connection's), then the same payload, and in
// http mode the same `x-forwarded-for`. Bad input: garbage instead of a header closes the
// client connection at once with nothing sent and no backend connection; a client that sends
// nothing is closed at `timeout client` (500ms).
import { connect } from 'node:net';
import {
  type Binary,
  freePorts,
  type ProxyHandle,
  requireHaproxy,
  startProxy,
  startRawBackend,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteDir, settleLeftovers, sleep, waitFor } from './helpers.ts';

useTestkit();
afterAll(async () => {
  expect(await settleLeftovers()).toEqual([]);
});
beforeAll(() => void requireHaproxy());

type Mode = 'tcp' | 'http';
const MODES: readonly Mode[] = ['tcp', 'http'];
const TARGETS = ['plain', 'v1', 'v2'] as const;
type Target = (typeof TARGETS)[number];

/**
 * The reference first: when HAProxy itself does not do what a test expects, the test is
 * wrong. HTTP_DIFF_B=haproxy runs HAProxy on both sides (as the http suite's self-test does),
 * which proves that the cases are deterministic and a failure against haproxyd is haproxyd's.
 */
const BINARIES: readonly Binary[] = [
  'haproxy',
  process.env['HTTP_DIFF_B'] === 'haproxy' ? 'haproxy' : 'haproxyd',
];

const TIMEOUT_CLIENT_MS = 500;
/** Bound on any one client exchange (every wait in this file is bounded). */
const CLIENT_MAX_MS = 5000;

const TCP_PAYLOAD = Buffer.from('hello through the proxy\n', 'latin1');
const HTTP_REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'latin1');
const HTTP_RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'latin1');

interface Addrs {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
}

/** What the client's headers announce. */
const ANNOUNCED: Addrs = { src: '192.0.2.10', srcPort: 40000, dst: '198.51.100.20', dstPort: 8080 };

// ---- PROXY headers, written by hand (independent of @hap/proxy) ----------------------------

const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function v1Header(a: Addrs): Buffer {
  return Buffer.from(`PROXY TCP4 ${a.src} ${a.dst} ${a.srcPort} ${a.dstPort}\r\n`, 'latin1');
}

function ip4(text: string): number[] {
  return text.split('.').map(Number);
}

/** PROXY v2: signature, version 2 + command PROXY (0x21), TCP over IPv4 (0x11), 12 address bytes. */
function v2Header(a: Addrs): Buffer {
  return Buffer.from([
    ...V2_SIG,
    0x21,
    0x11,
    0x00,
    0x0c,
    ...ip4(a.src),
    ...ip4(a.dst),
    a.srcPort >> 8,
    a.srcPort & 0xff,
    a.dstPort >> 8,
    a.dstPort & 0xff,
  ]);
}

const UNKNOWN_HEADER = Buffer.from('PROXY UNKNOWN\r\n', 'latin1');

/** The PROXY header at the start of `data` (v1 up to CRLF, v2 by its length field), or none. */
function splitHeader(data: Buffer): { header: Buffer; rest: Buffer; complete: boolean } {
  const none = { header: Buffer.alloc(0), rest: data, complete: true };
  if (data.subarray(0, 6).equals(Buffer.from('PROXY ', 'latin1').subarray(0, Math.min(6, data.length)))) {
    const end = data.indexOf('\r\n');
    if (end === -1) return { header: data, rest: Buffer.alloc(0), complete: false };
    return { header: data.subarray(0, end + 2), rest: data.subarray(end + 2), complete: true };
  }
  if (data.subarray(0, 12).equals(V2_SIG.subarray(0, Math.min(12, data.length)))) {
    if (data.length < 16) return { header: data, rest: Buffer.alloc(0), complete: false };
    const total = 16 + data.readUInt16BE(14);
    if (data.length < total) return { header: data, rest: Buffer.alloc(0), complete: false };
    return { header: data.subarray(0, total), rest: data.subarray(total), complete: true };
  }
  return none;
}

/**
 * A header as text with the side-specific port numbers (the client's local port, the
 * frontend port) replaced by placeholders, so that both sides can be compared.
 */
function describeHeader(header: Buffer, ports: ReadonlyMap<number, string>): string {
  const port = (n: number) => ports.get(n) ?? String(n);
  if (header.length === 0) return '(none)';
  if (header.subarray(0, 6).toString('latin1') === 'PROXY ') {
    const text = header.toString('latin1').replace(/\b\d+\b/g, (m) => ports.get(Number(m)) ?? m);
    return `v1 ${JSON.stringify(text)}`;
  }
  if (header.length >= 16 && header.subarray(0, 12).equals(V2_SIG)) {
    const head = header.subarray(12, 16).toString('hex');
    const body = header.subarray(16);
    if (header[13] === 0x11 && body.length >= 12) {
      const ip = (at: number) => [...body.subarray(at, at + 4)].join('.');
      const tlvs = body.subarray(12).toString('hex');
      return (
        `v2 ${head} ${ip(0)}:${port(body.readUInt16BE(8))} > ${ip(4)}:${port(body.readUInt16BE(10))}` +
        ` tlvs=[${tlvs}]`
      );
    }
    return `v2 ${head} body=${body.toString('hex')}`;
  }
  return `unrecognised ${header.toString('hex')}`;
}

function hex(b: Buffer): string {
  return b.toString('hex');
}

// ---- recording backends ------------------------------------------------------------------------

interface BackendConn {
  data: Buffer;
  closed: boolean;
}

interface RecordingBackend {
  readonly addr: string;
  readonly conns: BackendConn[];
}

/**
 * A raw TCP backend recording every byte of every connection. tcp: closes its side when the
 * proxy closes its own. http: answers HTTP_RESPONSE to each request (each blank line after
 * the PROXY header, if any).
 */
async function startRecordingBackend(mode: Mode): Promise<RecordingBackend> {
  const conns: BackendConn[] = [];
  const be = await startRawBackend((socket) => {
    const conn: BackendConn = { data: Buffer.alloc(0), closed: false };
    conns.push(conn);
    let answered = 0;
    socket.on('data', (chunk: Buffer) => {
      conn.data = Buffer.concat([conn.data, chunk]);
      if (mode !== 'http') return;
      const { rest, complete } = splitHeader(conn.data);
      if (!complete) return;
      const requests = rest.toString('latin1').split('\r\n\r\n').length - 1;
      for (; answered < requests; answered++) socket.write(HTTP_RESPONSE);
    });
    socket.on('end', () => socket.end());
    socket.once('close', () => {
      conn.closed = true;
    });
  });
  return { addr: be.addr, conns };
}

// ---- the two proxies ---------------------------------------------------------------------------

interface Side {
  readonly binary: Binary;
  readonly proxy: ProxyHandle;
  readonly ports: Readonly<Record<Target, number>>;
  readonly backends: Readonly<Record<Target, RecordingBackend>>;
  readonly config: string;
}

function configText(mode: Mode, ports: Record<Target, number>, backends: Record<Target, RecordingBackend>) {
  return `${[
    'defaults',
    `  mode ${mode}`,
    '  timeout connect 2s',
    `  timeout client ${TIMEOUT_CLIENT_MS}ms`,
    '  timeout server 5s',
    ...(mode === 'http' ? ['  option forwardfor'] : []),
    'listen plain',
    `  bind 127.0.0.1:${ports.plain} accept-proxy`,
    `  server s1 ${backends.plain.addr}`,
    'listen v1',
    `  bind 127.0.0.1:${ports.v1} accept-proxy`,
    `  server s1 ${backends.v1.addr} send-proxy`,
    'listen v2',
    `  bind 127.0.0.1:${ports.v2} accept-proxy`,
    `  server s1 ${backends.v2.addr} send-proxy-v2`,
  ].join('\n')}\n`;
}

async function startSide(binary: Binary, mode: Mode, index: number): Promise<Side> {
  const backends = {
    plain: await startRecordingBackend(mode),
    v1: await startRecordingBackend(mode),
    v2: await startRecordingBackend(mode),
  };
  const [plain, v1, v2] = (await freePorts(3)) as [number, number, number];
  const ports = { plain, v1, v2 };
  const config = configText(mode, ports, backends);
  noteDir(tempDir());
  const cfg = writeConfig(config, `side${index}-${binary}-${mode}.cfg`);
  const proxy = await startProxy(binary, cfg, { readyPorts: [plain, v1, v2] });
  return { binary, proxy, ports, backends, config };
}

/** Both proxies with the same configuration (each with its own ports and backends). */
async function startBoth(mode: Mode): Promise<Side[]> {
  return Promise.all(BINARIES.map((b, i) => startSide(b, mode, i)));
}

// ---- the client --------------------------------------------------------------------------------

interface ClientResult {
  readonly received: Buffer;
  /** How it ended: 'FIN' (the proxy closed), an error code ('ECONNRESET'), 'done' (the
   * client had what it wanted and closed), 'gave up' (CLIENT_MAX_MS passed). */
  readonly end: string;
  /** From the connection being established to its end. */
  readonly elapsedMs: number;
  readonly localPort: number;
}

function runClient(
  port: number,
  opts: { send?: Buffer; halfClose?: boolean; until?: (received: Buffer) => boolean },
): Promise<ClientResult> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let connectedAt = performance.now();
    let localPort = 0;
    let end: string | undefined;
    const timer = setTimeout(() => {
      end ??= 'gave up';
      socket.destroy();
    }, CLIENT_MAX_MS);
    socket.once('connect', () => {
      connectedAt = performance.now();
      localPort = socket.localPort ?? 0;
      if (opts.send) socket.write(opts.send);
      if (opts.halfClose) socket.end();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (opts.until?.(Buffer.concat(chunks))) {
        end ??= 'done';
        socket.destroy();
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({
        received: Buffer.concat(chunks),
        end: end ?? error ?? 'FIN',
        elapsedMs: Math.round(performance.now() - connectedAt),
        localPort,
      });
    });
  });
}

/** A complete HTTP/1 response: headers and Content-Length bytes of body. */
function completeResponse(b: Buffer): boolean {
  const head = b.indexOf('\r\n\r\n');
  if (head === -1) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(b.subarray(0, head).toString('latin1'));
  return b.length >= head + 4 + Number(m?.[1] ?? 0);
}

/** Values of `name` in the request headers of `payload` (one request). */
function headerValues(payload: Buffer, name: string): string[] {
  const head = payload.toString('latin1').split('\r\n\r\n')[0] ?? '';
  return head
    .split('\r\n')
    .slice(1)
    .map((l) => /^([^:]+):\s*(.*?)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1]?.toLowerCase() === name)
    .map((m) => m[2] ?? '');
}

// ---- one exchange: header + payload through one listen --------------------------------------

type HeaderKind = 'v1' | 'v2' | 'unknown';

function clientHeader(kind: HeaderKind): Buffer {
  if (kind === 'v1') return v1Header(ANNOUNCED);
  if (kind === 'v2') return v2Header(ANNOUNCED);
  return UNKNOWN_HEADER;
}

interface Exchange {
  readonly side: Side;
  readonly target: Target;
  readonly client: ClientResult;
  readonly conns: readonly BackendConn[];
  /** The addresses the proxy should announce: the client's header's, or the real ones for UNKNOWN. */
  readonly announced: Addrs;
}

async function exchangeOn(side: Side, mode: Mode, target: Target, kind: HeaderKind): Promise<Exchange> {
  const be = side.backends[target];
  const before = be.conns.length;
  const payload = mode === 'tcp' ? TCP_PAYLOAD : HTTP_REQUEST;
  const client = await runClient(side.ports[target], {
    send: Buffer.concat([clientHeader(kind), payload]),
    halfClose: mode === 'tcp',
    ...(mode === 'http' ? { until: completeResponse } : {}),
  });
  if (mode === 'tcp') {
    // The client's FIN went through: wait (bounded) for the proxy to close the backend side too.
    await waitFor(() => be.conns.slice(before).every((c) => c.closed), 'backend closed', 2000).catch(
      () => {},
    );
  }
  const announced =
    kind === 'unknown'
      ? { src: '127.0.0.1', srcPort: client.localPort, dst: '127.0.0.1', dstPort: side.ports[target] }
      : ANNOUNCED;
  return { side, target, client, conns: be.conns.slice(before), announced };
}

/** What is compared between the two sides: everything, with the side-specific ports as placeholders. */
function normalise(x: Exchange) {
  // Only the real addresses (UNKNOWN) hold side-specific ports; the announced ones are fixed.
  const ports = new Map<number, string>(
    x.announced === ANNOUNCED
      ? []
      : [
          [x.client.localPort, '<CLIENT_PORT>'],
          [x.side.ports[x.target], '<FE_PORT>'],
        ],
  );
  return {
    client: { received: x.client.received.toString('latin1'), end: x.client.end },
    backend: x.conns.map((c) => {
      const { header, rest } = splitHeader(c.data);
      return { header: describeHeader(header, ports), payload: rest.toString('latin1') };
    }),
  };
}

/** The header a backend must receive first on `target`, exactly. */
function expectedHeader(x: Exchange): Buffer {
  if (x.target === 'v1') return v1Header(x.announced);
  if (x.target === 'v2') return v2Header(x.announced);
  return Buffer.alloc(0);
}

function checkExchange(x: Exchange, mode: Mode): void {
  const what = `${x.side.binary} ${mode} → listen ${x.target}`;
  expect(x.conns, `${what}: backend connections`).toHaveLength(1);
  const data = x.conns[0]?.data ?? Buffer.alloc(0);
  const want = expectedHeader(x);
  expect(hex(data.subarray(0, want.length)), `${what}: PROXY header bytes`).toBe(hex(want));
  const payload = data.subarray(want.length);
  if (mode === 'tcp') {
    expect(payload.toString('latin1'), `${what}: payload`).toBe(TCP_PAYLOAD.toString('latin1'));
    expect({ received: x.client.received.toString('latin1'), end: x.client.end }, what).toEqual({
      received: '',
      end: 'FIN',
    });
  } else {
    expect(payload.toString('latin1'), `${what}: request line`).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
    expect(headerValues(payload, 'x-forwarded-for'), `${what}: x-forwarded-for`).toEqual([x.announced.src]);
    const response = x.client.received.toString('latin1');
    expect(response, `${what}: response`).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response.endsWith('\r\n\r\nok'), `${what}: response body (${JSON.stringify(response)})`).toBe(
      true,
    );
  }
}

/** The same exchange through every listen of both proxies; reference checks, then haproxyd == haproxy. */
async function headerCase(mode: Mode, kind: HeaderKind): Promise<void> {
  const sides = await startBoth(mode);
  const results = await Promise.all(
    sides.map((side) => Promise.all(TARGETS.map((t) => exchangeOn(side, mode, t, kind)))),
  );
  const [ref, ours] = results as [Exchange[], Exchange[]];
  // 1. the reference does what this test expects (else the test is wrong)
  for (const x of ref) checkExchange(x, mode);
  // 2. haproxyd did the same, byte for byte (ports normalised): a difference shows both sides
  const both = TARGETS.map((t, i) => ({
    target: t,
    haproxy: normalise(ref[i] as Exchange),
    haproxyd: normalise(ours[i] as Exchange),
  }));
  expect(
    both.map((b) => ({ target: b.target, observed: b.haproxyd })),
    `haproxyd (actual) against haproxy (expected), ${mode} mode, ${kind} header`,
  ).toEqual(both.map((b) => ({ target: b.target, observed: b.haproxy })));
  // 3. and haproxyd's exact bytes (its own ports)
  for (const x of ours) checkExchange(x, mode);
}

// ---- bad input -----------------------------------------------------------------------------------

interface Refusal {
  readonly received: string;
  readonly end: string;
  readonly elapsedMs: number;
  readonly backendConns: number;
}

/** Sends `send` (or nothing) to every listen of both sides; how each connection ended. */
async function refusals(mode: Mode, send: Buffer | undefined): Promise<Record<string, Refusal>[]> {
  const sides = await startBoth(mode);
  return Promise.all(
    sides.map(async (side) => {
      const ends = await Promise.all(TARGETS.map((t) => runClient(side.ports[t], send ? { send } : {})));
      // a backend connection would have been opened at once: give it a moment to show up
      await sleep(150);
      const out: Record<string, Refusal> = {};
      TARGETS.forEach((t, i) => {
        const c = ends[i] as ClientResult;
        out[t] = {
          received: c.received.toString('latin1'),
          end: c.end,
          elapsedMs: c.elapsedMs,
          backendConns: side.backends[t].conns.length,
        };
      });
      return out;
    }),
  );
}

/** The comparable part of a refusal: the elapsed time as the phase it falls in. */
function phase(r: Refusal): Omit<Refusal, 'elapsedMs'> & { when: string } {
  const { elapsedMs, ...rest } = r;
  const when =
    elapsedMs < TIMEOUT_CLIENT_MS - 50
      ? 'before timeout client'
      : elapsedMs < TIMEOUT_CLIENT_MS + 2500
        ? 'at timeout client'
        : `${elapsedMs} ms`;
  return { ...rest, when };
}

describe.each(MODES)('mode %s: accept-proxy in, send-proxy / send-proxy-v2 out', (mode) => {
  it('PROXY v1 header (TCP4 192.0.2.10:40000 -> 198.51.100.20:8080): the same header bytes and payload reach the backends', async () => {
    await headerCase(mode, 'v1');
  });

  it('PROXY v2 header (TCP4, built by hand): the same header bytes and payload reach the backends', async () => {
    await headerCase(mode, 'v2');
  });

  it('PROXY UNKNOWN: the real connection addresses are announced, in the same bytes', async () => {
    await headerCase(mode, 'unknown');
  });

  it('garbage instead of a header (HELLO\\r\\n): closed at once, nothing sent, no backend connection', async () => {
    const [ref, ours] = (await refusals(mode, Buffer.from('HELLO\r\n', 'latin1'))) as [
      Record<string, Refusal>,
      Record<string, Refusal>,
    ];
    for (const t of TARGETS) {
      const r = ref[t] as Refusal;
      expect(r.received, `haproxy ${t}: bytes sent to the client`).toBe('');
      expect(r.backendConns, `haproxy ${t}: backend connections`).toBe(0);
      expect(phase(r).when, `haproxy ${t}: closed after ${r.elapsedMs} ms`).toBe('before timeout client');
    }
    const norm = (s: Record<string, Refusal>) =>
      TARGETS.map((t) => ({ target: t, ...phase(s[t] as Refusal) }));
    expect(norm(ours), 'haproxyd (actual) against haproxy (expected)').toEqual(norm(ref));
  });

  it(`a client sending nothing is closed at timeout client (${TIMEOUT_CLIENT_MS}ms), nothing sent, no backend connection`, async () => {
    const [ref, ours] = (await refusals(mode, undefined)) as [
      Record<string, Refusal>,
      Record<string, Refusal>,
    ];
    for (const t of TARGETS) {
      const r = ref[t] as Refusal;
      expect(r.received, `haproxy ${t}: bytes sent to the client`).toBe('');
      expect(r.backendConns, `haproxy ${t}: backend connections`).toBe(0);
      expect(phase(r).when, `haproxy ${t}: closed after ${r.elapsedMs} ms`).toBe('at timeout client');
    }
    const norm = (s: Record<string, Refusal>) =>
      TARGETS.map((t) => ({ target: t, ...phase(s[t] as Refusal) }));
    expect(norm(ours), 'haproxyd (actual) against haproxy (expected)').toEqual(norm(ref));
  });
});
