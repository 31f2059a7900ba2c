// Which optional runtime modules a configuration loads (features.ts). A wrong answer here is a
// feature silently missing at run time (checks that never start, rules never compiled), so
// every predicate is pinned on the configuration forms that need it.

import { loadConfig } from '@hap/config';
import { writeConfig } from '@hap/testkit';
import { describe, expect, it } from 'vitest';
import { loadFeatures, uses } from '../src/features.ts';

const BASE = [
  'defaults',
  '  mode http',
  '  timeout client 1s',
  '  timeout server 1s',
  '  timeout connect 1s',
  'frontend fe',
  '  bind 127.0.0.1:1',
  '  default_backend be',
  'backend be',
  '  server s1 127.0.0.1:2',
];

function model(
  extra: {
    global?: readonly string[];
    defaults?: readonly string[];
    frontend?: readonly string[];
    backend?: readonly string[];
  } = {},
) {
  const lines = [
    ...(extra.global ? ['global', ...extra.global] : []),
    ...BASE.slice(0, 5),
    ...(extra.defaults ?? []),
    ...BASE.slice(5, 8),
    ...(extra.frontend ?? []),
    ...BASE.slice(8),
    ...(extra.backend ?? []),
    '',
  ];
  const r = loadConfig([writeConfig(lines.join('\n'), 'features.cfg')]);
  expect(r.diagnostics.filter((d) => d.level === 'alert')).toEqual([]);
  return r.model;
}

const names = ['rules', 'stick', 'logs', 'checks', 'cli', 'statsPage', 'cookie', 'tls', 'h2'] as const;
const used = (m: ReturnType<typeof model>) => names.filter((n) => uses[n](m));

describe('optional runtime modules', () => {
  it('a plain forwarding configuration needs none of them, and loads none', async () => {
    const m = model();
    expect(used(m)).toEqual([]);
    expect(Object.keys(await loadFeatures(m))).toEqual([]);
  });

  it.each([
    ['rules', 'an http-request rule', { frontend: ['  http-request deny if { path /x }'] }],
    ['rules', 'an acl alone', { frontend: ['  acl a path /x'] }],
    ['rules', 'a use_backend', { frontend: ['  use_backend be if { path /x }'] }],
    ['rules', 'monitor-uri without rules', { frontend: ['  monitor-uri /ping'] }],
    [
      'rules',
      'http-error without rules',
      { backend: ['  http-error status 503 content-type text/plain string down'] },
    ],
    ['rules', 'tcp-request inspect-delay', { frontend: ['  tcp-request inspect-delay 1s'] }],
    ['rules', 'an http-response rule in a backend', { backend: ['  http-response set-header X-A 1'] }],
    ['stick', 'a stick-table', { backend: ['  stick-table type ip size 10'] }],
    ['logs', 'a global log line', { global: ['  log 127.0.0.1:514 local0'] }],
    ['logs', 'option httplog in defaults', { defaults: ['  option httplog'] }],
    ['checks', 'a server check', { backend: ['  server s2 127.0.0.1:3 check'] }],
    [
      'checks',
      'check on a default-server line',
      { backend: ['  default-server check', '  server s2 127.0.0.1:3'] },
    ],
    ['checks', 'an agent-check', { backend: ['  server s2 127.0.0.1:3 agent-check agent-port 4'] }],
    ['cli', 'a stats socket', { global: ['  stats socket /tmp/hap-features.sock'] }],
    ['statsPage', 'a stats page', { frontend: ['  stats enable', '  stats uri /st'] }],
    ['cookie', 'cookie persistence', { backend: ['  cookie SRV insert indirect nocache'] }],
    ['cookie', 'cookie persistence in defaults', { defaults: ['  cookie SRV insert'] }],
    ['tls', 'TLS to a server', { backend: ['  server s2 127.0.0.1:3 ssl verify none'] }],
    ['h2', 'proto h2 on a bind line', { frontend: ['  bind 127.0.0.1:3 proto h2'] }],
    ['h2', 'a tune.h2 setting', { global: ['  tune.h2.max-concurrent-streams 10'] }],
    ['h2', 'proto h2 on a server line', { backend: ['  server s2 127.0.0.1:3 proto h2'] }],
    [
      'h2',
      'proto h2 on a default-server line',
      { backend: ['  default-server proto h2', '  server s2 127.0.0.1:3'] },
    ],
    [
      'statsPage',
      'the Prometheus exporter',
      { frontend: ['  http-request use-service prometheus-exporter if { path /metrics }'] },
    ],
  ] as const)('the %s module for %s', async (feature, _what, extra) => {
    const m = model(extra);
    expect(used(m)).toContain(feature);
    expect((await loadFeatures(m))[feature]).toBeDefined();
  });

  it('HTTP/2 (node:http2) is loaded only when a bind line offers h2', () => {
    // the configuration only checks that the certificate file exists
    const crt = writeConfig('', 'features.pem');
    // ALPN without h2: TLS only
    const m = model({ frontend: [`  bind 127.0.0.1:3 ssl crt ${crt} alpn http/1.1`] });
    expect(used(m)).toEqual(['tls']);
    const h2 = model({ frontend: [`  bind 127.0.0.1:3 ssl crt ${crt} alpn h2,http/1.1`] });
    expect(used(h2)).toEqual(['tls', 'h2']);
  });

  it('HTTP/2 to servers loads node:http2 only when a server offers h2 (proto h2, or alpn with h2 over ssl)', () => {
    const h1 = model({ backend: ['  server s2 127.0.0.1:3 ssl verify none alpn http/1.1'] });
    expect(used(h1)).toEqual(['tls']);
    // alpn without ssl offers nothing: no TLS, no HTTP/2
    expect(used(model({ backend: ['  server s2 127.0.0.1:3 alpn h2'] }))).toEqual([]);
    const h2 = model({ backend: ['  server s2 127.0.0.1:3 ssl verify none alpn h2,http/1.1'] });
    expect(used(h2)).toEqual(['tls', 'h2']);
  });

  it('a crt-list line offering h2 loads node:http2; one without does not', () => {
    const crt = writeConfig('', 'features-list.pem');
    const plain = writeConfig(`${crt} [alpn http/1.1] a.test\n`, 'features-list.txt');
    expect(used(model({ frontend: [`  bind 127.0.0.1:3 ssl crt-list ${plain}`] }))).toEqual(['tls']);
    const list = writeConfig(`${crt} [alpn h2,http/1.1] a.test\n`, 'features-list-h2.txt');
    expect(used(model({ frontend: [`  bind 127.0.0.1:3 ssl crt-list ${list}`] }))).toEqual(['tls', 'h2']);
  });

  it('the rule engine brings the stick module (track-sc and sc_* compile against tables), and stick persistence loads the stick module', async () => {
    expect(
      Object.keys(await loadFeatures(model({ frontend: ['  http-request deny if { path /x }'] }))),
    ).toEqual(['rules', 'stick']);
    const f = await loadFeatures(model({ backend: ['  stick-table type ip size 10', '  stick on src'] }));
    expect(f.stick).toBeDefined();
  });
});
