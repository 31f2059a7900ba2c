// Differential tests: the real HAProxy 2.6 runs fixture.ts's configuration with two stats
// sockets (admin and user) and its Prometheus exporter; our renderers get the fixture's
// StatsSource describing the same configuration. Outputs are compared byte for byte,
// except the few values that depend on time (lastchg, check_duration, uptime…).
import { request } from 'node:http';
import { connect } from 'node:net';
import {
  cleanupAll,
  freePorts,
  requireHaproxy,
  startProxy,
  startTcpEchoBackend,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COLUMN_INDEX,
  csvHeader,
  INFO_FIELDS,
  renderPrometheus,
  type StatsSource,
  showInfo,
  showServersState,
  showStat,
} from '../src/index.ts';
import { parseExposition } from './exposition.ts';
import { config, fixtureSource, type Ports } from './fixture.ts';

let dir = '';
let ports: Ports;
let source: StatsSource;

function cli(sock: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(`${dir}/${sock}`);
    const chunks: Buffer[] = [];
    s.on('connect', () => s.write(`${command}\n`));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error(`cli '${command}' timed out`)));
  });
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    r.on('error', reject);
    r.end();
  });
}

// Columns whose values move with time.
const VOLATILE = ['lastchg', 'downtime', 'check_duration'].map((n) => COLUMN_INDEX.get(n)!);

/** CSV lines with the volatile cells blanked (the '-' separator shifts later columns by one). */
function maskCsv(text: string): string[] {
  return text.split('\n').map((line) => {
    if (line.startsWith('#') || line === '') return line;
    const cells = line.split(',');
    for (const i of VOLATILE) cells[i] = '<t>';
    return cells.join(',');
  });
}

/** `typed` lines with the volatile values blanked. */
function maskTyped(text: string): string[] {
  return text
    .split('\n')
    .map((l) =>
      l.replace(/^([FBLS]\.\d+\.\d+\.(\d+)\.[^:]+:\w+:\w+:)(.*)$/, (m, head, pos) =>
        VOLATILE.includes(Number(pos)) ? `${head}<t>` : m,
      ),
    );
}

