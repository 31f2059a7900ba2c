// HAProxy's `_getsocks` over a real unix socket, between two processes: listening TCP sockets
// go from a sender (fixtures/child.ts `getsocks-sender`) to this process as file descriptors
// (SCM_RIGHTS); this process accepts on them after the sender is gone.
import { once } from 'node:events';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { boundKey, closeReceived, fetchListeningFds } from '../src/index.ts';
import { finish, killAll, runChild } from './helpers.ts';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hap-daemon-getsocks-')));
const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
  killAll();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function answer(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host, port });
    let text = '';
    c.setEncoding('utf8').on('data', (d: string) => {
      text += d;
    });
    c.once('error', reject);
    c.once('close', () => resolve(text));
  });
}

describe('_getsocks', () => {
  it('hands listening sockets over: their addresses as listener keys; they accept once the sender is gone', async () => {
    const path = join(dir, 'stats.sock');
    const sender = runChild('getsocks-sender', { path, hosts: ['127.0.0.1', '::1'], expose: true });
    const r = await sender.report;
    expect(r.ok).toBe(true);
    const [p4, p6] = r['ports'] as [number, number];
    const got = fetchListeningFds(path);
    expect(got.map((s) => [s.family, s.key])).toEqual([
      ['ipv4', `127.0.0.1:${p4}`],
      ['ipv6', `[::1]:${p6}`],
    ]);
    expect(boundKey(got[0]!.fd).key).toBe(`127.0.0.1:${p4}`);
    // the sender leaves: the sockets live on in this process's descriptors
    await finish(sender);
    const servers = got.map((s) => {
      const server = net.createServer((c) => c.end('from the receiver\n')).listen({ fd: s.fd });
      closers.push(() => server.close());
      return server;
    });
    await Promise.all(servers.map((x) => once(x, 'listening')));
    expect(await answer(p4)).toBe('from the receiver\n');
    expect(await answer(p6, '::1')).toBe('from the receiver\n');
  });

  it("a socket that sends nothing, a socket that is not there: HAProxy's warnings as the errors", async () => {
    const path = join(dir, 'closed.sock');
    const sender = runChild('getsocks-sender', { path, hosts: ['127.0.0.1'], expose: false });
    expect((await sender.report).ok).toBe(true);
    expect(() => fetchListeningFds(path)).toThrow('Failed to get the number of sockets to be transferred !');
    const none = join(dir, 'nothing.sock');
    expect(() => fetchListeningFds(none)).toThrow(`Failed to connect to the old process socket '${none}'`);
    await finish(sender);
  });

  it('more than one message: 300 sockets in batches of 253, acknowledged', async () => {
    const path = join(dir, 'many.sock');
    const sender = runChild('getsocks-sender', { path, hosts: Array(300).fill('127.0.0.1'), expose: true });
    const ports = (await sender.report)['ports'] as number[];
    const got = fetchListeningFds(path);
    expect(got.map((s) => s.key)).toEqual(ports.map((p) => `127.0.0.1:${p}`));
    for (const s of got) closeReceived(s.fd);
    await finish(sender);
  });

  it('closeReceived() closes a descriptor that is not used', async () => {
    const path = join(dir, 'unused.sock');
    const sender = runChild('getsocks-sender', { path, hosts: ['127.0.0.1'], expose: true });
    const [port] = (await sender.report)['ports'] as [number];
    const got = fetchListeningFds(path);
    closeReceived(got[0]!.fd);
    await finish(sender);
    // no descriptor of that socket is left anywhere: the port refuses
    await expect(answer(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
