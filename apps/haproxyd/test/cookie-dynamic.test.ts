// Differential: dynamic persistence cookies (`cookie <name> ... dynamic`, `dynamic-cookie-key`)
// and the runtime API commands that change them (`enable|disable dynamic-cookie backend`,
// `set dynamic-cookie-key backend`), against the real HAProxy 2.6 with the same servers (the
// value hashes the server's address and port, so both proxies point at the same three HTTP
// servers). Observed on both sides: the Set-Cookie value each server gets, the server a
// request carrying that cookie reaches (`X-Srv: %[srv_name]`), the `cookie` column of
// `show stat`, the answers of the commands, and the warnings about two equal cookies (at start
// and after the commands).
import { join } from 'node:path';
import { dynamicCookie } from '@hap/proxy';
import {
  type Backend,
  type Binary,
  freePorts,
  type ProxyHandle,
  type RecordedHttpRequest,
  request,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, waitUntil } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

/** Longer than 32 bytes with the address and port: XXH64's stripe loop runs. */
const LONG_KEY = 'a-defaults-key-longer-than-one-xxh64-stripe';

let apps: Backend<RecordedHttpRequest>[] = [];
beforeAll(async () => {
  const ok = () =>
    startHttpBackend((_req, res) => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
  apps = [await ok(), await ok(), await ok()];
});

function config(port: number, sock: string): string {
  const [a, b, c] = apps.map((x) => `127.0.0.1:${x.port}`) as [string, string, string];
  return [
    'global',
    `  stats socket ${sock} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 20s',
    '  timeout server 20s',
    `  dynamic-cookie-key ${LONG_KEY}`,
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  use_backend be_long if { req.hdr(x-be) long }',
    '  use_backend be_dup if { req.hdr(x-be) dup }',
    '  default_backend be',
    // without a usable cookie, requests go round the servers
    'backend be',
    '  balance roundrobin',
    '  cookie SRV insert indirect dynamic',
    '  dynamic-cookie-key mykey',
    '  http-response set-header X-Srv %[srv_name]',
    `  server s1 ${a}`,
    `  server s2 ${b}`,
    `  server s3 ${c}`,
    `  server s4 ${c} cookie fixed`,
    // the key comes from the defaults section
    'backend be_long',
    '  cookie SRV insert dynamic',
    '  http-response set-header X-Srv %[srv_name]',
    `  server l1 ${b}`,
    // two servers at one address: the same cookie, HAProxy warns
    'backend be_dup',
    '  cookie SRV insert dynamic',
    '  dynamic-cookie-key dupkey',
    `  server d1 ${a}`,
    `  server d2 ${a}`,
    '',
  ].join('\n');
}

interface Seen {
  srv: string;
  setCookie: string;
}

async function get(port: number, headers: Record<string, string>): Promise<Seen> {
  const r = await request(`http://127.0.0.1:${port}/`, { headers, timeoutMs: 20_000 });
  expect(r.status).toBe(200);
  const sc = r.headers['set-cookie'];
  return { srv: String(r.headers['x-srv'] ?? ''), setCookie: Array.isArray(sc) ? sc.join('\n') : (sc ?? '') };
}

/** Requests without a cookie until one reaches `srv` (round robin), with what it got. */
async function reach(port: number, srv: string): Promise<Seen> {
  for (let i = 0; i < 8; i++) {
    const seen = await get(port, {});
    if (seen.srv === srv) return seen;
  }
  throw new Error(`no request reached ${srv}`);
}

/** The value of `SRV=<value>; ...` in a Set-Cookie. */
const srvValue = (setCookie: string) => /^SRV=([^;]*)/.exec(setCookie)?.[1] ?? '';

function cookieColumn(csv: string, px: string, sv: string): string | undefined {
  const lines = csv.split('\n');
  const names = lines[0]!.slice(2).split(',');
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    if (c[0] === px && c[1] === sv) return c[names.indexOf('cookie')];
  }
  return undefined;
}

/** The "two equal cookies" warnings on stderr, pid and the `config : ` origin kept apart. */
function clashWarnings(p: ProxyHandle): { atStart: number; atRuntime: number; text: string[] } {
  const lines = p.stderr().split('\n');
  const text: string[] = [];
  let atStart = 0;
  let atRuntime = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.includes('We generated two equal cookies')) continue;
    const shown = `${lines[i]!.replace(/\(\d+\)/, '(PID)')}\n${lines[i + 1]}`;
    text.push(shown);
    if (shown.includes(': config : ')) atStart++;
    else atRuntime++;
  }
  return { atStart, atRuntime, text };
}

