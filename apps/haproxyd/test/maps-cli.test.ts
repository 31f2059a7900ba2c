// End-to-end, differential: the runtime API's map and ACL commands (`show|get|add|del|set|
// clear|prepare|commit map|acl`, `@<ver>` versions, the payload form of `add map`) in the
// real HAProxy 2.6 and in haproxyd, with the same configuration, the same files and the same
// commands. Every answer is compared byte for byte once entry addresses (`0x55d0c3c1e0a0`)
// are replaced by one placeholder; then what requests get after each change: `src -f` and
// `path_beg -f` ACLs deciding `http-request deny`, map_ip/map_beg/map_dom/map_str/
// map_str_int/map_reg converters in a reply, `use_backend` through a map, an anonymous ACL
// changed by its `#<id>`, duplicate keys, a version prepared and committed, and a session at
// level user changing a map.

import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import {
  type Binary,
  freePorts,
  requireHaproxy,
  startHttpBackend,
  startProxy,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './stats-harness.ts';

useTestkit();
beforeAll(() => void requireHaproxy());

const norm = (s: string) => s.replace(/0x[0-9a-f]{4,}/g, '0xADDR');

/** The pattern files, written afresh before each binary runs. */
function writeFiles(dir: string): void {
  const w = (name: string, lines: string[]) => writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  w('block.lst', ['# blocked clients', '127.0.0.2', '127.0.1.0/24']);
  w('private.lst', ['/private', '/admin']);
  w('nets.map', ['127.0.0.0/24 loop24', '  127.0.0.0/8   loop8  ', '::1 six']);
  w('paths.map', ['/api one', '/static st', '/api two']);
  w('dom.map', ['example.com ex', 'foo.org foo']);
  w('keys.map', ['k1 10', 'k2 20']);
  w('re.map', ['^/v[0-9]+/ versioned', '\\.php$ php']);
  w('hosts.map', ['b.example be_b']);
}

interface Ports {
  fe: number;
  route: number;
}

function config(dir: string, sock: string, userSock: string, ports: Ports, a: number, b: number): string {
  const f = (n: string) => join(dir, n);
  return [
    'global',
    `  stats socket ${sock} level admin`,
    `  stats socket ${userSock} level user`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend fe',
    `  bind 127.0.0.1:${ports.fe}`,
    `  acl blocked src -f ${f('block.lst')}`,
    `  acl private path_beg -f ${f('private.lst')}`,
    '  acl unused hdr(x-never) never',
    '  http-request deny deny_status 403 if blocked',
    '  http-request deny deny_status 401 if private',
    '  http-request deny deny_status 429 if { req.hdr(x-bad) -m str bad1 bad2 }',
    `  http-request set-header x-net %[src,map_ip(${f('nets.map')},none)]`,
    `  http-request return status 200 content-type text/plain lf-string "net=%[req.hdr(x-net)] beg=%[path,map_beg(${f('paths.map')},none)] dom=%[req.hdr(host),map_dom(${f('dom.map')},none)] str=%[req.hdr(x-k),map_str(${f('keys.map')},none)] int=%[req.hdr(x-k),map_str_int(${f('keys.map')},-1)] reg=%[path,map_reg(${f('re.map')},none)]"`,
    'frontend route',
    `  bind 127.0.0.1:${ports.route}`,
    `  use_backend %[req.hdr(host),map(${f('hosts.map')},be_a)]`,
    'backend be_a',
    `  server a 127.0.0.1:${a}`,
    'backend be_b',
    `  server b 127.0.0.1:${b}`,
    '',
  ].join('\n');
}

/** One request from a chosen loopback address: "status body". */
function get(
  port: number,
  from: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, localAddress: from, agent: false, headers, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve(`${res.statusCode} ${res.statusCode === 200 ? body : ''}`.trimEnd()));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The requests asked after each step. */
async function probe(ports: Ports): Promise<Record<string, string>> {
  const fe = ports.fe;
  return {
    fileIp: await get(fe, '127.0.0.2', '/'),
    network: await get(fe, '127.0.1.9', '/'),
    other: await get(fe, '127.0.0.5', '/api/x', { host: 'www.example.com', 'x-k': 'k1' }),
    seven: await get(fe, '127.0.0.7', '/v2/a.php', { host: 'foo.org', 'x-k': 'k2' }),
    private: await get(fe, '127.0.0.5', '/private/x'),
    anonymous: await get(fe, '127.0.0.5', '/', { 'x-bad': 'bad3' }),
    routeA: await get(ports.route, '127.0.0.5', '/', { host: 'a.example' }),
    routeB: await get(ports.route, '127.0.0.5', '/', { host: 'b.example' }),
  };
}

/** The id `show map`/`show acl` prints for the first entry of `key` in a reference. */
async function entryOf(sock: string, kind: string, ref: string, key: string): Promise<string> {
  const lines = (await cli(sock, `show ${kind} ${ref}`)).split('\n');
  const line = lines.find((l) => l.split(' ')[1] === key);
  if (line === undefined) throw new Error(`no entry ${key} in ${ref}`);
  return line.split(' ')[0]!;
}

async function scenario(binary: Binary, dir: string): Promise<{ step: string; out: unknown }[]> {
  writeFiles(dir);
  const a = await startHttpBackend((_q, res) => {
    res.end('A');
  });
  const b = await startHttpBackend((_q, res) => {
    res.end('B');
  });
  const [fe, route] = (await freePorts(2)) as [number, number];
  const ports = { fe, route };
  const sock = join(dir, 'admin.sock');
  const userSock = join(dir, 'user.sock');
  const cfg = writeConfig(config(dir, sock, userSock, ports, a.port, b.port), 'maps.cfg');
  const proxy = await startProxy(binary, cfg, { readyPorts: [fe, route] });
  const steps: { step: string; out: unknown }[] = [];
  const f = (n: string) => join(dir, n);
  const run = async (step: string, commands: string[], user = false) => {
    const answers: string[] = [];
    for (const c of commands) answers.push(norm(await cli(user ? userSock : sock, c)));
    steps.push({ step, out: { answers, requests: await probe(ports) } });
  };
  try {
    await cli(sock, 'show info');
    await run('start', ['show map', 'show acl']);
    await run('add a client to a file ACL', [
      `add acl ${f('block.lst')} 127.0.0.5`,
      `show acl ${f('block.lst')}`,
    ]);
    await run('delete a client and a network', [
      `del acl ${f('block.lst')} 127.0.0.5`,
      `del acl ${f('block.lst')} 127.0.1.0/24`,
      `del acl ${f('block.lst')} 127.0.1.0/24`,
      `show acl ${f('block.lst')}`,
    ]);
    await run('change and add map entries', [
      `set map ${f('nets.map')} 127.0.0.0/8 loopback`,
      `add map ${f('nets.map')} 127.0.0.5/32 five`,
      `add map ${f('paths.map')} /v2 two`,
      `set map ${f('keys.map')} k1 11`,
      `set map ${f('keys.map')} k2 notint`,
      `add map ${f('keys.map')} k3 notint`,
      `add map ${f('re.map')} ^/v2/ v2`,
      `set map ${f('hosts.map')} b.example be_a`,
      `add map ${f('hosts.map')} a.example be_b`,
      `get map ${f('nets.map')} 127.0.0.5`,
      `get map ${f('keys.map')} k1`,
      `get map ${f('re.map')} /v2/x`,
      'show map',
    ]);
    await run('clear a map and an ACL', [
      `clear map ${f('dom.map')}`,
      `clear acl ${f('private.lst')}`,
      'show acl',
    ]);
    // the anonymous ACL of the 429 rule, known by its #<id>
    const anon = (await cli(sock, 'show acl'))
      .split('\n')
      .find((l) => l.includes("acl 'req.hdr'"))
      ?.split(' ')[0];
    await run('add to an anonymous ACL', [`add acl #${anon} bad3`, `show acl #${anon}`]);
    // duplicate keys: the first one is found; deleting it by id shows the second
    const first = await entryOf(sock, 'map', f('paths.map'), '/api');
    await run('delete the first of two equal keys', [
      `get map ${f('paths.map')} /api/x`,
      `del map ${f('paths.map')} #${first}`,
      `get map ${f('paths.map')} /api/x`,
    ]);
    await run('delete a key', [`del map ${f('paths.map')} /api`, `del map ${f('paths.map')} /api`]);
    await run('prepare a version', [
      `prepare acl ${f('block.lst')}`,
      `add acl @1 ${f('block.lst')} 127.0.0.7`,
      `add acl @1 ${f('block.lst')} 127.0.1.0/24`,
      `show acl @1 ${f('block.lst')}`,
      'show acl',
    ]);
    await run('commit it', [`commit acl @1 ${f('block.lst')}`, `show acl ${f('block.lst')}`, 'show acl']);
    await run(
      'a user-level session changes a map',
      [`add map ${f('dom.map')} foo.org fooagain`, `del map ${f('hosts.map')} a.example`, 'show cli level'],
      true,
    );
    await run('the payload form', [
      `add map ${f('keys.map')} <<\nk2 22\nk9   nine  \n`,
      `add map ${f('keys.map')} <<\nk7 7\nk8\n`,
      `show map ${f('keys.map')}`,
    ]);
  } finally {
    await proxy.stop();
    await a.close();
    await b.close();
  }
  return steps;
}

describe('runtime API: maps and ACLs', () => {
  it('answers as HAProxy 2.6 does and changes what the next requests get', async () => {
    const dir = tempDir();
    const want = await scenario('haproxy', dir);
    const got = await scenario('haproxyd', dir);
    // the scenario itself changes decisions (so the comparison compares something)
    const req = (i: number) => (want[i]!.out as { requests: Record<string, string> }).requests;
    expect(req(0)['fileIp']).toMatch(/^403/);
    expect(req(1)['other']).toMatch(/^403/);
    expect(req(2)['network']).toMatch(/^200/);
    expect(req(0)['routeB']).toBe('200 B');
    expect(req(3)['routeB']).toBe('200 A');
    for (let i = 0; i < want.length; i++) expect({ step: got[i]?.step, out: got[i]?.out }).toEqual(want[i]);
    expect(got.length).toBe(want.length);
  }, 120_000);
});

/** A configuration sharing one file between a `-M` ACL and two maps, one of int values. */
function answersConfig(dir: string, sock: string, port: number): string {
  const f = (n: string) => join(dir, n);
  return [
    'global',
    `  stats socket ${sock} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    `  acl blocked src -f ${f('block.lst')}`,
    `  acl api path_beg -M -f ${f('paths.map')}`,
    '  acl unused hdr(x) foo bar',
    '  http-request deny if blocked',
    `  http-request set-header X-Net %[src,map_ip(${f('nets.map')},none)]`,
    `  http-request set-header X-Path %[path,map_beg(${f('paths.map')},none)] if { path_beg /a } METH_GET`,
    `  http-request set-header X-Dom %[req.hdr(host),map_dom(${f('dom.map')},none)]`,
    `  http-request set-header X-Int %[req.hdr(x),map_str_int(${f('int.map')},0)]`,
    `  http-request set-header X-Int2 %[req.hdr(x),map_str(${f('int.map')},0)]`,
    '  http-request return status 200',
    '',
  ].join('\n');
}

/** Every command of `commands` on a fresh process: the answers, addresses normalised. */
async function answers(
  binary: Binary,
  dir: string,
  cfgText: (sock: string, port: number) => string,
  commands: string[],
) {
  const [port] = (await freePorts(1)) as [number];
  const sock = join(dir, 'answers.sock');
  const cfg = writeConfig(cfgText(sock, port), 'answers.cfg');
  const proxy = await startProxy(binary, cfg, { readyPorts: [port] });
  const out: string[] = [];
  try {
    for (const c of commands) out.push(`${c}\n${norm(await cli(sock, c))}`);
  } finally {
    await proxy.stop();
  }
  return out;
}

describe('runtime API: map and ACL answers', () => {
  it('lists, shows, looks up and refuses as HAProxy 2.6 does', async () => {
    const dir = tempDir();
    const f = (n: string) => join(dir, n);
    const commands = [
      'show map',
      'show acl',
      'show map #3',
      'show acl #0',
      `show map ${f('paths.map')}`,
      `show acl ${f('paths.map')}`,
      `get map ${f('paths.map')} /api/x`,
      `get acl ${f('paths.map')} /api/x`,
      `get map ${f('nets.map')} 10.1.2.3`,
      `get map ${f('nets.map')} ::1`,
      `get map ${f('nets.map')} abc`,
      `get map ${f('int.map')} a`,
      'get acl #0 1.2.3.4',
      'get map #0 1.2.3.4',
      'get acl #4 foo',
      'get acl #4 zzz',
      'get acl #7 GET',
      `get map ${f('dom.map')} www.example.com`,
      'show acl #10',
      'get map',
      'get map nofile x',
      'get acl nofile x',
      'show map nofile',
      'show acl nofile',
      'show map #x',
      'show map #',
      `show map @1 ${f('nets.map')}`,
      `add map ${f('int.map')} c notint`,
      `add map ${f('int.map')} c`,
      'add acl #0 notanip',
      `add acl ${f('paths.map')} /x`,
      'add acl',
      `del map ${f('int.map')} zz`,
      'del acl #0 zz',
      'del acl nofile zz',
      'del acl #4',
      'del map #0 1.2.3.4',
      `set map ${f('int.map')} a x`,
      `set map ${f('int.map')} zz 3`,
      `set map ${f('int.map')}`,
      'set map nofile a b',
      `set map ${f('int.map')} #0x1 3`,
      `set map ${f('int.map')} #0xzz 3`,
      `del map ${f('int.map')} #0x1`,
      'clear map',
      'clear map nofile',
      'clear map #0',
      `commit map ${f('int.map')}`,
      'commit map @1',
      `commit map @1 ${f('int.map')}`,
      'prepare map nofile',
      'prepare map #0',
      `add map @5 ${f('int.map')} z 1`,
      `prepare map ${f('nets.map')}`,
      `prepare map ${f('nets.map')}`,
      `add map @1 ${f('nets.map')} 5.5.5.5 five`,
      `add map @2 ${f('nets.map')} 6.6.6.6 six`,
      `show map @1 ${f('nets.map')}`,
      `show map @2 ${f('nets.map')}`,
      `commit map @1 ${f('nets.map')}`,
      `show map ${f('nets.map')}`,
      `get map ${f('nets.map')} 6.6.6.6`,
      `commit map @2 ${f('nets.map')}`,
      `commit map @2 ${f('nets.map')}`,
      `clear map @5 ${f('nets.map')}`,
      `add map ${f('nets.map')} 7.7.7.7 seven spaced`,
      `add map ${f('nets.map')} <<\n8.8.8.8 eight\n9.9.9.9   nine spaced  \n`,
      `add map ${f('nets.map')} <<\n4.4.4.4 four\n3.3.3.3\n`,
      `add map ${f('nets.map')} <<\n2.2.2.2 two\nbad x\n`,
      'add acl #4 <<\nzzz\n',
      `show map ${f('nets.map')}`,
      'clear acl #2',
      'prepare acl #2',
      'add acl #0 5.5.5.5',
      'del acl #0 5.5.5.5',
      'show acl',
      'show map',
    ];
    const files = () => {
      const w = (name: string, text: string) => writeFileSync(f(name), text);
      w('nets.map', '10.0.0.0/8 net10\n192.168.1.1 host1\n# c\n  ::1/128   loop six  \n');
      w('paths.map', '/api apisrv\n/static st\n/api dup\n');
      w('block.lst', '1.2.3.4\n10.0.0.0/8\n');
      w('dom.map', 'example.com ex\nfoo.org foo\n');
      w('int.map', 'a 1\nb 2\n');
    };
    const cfg = (sock: string, port: number) => answersConfig(dir, sock, port);
    files();
    const want = await answers('haproxy', dir, cfg, commands);
    files();
    const got = await answers('haproxyd', dir, cfg, commands);
    expect(want[0]).toContain('used by map at file');
    for (let i = 0; i < want.length; i++) expect(got[i]).toBe(want[i]);
  }, 120_000);

  it('lists only the HTTP client references without any map, and prints the help lines', async () => {
    const dir = tempDir();
    const cfg = (sock: string, port: number) =>
      [
        'global',
        `  stats socket ${sock} level admin`,
        'frontend fe',
        '  mode http',
        '  timeout client 1s',
        `  bind 127.0.0.1:${port}`,
        '',
      ].join('\n');
    const ask = async (binary: Binary) => {
      const out = await answers(binary, dir, cfg, ['show map', 'show acl', 'help']);
      // the help lines of these commands only
      out[2] = out[2]!
        .split('\n')
        .filter((l) => / (map|acl) /.test(l))
        .join('\n');
      return out;
    };
    const want = await ask('haproxy');
    const got = await ask('haproxyd');
    expect(want[2]!.split('\n').length).toBe(15);
    expect(got).toEqual(want);
  }, 60_000);
});
