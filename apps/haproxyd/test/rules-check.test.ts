// Bad rules are configuration errors, under `-c` too: an unknown fetch, converter or action,
// a regex that does not compile, a missing map file, a `use_backend` naming no backend, a
// stick rule naming no table — each gives one alert at its line and exit status 1, where
// HAProxy 2.6 also refuses the configuration at that line.
import { checkConfig, requireHaproxy, writeConfig } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { beforeAll, describe, expect, it } from 'vitest';

useTestkit();
beforeAll(() => void requireHaproxy());

const BASE = [
  'defaults',
  '  mode http',
  '  timeout connect 1s',
  '  timeout client 1s',
  '  timeout server 1s',
  'frontend fe',
  '  bind 127.0.0.1:0',
];
const TAIL = [
  '  default_backend be',
  'backend be',
  '  server s1 127.0.0.1:1',
  'backend st',
  '  stick-table type ip size 10',
];

/** The bad line is the first line after BASE (line BASE.length + 1). */
const CASES: [string, string][] = [
  ['unknown fetch', '  http-request deny if { nosuchfetch(x) -m found }'],
  ['unknown converter', '  http-request set-header X %[path,nosuchconv]'],
  ['unknown action', '  http-request nosuchaction'],
  ['regex that does not compile', '  http-request replace-path ([a-z /x'],
  ['regex in an ACL that does not compile', '  http-request deny if { path -m reg ([a-z }'],
  ['missing map file', '  http-request set-header X %[path,map(/nonexistent/haproxyd.map)]'],
  ['missing pattern file', '  http-request deny if { path -f /nonexistent/haproxyd.lst }'],
  ['use_backend to a missing backend', '  use_backend nosuchbackend if { path_beg /x }'],
  ['track-sc on a missing table', '  http-request track-sc0 src table nosuchtable'],
  ['sc fetch on a missing table', '  http-request deny if { src_conn_cnt(nosuchtable) gt 1 }'],
];

describe('bad rules under -c: one alert at the line, exit 1 (as HAProxy)', () => {
  it.each(CASES)('%s', async (_name, line) => {
    const cfg = writeConfig([...BASE, line, ...TAIL, ''].join('\n'));
    const [want, got] = await Promise.all([checkConfig('haproxy', [cfg]), checkConfig('haproxyd', [cfg])]);
    const at = BASE.length + 1;
    // HAProxy refuses it at that line
    expect(want.code).toBe(1);
    expect(want.alerts.some((a) => a.line === at)).toBe(true);
    // and so does haproxyd: exit 1, an alert at that line naming the file
    expect(got.code).toBe(1);
    const here = got.alerts.filter((a) => a.line === at);
    expect(here.length, got.stderr).toBe(1);
    expect(here[0]!.file).toBe(cfg);
  });
});
