// Differential tests against the real HAProxy 2.6: our CLI gets the same command table as
// HAProxy's (read from its `help`), then both get the same requests. The answers (help,
// unknown commands with their suggestions, prompt sessions, levels) must be the same
// bytes, except the descriptions of the built-ins, which are written in our words.
import { join } from 'node:path';
import { cleanupAll, freePort, requireHaproxy, startProxy, tempDir, writeConfig } from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeApi } from '../src/index.ts';
import { addFingerprint, fingerprintDistance } from '../src/words.ts';
import { oneShot, type Step, session } from './helpers.ts';

let dir = '';
let ours: RuntimeApi;
let real = { admin: '', user: '' };
let mine = { admin: '', user: '' };

// our built-ins and the three lines every answer ends with: same syntax, our descriptions
const BUILTIN = [
  'show cli level',
  'show cli sockets',
  'operator',
  'user',
  'set timeout [cli] <delay>',
  'help [<command>]',
  'prompt',
  'quit',
];

/** Blanks the description of the built-ins' help lines. */
function mask(text: string): string {
  return text
    .split('\n')
    .map((l) =>
      l.startsWith('  ') && BUILTIN.includes(l.slice(2, 42).trimEnd()) ? `${l.slice(0, 44)}<ours>` : l,
    )
    .join('\n');
}

/** The fingerprint distance HAProxy ranks suggestions by. */
function distance(typed: readonly string[], words: readonly string[]): number {
  const a = new Uint8Array(1024);
  const b = new Uint8Array(1024);
  for (const w of typed) addFingerprint(a, w);
  for (const w of words) addFingerprint(b, w);
  return fingerprintDistance(a, b);
}

/** The fixed words of a usage syntax: those before the first argument. */
function wordsOf(syntax: string): string[] {
  const words: string[] = [];
  for (const w of syntax.split(/\s+/)) {
    if (!w || /[<[{(|*@/]/.test(w)) break;
    words.push(w);
  }
  return words;
}

beforeAll(async () => {
  requireHaproxy();
  dir = tempDir();
  const port = await freePort();
  const cfg = writeConfig(`global
  stats socket ${dir}/admin.sock level admin
  stats socket ${dir}/user.sock level user
  stats timeout 400
  stats maxconn 100

defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s

frontend fe
  bind 127.0.0.1:${port}
`);
  await startProxy('haproxy', cfg, { readyPorts: [port] });
  // HAProxy's own commands, from its help, answer a marker so that a test notices if one runs
  ours = new RuntimeApi({ helpListsAllLevels: true });
  const help = await oneShot(join(dir, 'admin.sock'), 'help\n');
  for (const line of help.split('\n').slice(1)) {
    if (!line.startsWith('  ')) continue;
    const syntax = line.slice(2, 42).trimEnd();
    if (BUILTIN.includes(syntax)) continue;
    ours.register({ words: wordsOf(syntax), usage: syntax, help: line.slice(44), handler: () => 'RAN\n' });
  }
  const a = await ours.listen(join(dir, 'ours-admin.sock'), { level: 'admin', timeout: 400 });
  const u = await ours.listen(join(dir, 'ours-user.sock'), { level: 'user', timeout: 400 });
  real = { admin: join(dir, 'admin.sock'), user: join(dir, 'user.sock') };
  mine = { admin: a.server.address() as string, user: u.server.address() as string };
});

afterAll(async () => {
  await ours?.close();
  await cleanupAll();
});

describe('answers compared with HAProxy 2.6', () => {
  it('help lists the same commands in the same order', async () => {
    const theirs = await oneShot(real.admin, 'help\n');
    expect(mask(await oneShot(mine.admin, 'help\n'))).toBe(mask(theirs));
    expect(theirs.split('\n').length).toBeGreaterThan(90);
  });

  it.each([
    [''],
    ['foo'],
    ['shw stat'],
    ['show'],
    ['show cli'],
    ['show servers stat'],
    ['clear counterz'],
    ['set'],
    ['set maxconn'],
    ['enable healt'],
    ['dissable server'],
    ['help show'],
    ['help show stat'],
    ['help foo'],
    ['help add map'],
    ['abort'],
  ])('unknown command or help: %j', async (line) => {
    const theirs = await oneShot(real.admin, `${line}\n`);
    expect(mask(await oneShot(mine.admin, `${line}\n`))).toBe(mask(theirs));
  });

  // Among suggestions at the same distance, HAProxy keeps the command registered first; its
  // registration order (source file init order) is not ours, so only ties may differ.
  it.each([
    ['show foo', ['foo'], 1],
    ['help sho', ['sho'], 0],
  ] as const)('suggestions for %j differ only among equally close commands', async (line, typed, matched) => {
    const theirs = mask(await oneShot(real.admin, `${line}\n`)).split('\n');
    const mineOut = mask(await oneShot(mine.admin, `${line}\n`)).split('\n');
    expect(mineOut.length).toBe(theirs.length);
    expect([mineOut[0], ...mineOut.slice(-5)]).toEqual([theirs[0], ...theirs.slice(-5)]);
    const distances = (lines: string[]) =>
      lines
        .slice(1, -5)
        .map((l) => distance(typed, wordsOf(l.slice(2, 42)).slice(matched)))
        .sort((a, b) => a - b);
    expect(distances(mineOut)).toEqual(distances(theirs));
  });

  it('prompt sessions give the same bytes', async () => {
    const steps: Step[] = [
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
      'quit\n',
    ];
    const theirs = await session(real.admin, steps);
    expect((await session(mine.admin, steps)).out).toBe(theirs.out);
    expect(theirs.out).toBe('\n> admin\n\n> \n> user\n\n> Permission denied\n\n> ');
  });

  it('one-shot chains give the same bytes', async () => {
    const line = 'show cli level;operator;show cli level; user -;show cli level\n';
    expect(await oneShot(mine.admin, line)).toBe(await oneShot(real.admin, line));
  });

  it('the stats timeout closes an idle prompt session with the same bytes', async () => {
    const [theirs, mineRun] = await Promise.all([
      session(real.user, ['prompt\n'], 2_500),
      session(mine.user, ['prompt\n']),
    ]);
    expect(mineRun.out).toBe(theirs.out);
    expect(mineRun.ms).toBeGreaterThanOrEqual(350);
    expect(mineRun.ms).toBeLessThan(2_000);
    // HAProxy 2.6.12 usually closes after 400 ms too, but now and then leaves an idle
    // prompt session open (seen with several sessions at once): not asserted
    expect(theirs.ms).toBeGreaterThanOrEqual(350);
  });

  it('at level user, HAProxy still lists every command (helpListsAllLevels reproduces it)', async () => {
    const theirs = await oneShot(real.user, 'help\n');
    expect(theirs).toBe(await oneShot(real.admin, 'help\n'));
    expect(mask(await oneShot(mine.user, 'help\n'))).toBe(mask(theirs));
  });
});
