// The CLI over real sockets (unix in a temp dir, TCP on 127.0.0.1), spoken to with
// node:net and socat: one-shot and chained commands, prompt sessions, levels, payloads,
// escapes, the idle timeout, and the cleanup of sockets.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, tempDir } from '@hap/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliListener, type CommandContext, parseAddress, RuntimeApi } from '../src/index.ts';
import { haveSocat, oneShot, session, socat } from './helpers.ts';

let api: RuntimeApi;
let dir: string;
let unix: CliListener;
let tcp: CliListener;
let seen: { args: readonly string[]; ctx: CommandContext }[];

beforeEach(async () => {
  dir = tempDir();
  seen = [];
  api = new RuntimeApi();
  api.register({
    words: ['show', 'info'],
    usage: 'show info [desc|json|typed|float]*',
    help: 'report information about the running process',
    handler: () => 'Name: haproxyd\nVersion: 0.1.0\n',
  });
  api.register({
    words: ['set', 'server'],
    level: 'admin',
    usage: 'set server <bk>/<srv> [opts]',
    help: "change a server's state, weight or address",
    handler: (args, ctx) => {
      seen.push({ args, ctx });
      return '';
    },
  });
  api.register({
    words: ['add', 'map'],
    level: 'operator',
    usage: 'add map [@<ver>] <map> <key> <val>',
    help: 'add a map entry (payload supported instead of key/val)',
    handler: (args, ctx) => {
      seen.push({ args, ctx });
      return `${args.length} words, payload ${JSON.stringify(ctx.payload)}\n`;
    },
  });
  api.register({
    words: ['debug', 'dev', 'log'],
    level: 'admin',
    mode: 'expert',
    usage: 'debug dev log [msg] ...',
    help: 'send this msg to the trace',
    handler: () => 'logged\n',
  });
  api.register({ words: ['slow'], handler: () => new Promise((r) => setTimeout(() => r('done\n'), 50)) });
  unix = await api.listen(join(dir, 'admin.sock'), { level: 'admin' });
  tcp = await api.listen('ipv4@127.0.0.1:0', { level: 'user', timeout: 400 });
});

afterEach(async () => {
  await api.close();
  await cleanupAll();
});

const tcpTarget = () => {
  const a = parseAddress(tcp.address);
  if (a.kind !== 'tcp') throw new Error('not tcp');
  return { host: a.host, port: a.port };
};

describe('one-shot mode', () => {
  it('answers one command, ends it with an empty line and closes', async () => {
    expect(await oneShot(unix.server.address() as string, 'show info\n')).toBe(
      'Name: haproxyd\nVersion: 0.1.0\n\n',
    );
    expect(await oneShot(tcpTarget(), 'show cli level\r\n')).toBe('user\n\n');
  });

  it('runs commands chained with ";" in order, slow ones included', async () => {
    expect(await oneShot(join(dir, 'admin.sock'), 'slow;show cli level; show info\n')).toBe(
      'done\n\nadmin\n\nName: haproxyd\nVersion: 0.1.0\n\n',
    );
  });

  it('runs lines sent together, and drops a last line without its line feed', async () => {
    expect(await oneShot(join(dir, 'admin.sock'), 'show cli level\nshow cli level\n')).toBe(
      'admin\n\nadmin\n\n',
    );
    expect(await oneShot(join(dir, 'admin.sock'), 'show cli level', { halfClose: true })).toBe('');
  });

  it('keeps escaped ";" and spaces in words', async () => {
    await oneShot(join(dir, 'admin.sock'), 'set server a\\;b c\\ d \\\\e\n');
    expect(seen[0]!.args).toEqual(['set', 'server', 'a;b', 'c d', '\\e']);
  });

  it('gives the lines after "<<" up to an empty line to the command as its payload', async () => {
    expect(await oneShot(join(dir, 'admin.sock'), 'add map #0 <<\nk1 v1\nk2 v2\n\nshow cli level\n')).toBe(
      '3 words, payload "k1 v1\\nk2 v2"\n\nadmin\n\n',
    );
  });

  it('is spoken to by socat on the unix and the TCP socket', { skip: !haveSocat() }, async () => {
    expect(await socat(`UNIX-CONNECT:${join(dir, 'admin.sock')}`, 'show cli level;show info\n')).toBe(
      'admin\n\nName: haproxyd\nVersion: 0.1.0\n\n',
    );
    const { host, port } = tcpTarget();
    expect(await socat(`TCP:${host}:${port}`, 'show cli level\n')).toBe('user\n\n');
  });
});

describe('prompt mode', () => {
  it('keeps the session open with "> " prompts until quit', async () => {
    const { out } = await session(join(dir, 'admin.sock'), [
      'prompt\n',
      50,
      'show cli level\n',
      50,
      'user\n',
      50,
      'show cli level\n',
      50,
      'operator\n',
      50,
      'set server x\n',
      50,
      'quit\n',
    ]);
    expect(out).toBe('\n> admin\n\n> \n> user\n\n> Permission denied\n\n> Permission denied\n\n> ');
  });

  it('prompts "+ " while a payload is being typed', async () => {
    const { out } = await session(join(dir, 'admin.sock'), [
      'prompt\n',
      30,
      'add map m <<\n',
      30,
      'a b\n',
      30,
      '\n',
      30,
      'quit\n',
    ]);
    expect(out).toBe('\n> + + 3 words, payload "a b"\n\n> ');
  });

  it('is closed by the stats timeout when idle', async () => {
    const { out, ms } = await session(tcpTarget(), ['prompt\n', 100, 'show cli level\n'], 5_000);
    expect(out).toBe('\n> user\n\n> ');
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2_000);
  });

  it('set timeout cli changes the idle timeout of the session', async () => {
    const t0 = Date.now();
    const { out } = await session(join(dir, 'admin.sock'), ['prompt;set timeout cli 1\n'], 5_000);
    expect(out).toBe('\n> \n> ');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await api.execute('set timeout cli 0\nset timeout foo 1\nset timeout cli\n')).toBe(
      "Invalid timeout value.\n\n'set timeout' only supports 'cli'.\n\nExpects an integer value.\n\n",
    );
  });
});

