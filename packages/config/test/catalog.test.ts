import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACL_KEYWORDS,
  ACL_MATCH_METHODS,
  BALANCE_ALGORITHMS,
  BIND_OPTIONS,
  CLI_COMMANDS,
  CONVERTERS,
  CRT_LIST_OPTIONS,
  FILTER_NAMES,
  findProxyKeyword,
  findProxyOption,
  findRemovedKeyword,
  GLOBAL_KEYWORDS,
  HTTP_CHECK_KEYWORDS,
  isGlobalKeyword,
  PROXY_KEYWORDS,
  PROXY_OPTIONS,
  REMOVED_KEYWORDS,
  RULE_ACTIONS,
  RULE_SETS,
  type RuleSet,
  SAMPLE_FETCHES,
  SECTION_KEYWORDS,
  SECTION_NAMES,
  SERVER_OPTIONS,
  SERVICE_NAMES,
  STATS_SUBKEYWORDS,
  TCP_CHECK_KEYWORDS,
  TIMEOUT_NAMES,
} from '../src/catalog/index.ts';

function haproxyAvailable(): boolean {
  const r = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  return r.status === 0 && /HAProxy version 2\.6/.test(r.stdout);
}

interface Dump {
  acl: Map<string, { fetch: string; match: string }>;
  global: string[];
  listen: string[];
  bind: string[];
  server: string[];
  options: Map<string, string[]>;
  actions: Map<string, string[]>;
  crtList: string[];
  cli: string[];
  converters: string[];
  fetches: Map<string, string>;
  filters: string[];
  services: string[];
}

