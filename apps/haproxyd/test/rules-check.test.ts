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
  '  bind 127.0.0.1:1',
];
const TAIL = [
  '  default_backend be',
  'backend be',
  '  server s1 127.0.0.1:1',
  'backend st',
  '  stick-table type ip size 10',
];

/**
 * The bad line is the first line after BASE (line BASE.length + 1). HAProxy reports the
 * last two after parsing, naming the proxy but no line; haproxyd the same.
 */
const AFTER_PARSING = new Set(['use_backend to a missing backend', 'track-sc on a missing table']);
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
    expect(want.code).toBe(1);
    expect(got.code).toBe(1);
    if (AFTER_PARSING.has(_name)) {
      // one alert naming the proxy (HAProxy's sentence); the track-sc one names the line too
      const theirs = want.alerts.filter((a) => a.message.includes("Proxy 'fe'"));
      const ours = got.alerts.filter((a) => a.message.includes("Proxy 'fe'"));
      expect(theirs).toHaveLength(1);
      expect(ours, got.stderr).toHaveLength(1);
      expect(ours[0]!.message).toContain(theirs[0]!.message.replace(/\.$/, ''));
      if (_name === 'use_backend to a missing backend') expect(ours[0]!.message).toBe(theirs[0]!.message);
      else expect(ours[0]!.message).toContain(`${cfg}:${at}`);
      return;
    }
    // HAProxy refuses it at that line, and so does haproxyd: one alert at that line naming the file
    expect(want.alerts.some((a) => a.line === at)).toBe(true);
    const here = got.alerts.filter((a) => a.line === at);
    expect(here.length, got.stderr).toBe(1);
    expect(here[0]!.file).toBe(cfg);
  });
});
