// Shared helpers of the rules suite (ACLs, fetches, converters, http-request/response rules,
// switching, tcp-request). The pair, the case runner and the comparison are the HTTP
// differential harness's (../http/harness.ts), used as they are: every case is compared
// A (HAProxy 2.6) against B (haproxyd), and each case also states what HAProxy's documented
// behaviour makes it show (`want`), checked on both sides.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Case, NormMessage, Observed } from '../http/harness.ts';
import type { ClientOptions, ClientStep, Script } from '../http/peers.ts';

// ---- requests ------------------------------------------------------------------------------------

/** A request: start line + Host (unless `host` is null) + headers, CRLF, then the body. */
export function request(
  method: string,
  target: string,
  headers: readonly string[] = [],
  o: { body?: string; version?: string; host?: string | null } = {},
): string {
  const lines = [`${method} ${target} ${o.version ?? 'HTTP/1.1'}`];
  if (o.host !== null) lines.push(`Host: ${o.host ?? 'a'}`);
  lines.push(...headers);
  if (o.body !== undefined && !headers.some((h) => /^(content-length|transfer-encoding):/i.test(h)))
    lines.push(`Content-Length: ${Buffer.byteLength(o.body, 'latin1')}`);
  return `${lines.join('\r\n')}\r\n\r\n${o.body ?? ''}`;
}

/** `GET <target> HTTP/1.1`, Host: a, plus headers. */
export function GET(target: string, headers: readonly string[] = []): string {
  return request('GET', target, headers);
}

/** n requests on one connection, each written after the previous response arrived. */
export function sequence(requests: readonly string[]): ClientStep[] {
  const steps: ClientStep[] = [];
  requests.forEach((r, i) => {
    steps.push(r, { waitResponses: i + 1, timeoutMs: 2000 });
  });
  return steps;
}

// ---- reading an observation ----------------------------------------------------------------------

/** Every value of header `name` (lower case) in a normalised message, in order. */
export function values(m: NormMessage | undefined, name: string): string[] {
  if (!m) return [];
  return m.headers.filter(([n]) => n === name).map(([, v]) => v);
}

/** The requests that reached the backend, all connections, in order. */
export function upstream(o: Observed): NormMessage[] {
  return o.norm.backend.requests.flat();
}

export function responses(o: Observed): NormMessage[] {
  return o.norm.client.responses;
}

export function statusOf(m: NormMessage | undefined): number {
  return m ? Number(m.start.slice(9, 12)) : -1;
}

// ---- expectations --------------------------------------------------------------------------------

/** Header expectations: a value, the exact list of values, or null (absent). */
export type HeaderWant = Readonly<Record<string, string | readonly string[] | null>>;

/** What HAProxy's documented behaviour makes a case show (checked on both sides). */
export interface Want {
  /** Status of each response the client received, in order (one number: exactly one response). */
  readonly status?: number | readonly number[];
  /** Body of the first response (exact text, or a pattern). */
  readonly body?: string | RegExp;
  /** Bodies of all responses, in order. */
  readonly bodies?: readonly (string | RegExp)[];
  /** Headers of the first response. */
  readonly headers?: HeaderWant;
  /** Reason phrase of the first response (the start line after the status). */
  readonly reason?: string;
  /** Number of requests that reached the backend (all connections). */
  readonly forwarded?: number;
  /** Headers of the first request the backend received. */
  readonly up?: HeaderWant;
  /** Headers of each request the backend received, in order. */
  readonly ups?: readonly HeaderWant[];
  /** Start line of the first request the backend received (exact, or a pattern). */
  readonly line?: string | RegExp;
  /** Whether the proxy closed the client connection. */
  readonly closed?: boolean;
  /** Any further assertion. */
  readonly extra?: (o: Observed) => void;
}

function checkHeaders(where: string, m: NormMessage | undefined, want: HeaderWant): void {
  for (const [name, v] of Object.entries(want)) {
    const got = values(m, name.toLowerCase());
    if (v === null) expect(got, `${where}: header ${name} must be absent`).toEqual([]);
    else if (typeof v === 'string') expect(got, `${where}: header ${name}`).toEqual([v]);
    else expect(got, `${where}: header ${name} (every value, in order)`).toEqual([...v]);
  }
}