function parseDump(text: string): Dump {
  const d: Dump = {
    acl: new Map(),
    global: [],
    listen: [],
    bind: [],
    server: [],
    options: new Map(),
    actions: new Map(),
    crtList: [],
    cli: [],
    converters: [],
    fetches: new Map(),
    filters: [],
    services: [],
  };
  let part = '';
  let section = '';
  const ruleRe =
    /^(http-request|http-response|http-after-response|tcp-request connection|tcp-request session|tcp-request content|tcp-response content) (\S+)$/;
  for (const line of text.split('\n')) {
    const head = /^# List of registered (.+?):?\s*$/.exec(line);
    if (head?.[1]) {
      part = head[1];
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    if (part.startsWith('ACL keywords')) {
      const m = /^(\S+) = (\S+) -m (\S+)$/.exec(line);
      if (m?.[1] && m[2] && m[3]) d.acl.set(m[1], { fetch: m[2], match: m[3] });
    } else if (part.startsWith('configuration keywords')) {
      if (!line.startsWith('\t')) {
        section = line.trim();
        continue;
      }
      const t = line.trim();
      if (section === 'global') d.global.push(t);
      else if (section === 'crt-list') d.crtList.push(t.split(' ')[0] ?? '');
      else if (section === 'listen') {
        const b = /^bind <addr> (?:ssl )?(\S+)/.exec(t);
        const s = /^server <name> <addr> (\S+)/.exec(t);
        const o = /^option (\S+) \[ (.*) \]$/.exec(t);
        const a = ruleRe.exec(t);
        if (b?.[1]) d.bind.push(b[1]);
        else if (s?.[1]) d.server.push(s[1]);
        else if (o?.[1] && o[2]) d.options.set(o[1], o[2].split(' '));
        else if (a?.[1] && a[2]) {
          const list = d.actions.get(a[1]) ?? [];
          list.push(a[2]);
          d.actions.set(a[1], list);
        } else d.listen.push(t);
      }
    } else if (part.startsWith('CLI keywords')) {
      d.cli.push(line.replace(/(\s*\[[A-Z]+\])+\s*$/, '').trim());
    } else if (part.startsWith('sample converter')) {
      const m = /^([^:(]+)/.exec(line);
      if (m?.[1]) d.converters.push(m[1]);
    } else if (part.startsWith('filter names')) {
      d.filters.push(line.split(' ')[0] ?? '');
    } else if (part.startsWith('sample fetch')) {
      const m = /^\[ [Y. ]+\] ([^:(]+)(?:\([^)]*\))?: (\S+)$/.exec(line);
      if (m?.[1] && m[2]) d.fetches.set(m[1], m[2]);
    } else if (part.startsWith('service names')) {
      if (!line.startsWith('Configuration')) d.services.push(line.trim());
    }
  }
  return d;
}

/** Catalog spelling of a dumped action ('x*' is a prefix action, see RULE_ACTIONS). */
function catalogActions(dumped: string): string[] {
  if (dumped === 'track-sc*') return ['track-sc0', 'track-sc1', 'track-sc2'];
  if (dumped.endsWith('*')) return [`${dumped.slice(0, -1)}(`];
  return [dumped];
}

const names = (xs: readonly { name: string }[]): Set<string> => new Set(xs.map((x) => x.name));
const missing = (dumped: Iterable<string>, have: ReadonlySet<string>): string[] =>
  [...dumped].filter((x) => !have.has(x));

describe.runIf(haproxyAvailable())('catalog covers every keyword registered in haproxy 2.6 (-dKall)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hap-catalog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = join(dir, 'min.cfg');
  writeFileSync(cfg, 'global\n');
  const r = spawnSync('haproxy', ['-dKall', '-c', '-f', cfg], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const dump = parseDump(`${r.stdout}\n${r.stderr}`);

  it('parsed a non-trivial dump', () => {
    expect(dump.global.length).toBeGreaterThan(50);
    expect(dump.fetches.size).toBeGreaterThan(300);
    expect(dump.converters.length).toBeGreaterThan(100);
    expect(dump.actions.size).toBe(7);
    expect(dump.acl.size).toBeGreaterThan(50);
    expect(dump.cli.length).toBeGreaterThan(100);
    expect(dump.bind.length).toBeGreaterThan(50);
    expect(dump.server.length).toBeGreaterThan(80);
    expect(dump.options.size).toBeGreaterThan(30);
    expect(dump.listen.length).toBeGreaterThan(20);
  });

  it('global keywords', () => {
    expect(missing(dump.global, new Set(GLOBAL_KEYWORDS))).toEqual([]);
  });

  it('proxy keywords (first words)', () => {
    const removed = new Set(REMOVED_KEYWORDS.filter((k) => k.where === 'proxy').map((k) => k.name));
    const have = names(PROXY_KEYWORDS);
    expect(
      missing(
        dump.listen.filter((k) => !removed.has(k)),
        have,
      ),
    ).toEqual([]);
    for (const k of dump.listen.filter((x) => removed.has(x))) expect(have.has(k)).toBe(false);
  });

  it('bind options', () => {
    expect(missing(dump.bind, names(BIND_OPTIONS))).toEqual([]);
  });

  it('crt-list options', () => {
    expect(missing(dump.crtList, new Set(CRT_LIST_OPTIONS))).toEqual([]);
  });

  it('server options', () => {
    expect(missing(dump.server, names(SERVER_OPTIONS))).toEqual([]);
  });

  it('proxy options with their frontend/backend/HTTP flags', () => {
    expect(missing(dump.options.keys(), names(PROXY_OPTIONS))).toEqual([]);
    for (const [name, flags] of dump.options) {
      const o = findProxyOption(name);
      expect(o, name).toBeDefined();
      if (!o) continue;
      expect(o.frontend, `${name} FE`).toBe(flags.includes('FE'));
      expect(o.backend, `${name} BE`).toBe(flags.includes('BE'));
      expect(o.http === true, `${name} HTTP`).toBe(flags.includes('HTTP'));
    }
  });

  it('rule actions per rule set', () => {
    for (const [set, acts] of dump.actions) {
      expect(RULE_SETS).toContain(set);
      const have = new Set(RULE_ACTIONS[set as RuleSet]);
      expect(missing(acts.flatMap(catalogActions), have), set).toEqual([]);
    }
  });

  it('converters', () => {
    expect(missing(dump.converters, names(CONVERTERS))).toEqual([]);
  });

  it('sample fetches with their output type', () => {
    const byName = new Map(SAMPLE_FETCHES.map((f) => [f.name, f]));
    expect(missing(dump.fetches.keys(), new Set(byName.keys()))).toEqual([]);
    for (const [name, type] of dump.fetches) expect(byName.get(name)?.output, name).toBe(type);
  });

  it('ACL aliases', () => {
    const byName = new Map(ACL_KEYWORDS.map((a) => [a.name, a]));
    for (const [name, a] of dump.acl) expect(byName.get(name), name).toEqual({ name, ...a });
  });

  it('CLI commands, filters and services', () => {
    expect(missing(dump.cli, new Set(CLI_COMMANDS))).toEqual([]);
    expect(missing(dump.filters, new Set(FILTER_NAMES))).toEqual([]);
    expect(missing(dump.services, new Set(SERVICE_NAMES))).toEqual([]);
  });
});

describe.runIf(haproxyAvailable())('removed keywords behave as recorded with haproxy 2.6', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hap-removed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = 'defaults\n mode http\n timeout client 1s\n timeout server 1s\n timeout connect 1s\n';
  const sample: Record<string, string> = {
    'monitor-net': ' 10.0.0.0/8',
    nbproc: ' 2',
    'tune.chksize': ' 1024',
  };
  function configFor(k: (typeof REMOVED_KEYWORDS)[number]): string {
    const arg = sample[k.name] ?? (/^(req|rsp|cli|srv)/.test(k.name) ? ' ^a b' : ' 1');
    switch (k.where) {
      case 'global':
        return `global\n ${k.name}${arg}\n`;
      case 'option':
        return `${base}listen l\n bind 127.0.0.1:18080\n option ${k.name}\n`;
      case 'bind':
        return `${base}listen l\n bind 127.0.0.1:18080 ${k.name} 1\n`;
      case 'resolvers':
        return `resolvers r\n nameserver a 127.0.0.1:53\n ${k.name} 1\n`;
      default:
        return `${base}listen l\n bind 127.0.0.1:18080\n ${k.name.includes(' ') ? k.name : k.name + arg}\n`;
    }
  }
  for (const k of REMOVED_KEYWORDS) {
    it(`${k.where} ${k.name} -> ${k.level}`, () => {
      const f = join(dir, 't.cfg');
      writeFileSync(f, configFor(k));
      const r = spawnSync('haproxy', ['-c', '-f', f], { encoding: 'utf8' });
      const out = `${r.stdout}${r.stderr}`;
      if (k.level === 'alert') {
        expect(r.status, out).toBe(1);
        expect(out).toMatch(/ALERT/);
        if (k.recognised === false) expect(out).toMatch(/unknown/);
        else expect(out).not.toMatch(/unknown/);
      } else {
        // 2 = valid but nothing to listen on (global-only configuration)
        expect([0, 2], out).toContain(r.status);
        expect(out).toMatch(/WARNING/);
      }
    });
  }
});

describe('catalog sanity', () => {
  const lists: Record<string, readonly string[]> = {
    GLOBAL_KEYWORDS,
    PROXY_KEYWORDS: PROXY_KEYWORDS.map((k) => k.name),
    PROXY_OPTIONS: PROXY_OPTIONS.map((k) => k.name),
    TIMEOUT_NAMES: TIMEOUT_NAMES.map((k) => k.name),
    STATS_SUBKEYWORDS,
    BIND_OPTIONS: BIND_OPTIONS.map((k) => k.name),
    SERVER_OPTIONS: SERVER_OPTIONS.map((k) => k.name),
    HTTP_CHECK_KEYWORDS,
    TCP_CHECK_KEYWORDS,
    BALANCE_ALGORITHMS: BALANCE_ALGORITHMS.map((k) => k.name),
    SAMPLE_FETCHES: SAMPLE_FETCHES.map((k) => k.name),
    CONVERTERS: CONVERTERS.map((k) => k.name),
    ACL_KEYWORDS: ACL_KEYWORDS.map((k) => k.name),
    ACL_MATCH_METHODS,
    SECTION_NAMES,
    REMOVED_KEYWORDS: REMOVED_KEYWORDS.map((k) => k.name),
    CLI_COMMANDS,
    ...Object.fromEntries(RULE_SETS.map((s) => [`RULE_ACTIONS[${s}]`, RULE_ACTIONS[s]])),
    ...Object.fromEntries(Object.entries(SECTION_KEYWORDS).map(([s, l]) => [`SECTION_KEYWORDS[${s}]`, l])),
  };
  for (const [label, list] of Object.entries(lists)) {
    it(`${label} is sorted, unique and well-formed`, () => {
      expect(list.length).toBeGreaterThan(0);
      expect([...list].sort()).toEqual([...list]);
      expect(new Set(list).size).toBe(list.length);
      for (const n of list) expect(n, label).toMatch(/^[!.@_a-z0-9<][-a-z0-9_.+<>!@ ()]*$/);
    });
  }

  it('knows keywords hard-coded in the section parsers', () => {
    for (const k of ['maxconn', 'daemon', 'user', 'group', 'chroot', 'pidfile', 'log', 'nbthread', 'stats'])
      expect(isGlobalKeyword(k), k).toBe(true);
    for (const k of [
      'mode',
      'balance',
      'server',
      'default-server',
      'bind',
      'acl',
      'use_backend',
      'default_backend',
    ])
      expect(findProxyKeyword(k), k).toBeDefined();
    expect(findProxyKeyword('bind')?.backend).toBe(false);
    expect(findProxyKeyword('server')?.frontend).toBe(false);
    expect(findProxyKeyword('transparent')?.deprecated).toBe(true);
    expect(findProxyOption('httplog')).toMatchObject({ frontend: true, negatable: false });
    expect(findProxyOption('redispatch')?.negatable).toBe(true);
    expect(TIMEOUT_NAMES.find((t) => t.name === 'client')).toMatchObject({ frontend: true, backend: false });
    expect(RULE_ACTIONS['tcp-request connection']).toContain('expect-proxy layer4');
    expect(RULE_ACTIONS['http-request']).toContain('set-var(');
    expect(RULE_ACTIONS['http-request']).toContain('track-sc2');
  });

  it('removed keywords are not listed as valid ones', () => {
    expect(findRemovedKeyword('proxy', 'reqadd')?.level).toBe('alert');
    expect(findRemovedKeyword('global', 'nbproc')?.level).toBe('alert');
    for (const k of REMOVED_KEYWORDS) {
      if (k.where === 'global')
        expect(isGlobalKeyword(k.name) === (k.level === 'warning'), k.name).toBe(true);
      if (k.where === 'option') expect(findProxyOption(k.name), k.name).toBeUndefined();
      if (k.where === 'proxy' && k.level === 'alert')
        expect(findProxyKeyword(k.name), k.name).toBeUndefined();
    }
  });

  it('every section has a keyword list or a proxy vocabulary', () => {
    for (const s of SECTION_NAMES) {
      const known =
        s in SECTION_KEYWORDS || ['global', 'defaults', 'frontend', 'listen', 'backend'].includes(s);
      expect(known, s).toBe(true);
    }
  });
});