async function run(binary: Binary) {
  const [port] = (await freePorts(1)) as [number];
  const sock = join(tempDir(), `${binary}-dyncookie.sock`);
  const cfg = writeConfig(config(port, sock), `${binary}-dyncookie.cfg`);
  const p = await startProxy(binary, cfg, { readyPorts: [port] });
  try {
    const servers = ['s1', 's2', 's3', 's4'];
    const first: Record<string, Seen> = {};
    for (const s of servers) first[s] = await reach(port, s);
    const s3 = srvValue(first['s3']!.setCookie);
    const withCookie = await get(port, { cookie: `SRV=${s3}` });
    const long = await get(port, { 'x-be': 'long' });
    const stat = await cli(sock, 'show stat');
    const column = Object.fromEntries(servers.map((s) => [s, cookieColumn(stat, 'be', s)]));

    // a new key: new values, the old cookie names no server any more
    const setKey = await cli(sock, 'set dynamic-cookie-key backend be otherkey');
    const afterKey = await reach(port, 's2');
    const keyed = await cli(sock, 'show stat');
    const columnAfterKey = Object.fromEntries(servers.map((s) => [s, cookieColumn(keyed, 'be', s)]));
    // the old cookie names no server: balanced, and given the chosen server's new cookie
    const old = await get(port, { cookie: `SRV=${s3}` });
    const oldCookie = { reinserted: srvValue(old.setCookie) === columnAfterKey[old.srv] };
    // off: the servers without their own value have none (s4 keeps "fixed")
    const disable = await cli(sock, 'disable dynamic-cookie backend be');
    const offS2 = await reach(port, 's2');
    const offS4 = await reach(port, 's4');
    const offColumn = cookieColumn(await cli(sock, 'show stat'), 'be', 's2');
    const enable = await cli(sock, 'enable dynamic-cookie backend be');
    const onS2 = await reach(port, 's2');
    // the clashing backend: a new key warns once (d2 meets d1's new value), so does off + on
    const dupKey = await cli(sock, 'set dynamic-cookie-key backend be_dup dupkey2');
    const dupOff = await cli(sock, 'disable dynamic-cookie backend be_dup');
    const dupOn = await cli(sock, 'enable dynamic-cookie backend be_dup');
    const dup = await get(port, { 'x-be': 'dup' });
    const errors = [
      await cli(sock, 'enable dynamic-cookie backend nope'),
      await cli(sock, 'disable dynamic-cookie backend'),
      await cli(sock, 'set dynamic-cookie-key backend be'),
      await cli(sock, 'set dynamic-cookie-key backend nope k'),
    ];
    await waitUntil('the runtime warnings on stderr', async () => clashWarnings(p).atRuntime >= 2);
    return {
      first,
      withCookie,
      long,
      column,
      answers: [setKey, disable, enable, dupKey, dupOff, dupOn],
      afterKey,
      columnAfterKey,
      oldCookie,
      offS2,
      offS4,
      offColumn,
      onS2,
      dup,
      errors,
      warnings: clashWarnings(p),
    };
  } finally {
    await p.stop();
  }
}

describe('dynamic cookies', () => {
  it('give each server the Set-Cookie value HAProxy gives, and the same runtime API behaviour', async () => {
    const want = await run('haproxy');
    const got = await run('haproxyd');

    // what the manual makes HAProxy show: distinct 16-hex-digit values from key, address, port
    const values = ['s1', 's2', 's3'].map((s) => srvValue(want.first[s]!.setCookie));
    for (const v of values) expect(v).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(values).size).toBe(3);
    const key = new Uint8Array(Buffer.from('mykey'));
    expect(values).toEqual(apps.map((a) => dynamicCookie(key, '127.0.0.1', a.port)));
    expect(srvValue(want.long.setCookie)).toBe(
      dynamicCookie(new Uint8Array(Buffer.from(LONG_KEY)), '127.0.0.1', apps[1]!.port),
    );
    expect(want.first['s4']!.setCookie).toBe('SRV=fixed; path=/');
    expect(want.withCookie).toEqual({ srv: 's3', setCookie: '' });
    expect(want.column).toEqual({ s1: values[0], s2: values[1], s3: values[2], s4: 'fixed' });
    expect(want.answers).toEqual(['\n', '\n', '\n', '\n', '\n', '\n']);
    expect(srvValue(want.afterKey.setCookie)).toBe(
      dynamicCookie(new Uint8Array(Buffer.from('otherkey')), '127.0.0.1', apps[1]!.port),
    );
    expect(want.oldCookie).toEqual({ reinserted: true });
    expect(want.columnAfterKey['s2']).toBe(srvValue(want.afterKey.setCookie));
    expect(want.offS2.setCookie).toBe('SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/');
    expect(want.offS4.setCookie).toBe('SRV=fixed; path=/');
    expect(want.offColumn).toBe('');
    expect(want.onS2).toEqual(want.afterKey);
    expect(want.errors).toEqual([
      'No such backend.\n\n',
      'A backend name is expected.\n\n',
      'String value expected.\n\n',
      'No such backend.\n\n',
    ]);
    expect(want.warnings.atStart).toBe(1);
    expect(want.warnings.atRuntime).toBe(2);
    expect(want.warnings.text[0]).toBe(
      "[WARNING]  (PID) : config : We generated two equal cookies for two different servers.\nPlease change the secret key for 'be_dup'.",
    );

    // and haproxyd does the same, byte for byte
    expect(got).toEqual(want);
  }, 90_000);
});