function matchText(where: string, got: string, want: string | RegExp): void {
  if (typeof want === 'string') expect(got, where).toBe(want);
  else expect(got, where).toMatch(want);
}

/** The assertions a Want stands for, on one side's observation. */
export function checkWant(w: Want): (o: Observed) => void {
  return (o) => {
    const side = `${o.side.name} (${o.side.binary})`;
    const rs = responses(o);
    const ups = upstream(o);
    if (w.status !== undefined) {
      const want = typeof w.status === 'number' ? [w.status] : [...w.status];
      expect(rs.map(statusOf), `${side}: statuses`).toEqual(want);
    }
    if (w.body !== undefined) matchText(`${side}: body`, rs[0]?.body ?? '<no response>', w.body);
    if (w.bodies !== undefined) {
      expect(rs.length, `${side}: number of responses`).toBe(w.bodies.length);
      w.bodies.forEach((b, i) => {
        matchText(`${side}: body ${i}`, rs[i]?.body ?? '', b);
      });
    }
    if (w.reason !== undefined) expect(rs[0]?.start.slice(13), `${side}: reason`).toBe(w.reason);
    if (w.headers) checkHeaders(`${side}: response`, rs[0], w.headers);
    if (w.forwarded !== undefined) expect(ups.length, `${side}: requests at the backend`).toBe(w.forwarded);
    if (w.up) {
      expect(ups.length, `${side}: a request reached the backend`).toBeGreaterThan(0);
      checkHeaders(`${side}: upstream request`, ups[0], w.up);
    }
    if (w.ups) {
      expect(ups.length, `${side}: requests at the backend`).toBe(w.ups.length);
      w.ups.forEach((h, i) => {
        checkHeaders(`${side}: upstream request ${i}`, ups[i], h);
      });
    }
    if (w.line !== undefined) matchText(`${side}: upstream start line`, ups[0]?.start ?? '<none>', w.line);
    if (w.closed !== undefined)
      expect(o.norm.client.closed, `${side}: client connection closed`).toBe(w.closed);
    w.extra?.(o);
  };
}

export interface RuleCase {
  readonly name: string;
  readonly frontend?: string;
  /** The bytes to send (one write), or explicit client steps. */
  readonly send: string | readonly ClientStep[];
  readonly want: Want;
  readonly script?: Script;
  readonly client?: ClientOptions;
}

/** A harness Case from a RuleCase: compared A against B, plus `want` on both sides. */
export function toCase(c: RuleCase): Case {
  const steps = typeof c.send === 'string' ? [c.send] : c.send;
  const statuses =
    c.want.status === undefined ? undefined : typeof c.want.status === 'number' ? 1 : c.want.status.length;
  return {
    name: c.name,
    ...(c.frontend ? { frontend: c.frontend } : {}),
    steps,
    ...(c.script ? { script: c.script } : {}),
    client: { ...(statuses && statuses > 1 ? { responses: statuses } : {}), ...c.client },
    check: checkWant(c.want),
  };
}

// ---- files referenced by configurations (pattern files, maps, error pages) -----------------------

/** A private temp directory holding the files a configuration names; remove() in afterAll. */
export function fileDir(prefix: string): {
  dir: string;
  write(name: string, text: string): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), `hap-rules-${prefix}-`));
  return {
    dir,
    write(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The defaults every file starts from (mode http, generous timeouts). */
export const DEFAULTS = [
  'defaults',
  '  mode http',
  '  timeout connect 2s',
  '  timeout client 5s',
  '  timeout server 5s',
  '  timeout http-request 3s',
  '  timeout http-keep-alive 3s',
];

/** `backend <name>` with the recording server, plus extra lines. */
export function backend(name: string, lines: readonly string[] = []): string[] {
  return [`backend ${name}`, ...lines.map((l) => `  ${l}`), `  server s1 \${BE}`];
}

/** `frontend <key>` bound on ${FE_<key>}, plus lines (indented). */
export function frontend(key: string, lines: readonly string[], section = 'frontend'): string[] {
  return [`${section} ${key}`, `  bind \${FE_${key}}`, ...lines.map((l) => `  ${l}`)];
}
