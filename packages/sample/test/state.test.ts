// The state and identity fetches: their backend/frontend/server arguments resolved at compile
// time with HAProxy's alerts, and what they read of the world given.
import { describe, expect, it } from 'vitest';
import type { CompileOptions, ProxyWorld, SampleEnv } from '../src/index.ts';
import { compileAcl, compileSampleExpr, rateFetchesUsed } from '../src/index.ts';
import { envOf } from './harness.ts';

const opts: CompileOptions = {
  file: 'x.cfg',
  line: 1,
  resolvePath: (p) => p,
  currentProxy: 'fe',
  proxyCaps: (n) =>
    n === 'fe'
      ? { frontend: true, backend: false }
      : n === 'be'
        ? { frontend: false, backend: true }
        : undefined,
  serverExists: (b, s) => b === 'be' && s === 's1',
};

const fetch = "of sample fetch keyword '";

// first: nothing compiled yet in this file's process
describe('rate fetches in use', () => {
  it('tells when a rate fetch was compiled', () => {
    expect(rateFetchesUsed()).toBe(false);
    compileSampleExpr('connslots(be)', opts);
    expect(rateFetchesUsed()).toBe(false);
    compileSampleExpr('fe_sess_rate(fe)', opts);
    expect(rateFetchesUsed()).toBe(true);
  });
});

describe('backend, frontend and server arguments', () => {
  it('refuses unknown names as HAProxy words it', () => {
    expect(() => compileSampleExpr('connslots(nope)', opts)).toThrow(
      `unable to find backend 'nope' referenced in arg 1 ${fetch}connslots'`,
    );
    expect(() => compileSampleExpr('avg_queue(fe)', opts)).toThrow(
      `unable to find backend 'fe' referenced in arg 1 ${fetch}avg_queue'`,
    );
    expect(() => compileSampleExpr('fe_req_rate(be)', opts)).toThrow(
      `unable to find frontend 'be' referenced in arg 1 ${fetch}fe_req_rate'`,
    );
    expect(() => compileSampleExpr('srv_conn(be/zz)', opts)).toThrow(
      `unable to find server 'zz' in proxy 'be', referenced in arg 1 ${fetch}srv_conn'`,
    );
    expect(() => compileSampleExpr('srv_conn_free(nob/s1)', opts)).toThrow(
      `unable to find proxy 'nob' referenced in arg 1 ${fetch}srv_conn_free'`,
    );
    // a server named alone is one of the current proxy
    expect(() => compileSampleExpr('srv_sess_rate(s1)', opts)).toThrow(
      `unable to find server 's1' in proxy 'fe', referenced in arg 1 ${fetch}srv_sess_rate'`,
    );
    expect(() => compileSampleExpr('srv_conn', opts)).toThrow(
      `missing server name in arg 1 ${fetch}srv_conn'`,
    );
    // an empty name is the current proxy, which must have the capability
    expect(() => compileSampleExpr('be_conn_free()', opts)).toThrow(
      `proxy 'fe', referenced in arg 1 ${fetch}be_conn_free', has not backend capability`,
    );
    expect(() => compileAcl(['be_sess_rate(nope)', 'gt', '1'], opts)).toThrow(
      "unable to find backend 'nope' referenced in arg 1 of ACL keyword 'be_sess_rate'",
    );
  });

  it('accepts existing names, and the current proxy for an empty one', () => {
    for (const e of ['connslots(be)', 'fe_sess_rate', 'fe_sess_rate()', 'srv_conn(be/s1)', 'fe_req_rate(fe)'])
      expect(() => compileSampleExpr(e, opts), e).not.toThrow();
    const inBackend = { ...opts, currentProxy: 'be' };
    for (const e of ['be_sess_rate', 'avg_queue()', 'srv_conn(s1)'])
      expect(() => compileSampleExpr(e, inBackend), e).not.toThrow();
  });

  it('takes an absent backend argument for the current proxy, as HAProxy fills it in', () => {
    expect(() => compileSampleExpr('be_sess_rate', opts)).toThrow(
      `proxy 'fe', referenced in arg 1 ${fetch}be_sess_rate', has not backend capability`,
    );
    expect(() => compileSampleExpr('fe_sess_rate', { ...opts, currentProxy: 'be' })).toThrow(
      `proxy 'be', referenced in arg 1 ${fetch}fe_sess_rate', has not frontend capability`,
    );
  });
});

describe('reading the world', () => {
  const asked: string[] = [];
  const world: ProxyWorld = {
    nbsrv: () => 1,
    beConn: () => 0,
    queue: () => 0,
    feConn: () => 0,
    serverUp: () => true,
    backendFigure: (n, f) => {
      asked.push(`be ${n} ${f}`);
      return n === 'be' ? 5 : undefined;
    },
    frontendFigure: (n, f) => {
      asked.push(`fe ${n} ${f}`);
      return 7;
    },
    serverFigure: (b, s, f) => {
      asked.push(`srv ${b}/${s} ${f}`);
      return b === 'be' ? 3 : undefined;
    },
    defaultBackend: (n) => (n === 'fe' ? 'be' : undefined),
  };
  const env = (): SampleEnv => {
    const e = envOf({ src: '10.0.0.1', srcPort: 1, dst: '10.0.0.2', dstPort: 80, proxy: 'fe' });
    return { ...e, world, backend: 'be', server: 's1' };
  };
  // rules of backend 'be': an absent backend argument is 'be'
  const inBackend: CompileOptions = { ...opts, currentProxy: 'be' };
  const val = (expr: string) => compileSampleExpr(expr, inBackend).eval(env());

  it('asks the figure of the named or current proxy and server', () => {
    asked.length = 0;
    expect(val('avg_queue(be)')).toBe(5);
    expect(val('connslots')).toBe(5);
    expect(val('be_id')).toBe(5);
    expect(val('fe_id')).toBe(7);
    expect(val('fe_client_timeout')).toBe(7);
    expect(val('srv_id')).toBe(3);
    expect(val('srv_conn(be/s1)')).toBe(3);
    expect(val('fe_defbe')).toBe('be');
    expect(asked).toEqual([
      'be be avg_queue',
      'be be connslots',
      'be be id',
      'fe fe id',
      'fe fe client_timeout',
      'srv be/s1 id',
      'srv be/s1 conn',
    ]);
  });

  it('finds no server id before a server is chosen', () => {
    const e = { ...env(), server: undefined };
    expect(compileSampleExpr('srv_id', inBackend).eval(e)).toBeUndefined();
  });
});
