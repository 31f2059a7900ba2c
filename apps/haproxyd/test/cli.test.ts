import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliOptions, FLAG_NAMES, memoryDebugHelpText, parseArgs, usageText } from '../src/cli.ts';
import {
  buildInfoText,
  ENABLED_FEATURES,
  FEATURES,
  HAPROXY_COMPAT_VERSION,
  HAPROXYD_VERSION,
  versionText,
} from '../src/version.ts';

/** Placeholders replaced in argv: CFG, CFG2 (valid configs, absolute paths), DIR (a directory). */
const CFG = 'CFG';
const CFG2 = 'CFG2';
const DIR = 'DIR';

interface Case {
  argv: string[];
  /** expected fields (deep-equal on each given key), or an error matcher */
  expect: Partial<CliOptions> | RegExp;
  /** number of warnings expected (default 0 for accepted cases) */
  warnings?: number;
  /**
   * Also run the real haproxy with this argv and compare exit codes (accepted → 0, except
   * mode 'help' → 1; rejected → 1). Only for argvs where haproxy exits on its own.
   */
  compare?: boolean;
}

const CASES: Case[] = [
  // modes
  { argv: ['-c', '-f', CFG], expect: { mode: 'check', configFiles: [CFG] }, compare: true },
  { argv: ['-f', CFG], expect: { mode: 'run', configFiles: [CFG] } },
  { argv: ['-f', CFG, '-c'], expect: { mode: 'check' }, compare: true },
  { argv: ['-v'], expect: { mode: 'version' }, compare: true },
  { argv: ['-vv'], expect: { mode: 'version-verbose' }, compare: true },
  { argv: ['-vx'], expect: { mode: 'version' }, warnings: 1, compare: true },
  { argv: ['-f', CFG, '-v', '-z', 'junk'], expect: { mode: 'version' }, compare: true },
  { argv: ['-vv', '-z'], expect: { mode: 'version-verbose' }, compare: true },
  { argv: ['-z', '-v'], expect: /unknown option '-z'/, compare: true },
  { argv: ['-h'], expect: { mode: 'help' }, compare: true },
  { argv: ['--help'], expect: { mode: 'help' }, compare: true },
  {
    argv: ['-cc', '1'],
    expect: { mode: 'check-condition', conditionExpr: '1', configFiles: [] },
    compare: true,
  },
  {
    argv: ['-cc', 'feature(OPENSSL)'],
    expect: { mode: 'check-condition', conditionExpr: 'feature(OPENSSL)' },
  },
  { argv: ['-c', '-f', CFG, '-cc', '1'], expect: { mode: 'check-condition' }, compare: true },
  { argv: ['-cc', '1', '-c'], expect: { mode: 'check-condition' }, compare: true },
  { argv: ['-cc'], expect: /-cc expects a condition/, compare: true },
  { argv: ['-dMhelp'], expect: { mode: 'memory-debug-help' }, compare: true },
  { argv: ['-dMhelp,foo'], expect: { mode: 'memory-debug-help' }, compare: true },
  { argv: ['-c', '-f', CFG, '-dM1,help'], expect: { mode: 'memory-debug-help' }, compare: true },
  { argv: ['-dMfoo,help'], expect: /-dM: unknown memory debugging option 'foo'/, compare: true },

  // configuration files
  { argv: ['-c', '--', CFG, CFG2], expect: { mode: 'check', configFiles: [CFG, CFG2] }, compare: true },
  { argv: ['-c', '-f', CFG, '--', CFG2], expect: { configFiles: [CFG, CFG2] }, compare: true },
  { argv: ['-c', '-f', CFG2, '-f', CFG], expect: { configFiles: [CFG2, CFG] }, compare: true },
  { argv: ['-c', '-f', CFG, '--'], expect: { configFiles: [CFG] }, compare: true },
  { argv: ['--', 'a', '-f', 'b', '-c'], expect: { mode: 'run', configFiles: ['a', '-f', 'b', '-c'] } },
  { argv: ['-f', 'a', '-f', 'b', '--', 'c'], expect: { configFiles: ['a', 'b', 'c'] } },
  { argv: ['-fx', CFG, '-c'], expect: { configFiles: [CFG] }, warnings: 1, compare: true },
  { argv: ['-f', '-c'], expect: { mode: 'run', configFiles: ['-c'] } },
  { argv: ['-c'], expect: /no configuration file/, compare: true },
  { argv: [], expect: /no configuration file/, compare: true },
  { argv: ['-c', '-f'], expect: /-f expects a configuration file or directory/, compare: true },
  { argv: ['-c', '-f', ''], expect: /-f expects a configuration file or directory, got ''/ },
  { argv: ['-c', '-f', CFG, 'extra'], expect: /unexpected argument 'extra'/, compare: true },
  { argv: ['-c', '-f', CFG, '-'], expect: /unknown option '-'/, compare: true },
  { argv: ['-c', '-f', CFG, '--x'], expect: /unknown option '--x'/, compare: true },

  // process modes
  { argv: ['-c', '-f', CFG, '-q'], expect: { quiet: true, verbose: false }, compare: true },
  { argv: ['-c', '-f', CFG, '-V', '-q'], expect: { quiet: true, verbose: true }, compare: true },
  { argv: ['-c', '-f', CFG, '-d'], expect: { debug: true, foreground: false }, compare: true },
  { argv: ['-c', '-f', CFG, '-db'], expect: { debug: false, foreground: true }, compare: true },
  { argv: ['-c', '-f', CFG, '-D'], expect: { daemon: true }, compare: true },
  { argv: ['-c', '-f', CFG, '-W'], expect: { masterWorker: true, systemd: false }, compare: true },
  {
    argv: ['-c', '-f', CFG, '-Ws'],
    expect: { masterWorker: true, systemd: true, foreground: true },
    compare: true,
  },
  { argv: ['-c', '-f', CFG, '-d', '-D', '-W'], expect: { debug: true, daemon: true, masterWorker: true } },
  // trailing letters are ignored, as HAProxy does (no combined flags)
  { argv: ['-cq', '-f', CFG], expect: { mode: 'check', quiet: false }, warnings: 1, compare: true },
  { argv: ['-c', '-f', CFG, '-dbx'], expect: { foreground: true, debug: false }, warnings: 1, compare: true },
  {
    argv: ['-c', '-f', CFG, '-Dx', '-Vx', '-qq'],
    expect: { daemon: true, verbose: true, quiet: true },
    warnings: 3,
  },
  { argv: ['-c', '-f', CFG, '-Wsx'], expect: { systemd: true }, warnings: 1, compare: true },
  {
    argv: ['-c', '-f', CFG, '-Wx'],
    expect: { masterWorker: true, systemd: false },
    warnings: 1,
    compare: true,
  },
  { argv: ['-c', '-f', CFG, '-dZ'], expect: { debug: true }, warnings: 1, compare: true },
  { argv: ['-c', '-f', CFG, '-dk', '-dv', '-dt'], expect: { debug: true }, warnings: 3, compare: true },

  // values
  {
    argv: ['-c', '-f', CFG, '-p', '/tmp/haproxyd-cli-test.pid'],
    expect: { pidFile: '/tmp/haproxyd-cli-test.pid' },
  },
  { argv: ['-f', CFG, '-p', 'a', '-p', 'b'], expect: { pidFile: 'b' } },
  { argv: ['-c', '-f', CFG, '-p'], expect: /-p expects a pid file/, compare: true },
  { argv: ['-c', '-f', CFG, '-n', '5000'], expect: { maxconn: 5000 }, compare: true },
  { argv: ['-c', '-f', CFG, '-n', '0'], expect: { maxconn: 0 }, compare: true },
  { argv: ['-c', '-f', CFG, '-n'], expect: /-n expects a number after it/, compare: true },
  { argv: ['-f', CFG, '-n', 'abc'], expect: /^haproxyd: -n expects a number, got 'abc'$/ },
  { argv: ['-f', CFG, '-n', '-5'], expect: /-n expects a number, got '-5'/ },
  { argv: ['-f', CFG, '-n', '99999999999'], expect: /-n expects a number/ },
  { argv: ['-c', '-f', CFG, '-m', '256'], expect: { memoryLimitMb: 256 }, compare: true },
  { argv: ['-f', CFG, '-m', '1g'], expect: /-m expects a number of megabytes, got '1g'/ },
  { argv: ['-c', '-f', CFG, '-m'], expect: /-m expects/, compare: true },
  { argv: ['-c', '-f', CFG, '-N', '100'], expect: { defaultMaxconnPerProxy: 100 }, compare: true },
  { argv: ['-c', '-f', CFG, '-N'], expect: /-N expects a number after it/, compare: true },
  { argv: ['-c', '-f', CFG, '-L', 'peer1'], expect: { localPeer: 'peer1' }, compare: true },
  { argv: ['-c', '-f', CFG, '-L'], expect: /-L expects a peer name/, compare: true },
  { argv: ['-c', '-C', DIR, '-f', CFG], expect: { chdir: DIR }, compare: true },
  { argv: ['-c', '-f', CFG, '-C'], expect: /-C expects a directory/, compare: true },
  { argv: ['-c', '-f', CFG, '-x', '/dev/null'], expect: { socketForFds: '/dev/null' }, compare: true },
  {
    argv: ['-c', '-f', CFG, '-x', 'a', '-x', 'b'],
    expect: { socketForFds: 'b' },
    warnings: 1,
    compare: true,
  },
  { argv: ['-c', '-f', CFG, '-x'], expect: /-x expects a unix socket path/, compare: true },
  { argv: ['-c', '-f', CFG, '-L', '-x'], expect: { localPeer: '-x' }, compare: true },
  { argv: ['-f', CFG, '-S', '/run/m.sock'], expect: { masterCli: ['/run/m.sock'] } },
  {
    argv: ['-W', '-f', CFG, '-S', '/run/a,mode,600', '-S', 'ipv4@127.0.0.1:9999'],
    expect: { masterCli: ['/run/a,mode,600', 'ipv4@127.0.0.1:9999'] },
  },
  { argv: ['-c', '-f', CFG, '-S'], expect: /-S expects a bind address/, compare: true },

  // old pids
  {
    argv: ['-c', '-f', CFG, '-sf', '1', '2', '3'],
    expect: { oldPids: [1, 2, 3], oldPidsSignal: 'SIGUSR1' },
    compare: true,
  },
  {
    argv: ['-c', '-sf', '11', '22', '-f', CFG],
    expect: { oldPids: [11, 22], configFiles: [CFG] },
    compare: true,
  },
  { argv: ['-c', '-f', CFG, '-st', '7'], expect: { oldPids: [7], oldPidsSignal: 'SIGTERM' }, compare: true },
  { argv: ['-c', '-f', CFG, '-sf'], expect: { oldPids: [], oldPidsSignal: 'SIGUSR1' }, compare: true },
  {
    argv: ['-c', '-f', CFG, '-sf', '1', '-st', '2'],
    expect: { oldPids: [1, 2], oldPidsSignal: 'SIGTERM' },
    compare: true,
  },
  { argv: ['-c', '-f', CFG, '-st', '1', '-sf', '2'], expect: { oldPids: [1, 2], oldPidsSignal: 'SIGUSR1' } },
  { argv: ['-c', '-f', CFG, '-sf', '+3', ' 4', '5 '], expect: { oldPids: [3, 4, 5] }, compare: true },
  {
    argv: ['-c', '-f', CFG, '-sfoo', '5'],
    expect: { oldPids: [5], oldPidsSignal: 'SIGUSR1' },
    warnings: 1,
    compare: true,
  },
  { argv: ['-c', '-sf', '1', '--', CFG], expect: { oldPids: [1], configFiles: [CFG] }, compare: true },
  { argv: ['-c', '-f', CFG, '-sf', '0'], expect: /-sf expects process ids, got '0'/, compare: true },
  { argv: ['-c', '-f', CFG, '-sf', 'abc'], expect: /-sf expects process ids, got 'abc'/, compare: true },
  { argv: ['-c', '-f', CFG, '-sf', '12x'], expect: /-sf expects process ids, got '12x'/, compare: true },
  { argv: ['-c', '-f', CFG, '-sf', '0x10'], expect: /-sf expects/, compare: true },
  { argv: ['-c', '-f', CFG, '-sf', ''], expect: /-sf expects/, compare: true },
  { argv: ['-c', '-f', CFG, '-st', '1', 'x'], expect: /-st expects process ids, got 'x'/, compare: true },
  { argv: ['-c', '-f', CFG, '-sf', '99999999999999999999'], expect: /-sf expects/, compare: true },
  { argv: ['-c', '-f', CFG, '-s', '5'], expect: /unknown option '-s'/, compare: true },
  { argv: ['-c', '-f', CFG, '-s'], expect: /unknown option '-s'/, compare: true },

  // debug flags
  { argv: ['-c', '-f', CFG, '-dW'], expect: { zeroWarning: true }, compare: true },
  { argv: ['-c', '-f', CFG, '-dr'], expect: { ignoreResolveFailures: true }, compare: true },
  { argv: ['-c', '-f', CFG, '-dR'], expect: { noReusePort: true }, compare: true },
  { argv: ['-c', '-f', CFG, '-dD'], expect: { diagnosticMode: true }, compare: true },
  { argv: ['-c', '-f', CFG, '-dKcfg,acl'], expect: { dumpKeywordClasses: ['cfg', 'acl'] } },
  { argv: ['-c', '-f', CFG, '-dK'], expect: { dumpKeywordClasses: [] }, compare: true },
  { argv: ['-c', '-f', CFG, '-dK,,help'], expect: { dumpKeywordClasses: ['help'] } },
  { argv: ['-c', '-f', CFG, '-dKcfg', '-dKsmp'], expect: { dumpKeywordClasses: ['smp'] } },
  {
    argv: ['-c', '-f', CFG, '-dKnope'],
    expect: { dumpKeywordClasses: ['nope'] },
    warnings: 1,
    compare: true,
  },
  { argv: ['-c', '-f', CFG, '-dM'], expect: { mode: 'check' }, compare: true },
  { argv: ['-c', '-f', CFG, '-dM0x41,no-cache,tag'], expect: { mode: 'check' }, compare: true },
  { argv: ['-c', '-f', CFG, '-dM-1'], expect: { mode: 'check' }, compare: true },
  { argv: ['-c', '-f', CFG, '-dM,,poison'], expect: { mode: 'check' }, compare: true },
  { argv: ['-c', '-f', CFG, '-dMabc'], expect: /unknown memory debugging option 'abc'/, compare: true },
  { argv: ['-c', '-f', CFG, '-dM12x'], expect: /unknown memory debugging option '12x'/, compare: true },
  { argv: ['-c', '-f', CFG, '-dM0x'], expect: /unknown memory debugging option '0x'/, compare: true },
  { argv: ['-c', '-f', CFG, '-dM08'], expect: /unknown memory debugging option '08'/, compare: true },
  {
    argv: ['-c', '-f', CFG, '-de', '-dp', '-dS', '-dG', '-dL', '-dV'],
    expect: { debug: false },
    compare: true,
  },

  // unknown flags
  { argv: ['-c', '-f', CFG, '-z'], expect: /unknown option '-z'/, compare: true },
  { argv: ['-c', '-f', CFG, '-z', 'v'], expect: /unknown option '-z'/, compare: true },
  { argv: ['-c', '-f', CFG, '--foo'], expect: /unknown option '--foo'/, compare: true },
  { argv: ['-c', '-f', CFG, '-H'], expect: /unknown option '-H'/, compare: true },
  { argv: ['-c', '-f', CFG, '-hx'], expect: /unknown option '-hx'/, compare: true },
];