describe('levels', () => {
  it('answers "Permission denied" to a command above the level', async () => {
    expect(await oneShot(tcpTarget(), 'set server be/s1 weight 0\n')).toBe('Permission denied\n\n');
    expect(await oneShot(tcpTarget(), 'add map m k v\n')).toBe('Permission denied\n\n');
    expect(seen).toHaveLength(0);
  });

  it('gives handlers the session level and the socket level', async () => {
    await oneShot(join(dir, 'admin.sock'), 'operator;add map m k v\n');
    expect(seen[0]!.ctx.level).toBe('operator');
    expect(seen[0]!.ctx.socketLevel).toBe('admin');
    expect(seen[0]!.ctx.address).toBe(`unix@${join(dir, 'admin.sock')}`);
  });

  it('"operator -" and "user -" print no empty line', async () => {
    expect(await api.execute('operator -;show cli level\n')).toBe('operator\n\n');
  });

  it('lists in help only the commands the level allows', async () => {
    const help = await oneShot(tcpTarget(), 'help\n');
    expect(help).toBe(
      'The following commands are valid at this level:\n' +
        '  operator                                : lower the level of this CLI session to operator\n' +
        "  set timeout [cli] <delay>               : change this session's idle timeout\n" +
        '  show cli level                          : print the level of this CLI session\n' +
        '  show cli sockets                        : list the CLI sockets and their levels\n' +
        '  show info [desc|json|typed|float]*      : report information about the running process\n' +
        '  user                                    : lower the level of this CLI session to user\n' +
        '  help [<command>]                        : list the commands matching <command>, or all of them\n' +
        '  prompt                                  : switch the interactive mode (with a prompt) on or off\n' +
        '  quit                                    : close the connection\n\n',
    );
    expect(await api.execute('help', 'admin')).toBe('');
    expect(await api.execute('help\n', 'admin')).toContain('  set server <bk>/<srv> [opts]            :');
  });

  it('hides expert commands until expert-mode on, which needs admin', async () => {
    expect(await api.execute('debug dev log x\n')).toBe(
      'This command is restricted to expert mode only.\n\n',
    );
    expect(
      await api.execute('expert-mode\nexpert-mode on\nexpert-mode\ndebug dev log x\nuser\nexpert-mode\n'),
    ).toBe('expert-mode is OFF\n\n\nexpert-mode is ON\n\nlogged\n\n\nPermission denied\n\n');
    expect(await api.execute('help debug\n')).not.toContain('debug dev log');
    expect(await api.execute('expert-mode on;help debug\n')).toContain('  debug dev log [msg] ...');
  });
});

describe('the socket table', () => {
  it('show cli sockets lists every socket with its level', async () => {
    expect(await oneShot(tcpTarget(), 'show cli sockets\n')).toBe(
      `# socket lvl processes\nunix@${join(dir, 'admin.sock')} admin all\n${tcp.address} user all\n\n`,
    );
    expect(tcp.address).toMatch(/^ipv4@127\.0\.0\.1:\d+$/);
  });

  it('replaces a stale socket file, refuses to replace anything else, and removes its socket on close', async () => {
    const again = await api.listen(join(dir, 'admin.sock'), { level: 'operator', mode: 0o600 });
    expect(await oneShot(join(dir, 'admin.sock'), 'show cli level\n')).toBe('operator\n\n');
    await again.close();
    await unix.close();
    expect(existsSync(join(dir, 'admin.sock'))).toBe(false);
    await expect(api.listen(dir)).rejects.toThrow(/not a socket/);
  });

  it('ends open sessions on close', async () => {
    const pending = session(join(dir, 'admin.sock'), ['prompt\n'], 5_000);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await api.close();
    const { out } = await pending;
    expect(out).toBe('\n> ');
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('parses the stats socket address forms', () => {
    expect(parseAddress('/run/haproxy.sock')).toEqual({ kind: 'unix', path: '/run/haproxy.sock' });
    expect(parseAddress('unix@rel.sock')).toEqual({ kind: 'unix', path: 'rel.sock' });
    expect(parseAddress('abns@hap')).toEqual({ kind: 'abns', name: 'hap' });
    expect(parseAddress('ipv4@127.0.0.1:9999')).toEqual({
      kind: 'tcp',
      family: 4,
      host: '127.0.0.1',
      port: 9999,
    });
    expect(parseAddress('ipv6@[::1]:9999')).toEqual({ kind: 'tcp', family: 6, host: '::1', port: 9999 });
    expect(parseAddress('ipv4@:9999')).toEqual({ kind: 'tcp', family: 4, host: '0.0.0.0', port: 9999 });
    expect(() => parseAddress('ipv4@127.0.0.1')).toThrow(/missing port/);
    expect(() => parseAddress('udp@1.2.3.4:5')).toThrow(/unsupported/);
  });

  it('refuses a command registered twice', () => {
    expect(() => api.register({ words: ['show', 'info'], handler: () => '' })).toThrow(/already registered/);
  });
});