beforeAll(async () => {
  requireHaproxy();
  dir = tempDir();
  const check = await startTcpEchoBackend();
  const [fe, prom, tcpx, s2, s3, s4, s5, t1] = await freePorts(8);
  ports = { fe: fe!, prom: prom!, tcpx: tcpx!, servers: [check.port, s2!, s3!, s4!, s5!, t1!] };
  const cfg = writeConfig(config(ports, dir));
  await startProxy('haproxy', cfg, { readyPorts: [ports.fe, ports.prom, ports.tcpx] });
  // wait for s1's first health check
  for (let i = 0; i < 200; i++) {
    if ((await cli('admin.sock', 'show stat')).includes(',L4OK,')) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  source = fixtureSource(ports);
});

afterAll(cleanupAll);

describe('show stat against HAProxy 2.6', () => {
  it('prints the same header line, byte for byte', async () => {
    const real = await cli('admin.sock', 'show stat');
    expect(real.split('\n')[0] + '\n').toBe(csvHeader());
  });

  it('prints the same rows at level admin (addr, cookie and algo shown)', async () => {
    const real = await cli('admin.sock', 'show stat');
    expect(maskCsv(`${showStat(source, [], { level: 'admin' })}\n`)).toEqual(maskCsv(real));
  });

  it('prints the same rows at level user (addr, cookie and algo hidden)', async () => {
    const real = await cli('user.sock', 'show stat');
    expect(maskCsv(`${showStat(source, [], { level: 'user' })}\n`)).toEqual(maskCsv(real));
  });

  it.each([
    ['be 2 -1'],
    ['4 4 3'],
    ['fe 8 -1'],
    ['-1 1 -1'],
    ['2 2 -1'],
    ['up'],
    ['no-maint'],
    ['nope 1 -1'],
    ['domain foo'],
  ])('show stat %s', async (args) => {
    const real = await cli('admin.sock', `show stat ${args}`);
    expect(maskCsv(`${showStat(source, args.split(' '))}\n`)).toEqual(maskCsv(real));
  });

  it('prints the same typed lines, with descriptions', async () => {
    const real = await cli('admin.sock', 'show stat typed desc');
    expect(maskTyped(`${showStat(source, ['typed', 'desc'])}\n`)).toEqual(maskTyped(real));
  });

  it('prints the same JSON', async () => {
    const mask = (text: string) => {
      const doc = JSON.parse(text) as { field: { pos: number }; value: { value: unknown } }[][];
      for (const obj of doc) for (const f of obj) if (VOLATILE.includes(f.field.pos)) f.value.value = '<t>';
      return doc;
    };
    const real = await cli('admin.sock', 'show stat json');
    const ours = showStat(source, ['json']);
    // same framing: an array of arrays, a newline, then the CLI's empty line
    expect([ours.slice(0, 2), ours.slice(-2)]).toEqual([real.slice(0, 2), real.slice(-3, -1)]);
    expect(mask(ours)).toEqual(mask(real));
  });
});

describe('show info against HAProxy 2.6', () => {
  it('prints the same fields in the same order with the same tags and types', async () => {
    const strip = (text: string) =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^(\d+\.[^:]+:\w+:\w+):.*$/, '$1'));
    const real = await cli('admin.sock', 'show info typed');
    expect(strip(showInfo(source.info(), ['typed']))).toEqual(strip(real));
  });

  it('prints `Name: value` lines; ours carry haproxyd where HAProxy puts its own', async () => {
    const real = await cli('admin.sock', 'show info');
    const names = (t: string) => t.split('\n').map((l) => l.split(': ')[0]);
    const ours = showInfo(source.info(), []);
    expect(names(`${ours}\n`)).toEqual(names(real));
    expect(ours).toMatch(/^Name: haproxyd\nVersion: 0\.1\.0\nRelease_date: 2026\/01\/01\n/);
  });

  it('uses the same JSON framing and tag words', async () => {
    const real = JSON.parse(await cli('admin.sock', 'show info json')) as { field: unknown; tags: unknown }[];
    const ours = JSON.parse(showInfo(source.info(), ['json'])) as { field: unknown; tags: unknown }[];
    expect(ours.map((f) => [f.field, f.tags])).toEqual(real.map((f) => [f.field, f.tags]));
  });

  it('knows every field 2.6 can print', () => {
    expect(INFO_FIELDS.map((f) => f.name).slice(0, 3)).toEqual(['Name', 'Version', 'Release_date']);
    expect(INFO_FIELDS).toHaveLength(72);
  });
});

describe('show servers state against HAProxy 2.6', () => {
  it('prints the same version line, header and rows', async () => {
    const mask = (t: string) =>
      t.split('\n').map((l) => (/^\d+ \S+ \d+ /.test(l) ? l.split(' ').with(9, '<t>').join(' ') : l));
    const real = await cli('admin.sock', 'show servers state');
    expect(mask(`${showServersState(source)}\n`)).toEqual(mask(real));
    const tcpx = await cli('admin.sock', 'show servers state tcpx');
    expect(mask(`${showServersState(source, { backend: 'tcpx' })}\n`)).toEqual(mask(tcpx));
    expect(showServersState(source, { backend: 'nope' })).toBe(
      (await cli('admin.sock', 'show servers state nope')).slice(0, -1),
    );
  });
});

describe('Prometheus exporter against HAProxy 2.6', () => {
  it('has the same families, help texts, types, label sets and values', async () => {
    const real = parseExposition(await scrape(ports.prom));
    const ours = parseExposition(renderPrometheus(source));
    // time and the scrape itself move these; the process ones are haproxyd's own
    const volatile = (family: string, labels: Readonly<Record<string, string>>) =>
      family.startsWith('haproxy_process_') ||
      labels['proxy'] === 'prom' ||
      /last_change|downtime|check_duration/.test(family);
    const view = (fams: typeof real) =>
      fams.map((f) => ({
        name: f.name,
        help: f.help,
        type: f.type,
        samples: f.samples.map((s) => ({
          labels: f.name === 'haproxy_process_build_info' ? {} : s.labels,
          value: volatile(f.name, s.labels) ? '<v>' : s.raw,
        })),
      }));
    expect(view(ours)).toEqual(view(real));
  });
});