describe('parseArgs', () => {
  it.each(CASES.map((c) => [c.argv.join(' ') || '(empty)', c] as const))('%s', (_name, c) => {
    const r = parseArgs(c.argv);
    if (c.expect instanceof RegExp) {
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toMatch(c.expect);
      expect(r.error).not.toContain('\n');
      return;
    }
    expect(r.ok, r.ok ? '' : r.error).toBe(true);
    if (!r.ok) return;
    for (const [key, value] of Object.entries(c.expect)) {
      expect(r.options[key as keyof CliOptions], key).toEqual(value);
    }
    expect(r.options.warnings).toHaveLength(c.warnings ?? 0);
  });

  it('fills defaults and leaves absent optional fields out', () => {
    const r = parseArgs(['-f', 'a.cfg']);
    expect(r).toEqual({
      ok: true,
      options: {
        mode: 'run',
        configFiles: ['a.cfg'],
        quiet: false,
        verbose: false,
        debug: false,
        foreground: false,
        daemon: false,
        masterWorker: false,
        systemd: false,
        oldPids: [],
        masterCli: [],
        zeroWarning: false,
        ignoreResolveFailures: false,
        noReusePort: false,
        diagnosticMode: false,
        debugFlags: [],
        warnings: [],
      },
    });
  });

  it('records the other debug flags once each, with their effect', () => {
    const r = parseArgs(['-f', 'a', '-de', '-dp', '-dS', '-dG', '-dL', '-dV', '-dM0x41,tag', '-de']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const flags = r.options.debugFlags.map((d) => d.flag).sort();
    expect(flags).toEqual(['-dG', '-dL', '-dM', '-dS', '-dV', '-de', '-dp'].sort());
    for (const d of r.options.debugFlags) {
      expect(['honoured', 'no-effect', 'planned']).toContain(d.effect);
      expect(d.note.length).toBeGreaterThan(0);
    }
    expect(r.options.debugFlags.find((d) => d.flag === '-dM')?.note).toContain('0x41');
  });

  it('does not modify its input', () => {
    const argv = Object.freeze(['-c', '-sf', '1', '--', 'a']);
    expect(parseArgs(argv).ok).toBe(true);
  });
});

describe('usageText', () => {
  const text = usageText();
  it('mentions every accepted flag', () => {
    for (const name of FLAG_NAMES) {
      if (name === '-h' || name === '--help') continue;
      expect(text, name).toMatch(new RegExp(`(^|[\\s/\\[])${name.replace(/-/g, '\\-')}([\\s/\\[{<]|$)`, 'm'));
    }
  });
  it('uses the program name and HAProxy layout', () => {
    expect(usageText('hx').startsWith('Usage : hx [-f <cfgfile|cfgdir>]*')).toBe(true);
    for (const line of text.trimEnd().split('\n').slice(1)) expect(line.startsWith('        ')).toBe(true);
  });
  it('has a -dMhelp text listing every option', () => {
    const help = memoryDebugHelpText();
    for (const w of [
      'no-fail',
      'merge',
      'cold-first',
      'integrity',
      'no-global',
      'cache',
      'caller',
      'tag',
      'poison',
    ]) {
      expect(help).toContain(w);
    }
  });
});

describe('version', () => {
  it('reads the package version and never claims to be HAProxy', () => {
    expect(HAPROXYD_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(HAPROXY_COMPAT_VERSION).toBe('2.6.12');
    const v = versionText();
    expect(v.split('\n')[0]).toBe(`haproxyd version ${HAPROXYD_VERSION} (HAProxy 2.6 compatible) - dev`);
    expect(v).toMatch(/^Running on: \S+ \S+ \S+$/m);
    expect(v).toContain(process.version);
    expect(v).not.toMatch(/^HAProxy version/m);
  });
  it('lists features the way -vv does', () => {
    const vv = buildInfoText();
    expect(vv.startsWith(versionText().trimEnd())).toBe(true);
    expect(vv).toContain(`Feature list : ${FEATURES.join(' ')}`);
    for (const f of FEATURES) expect(f).toMatch(/^[+-][0-9A-Z_]+$/);
    expect(ENABLED_FEATURES.has('OPENSSL')).toBe(true);
    expect(ENABLED_FEATURES.has('LUA')).toBe(false);
    expect(ENABLED_FEATURES.has('PCRE2')).toBe(false);
    expect(ENABLED_FEATURES.has('THREAD')).toBe(false);
  });
  it('lists the same feature names as HAProxy 2.6.12', () => {
    const names = FEATURES.map((f) => f.slice(1));
    expect(new Set(names).size).toBe(names.length);
    const haproxy = spawnSync('haproxy', ['-vv'], { encoding: 'utf8', timeout: 10_000 });
    if (haproxy.error) return; // not installed
    const line = /^Feature list : (.*)$/m.exec(haproxy.stdout)?.[1] ?? '';
    expect(names).toEqual(line.split(' ').map((f) => f.slice(1)));
  });
});

const hasHaproxy = spawnSync('haproxy', ['-v'], { timeout: 10_000 }).status === 0;

describe.skipIf(!hasHaproxy)('agrees with the real haproxy on exit codes', () => {
  let dir = '';
  let cfg = '';
  let cfg2 = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'haproxyd-cli-'));
    cfg = join(dir, 'ok.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        'defaults',
        '  mode http',
        '  timeout client 1s',
        '  timeout server 1s',
        '  timeout connect 1s',
        'frontend f',
        '  bind 127.0.0.1:18080',
        '',
      ].join('\n'),
    );
    cfg2 = join(dir, 'more.cfg');
    writeFileSync(cfg2, ['listen l', '  bind 127.0.0.1:18081', '  server s 127.0.0.1:18082', ''].join('\n'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const compared = CASES.filter((c) => c.compare);
  it.each(compared.map((c) => [c.argv.join(' ') || '(empty)', c] as const))('%s', (_name, c) => {
    const argv = c.argv.map((a) => ({ CFG: cfg, CFG2: cfg2, DIR: dir })[a] ?? a);
    const ours = parseArgs(argv);
    const expected = !ours.ok || ours.options.mode === 'help' ? 1 : 0;
    const real = spawnSync('haproxy', argv, { cwd: dir, encoding: 'utf8', timeout: 10_000 });
    expect(real.error).toBeUndefined();
    expect(real.status, `haproxy stderr: ${real.stderr}`).toBe(expected);
  });
});
