// ACL matching (every method, flags, files, operators) and conditions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import { ACL_KEYWORDS, PREDEFINED_ACLS } from '../src/acl.ts';
import {
  type CompileOptions,
  compileAcl,
  compileCondition,
  type SampleEnv,
  type SampleError,
} from '../src/index.ts';
import { envOf, messageOf, parseCondition } from './harness.ts';

useTestkit();

const opts: CompileOptions = { file: 't', line: 1, resolvePath: (p) => p };

function env(src = '10.1.2.3', extra: Partial<SampleEnv> = {}): SampleEnv {
  const e = envOf({
    src,
    srcPort: 40000,
    dst: '127.0.0.1',
    dstPort: 80,
    proxy: 'fe',
    req: messageOf('GET /Static/img/logo.PNG?id=42&id=7 HTTP/1.1', [
      ['Host', ' www.example.com:8080'],
      ['X-Forwarded-For', ' 192.168.1.1, 10.0.0.1'],
      ['X-Num', ' 12'],
      ['X-Multi', ' a, b'],
      ['X-Multi', ' c'],
      ['X-Empty', ''],
      ['Cookie', ' s=1; s=2'],
    ]),
  });
  return Object.assign(e, extra);
}

const acl = (words: string[], e: SampleEnv = env()) => compileAcl(words, opts).test(e);

function error(words: string[]): SampleError {
  try {
    compileAcl(words, opts);
  } catch (e) {
    return e as SampleError;
  }
  throw new Error(`no error for ${words.join(' ')}`);
}

describe('string match methods', () => {
  it('str, beg, end, sub, reg, len with and without -i', () => {
    expect(acl(['path', '/Static/img/logo.PNG'])).toBe(true);
    expect(acl(['path', '/static/img/logo.png'])).toBe(false);
    expect(acl(['path', '-i', '/static/img/logo.png'])).toBe(true);
    expect(acl(['path_beg', '/Static/', '/api'])).toBe(true);
    expect(acl(['path_beg', '/static/'])).toBe(false);
    expect(acl(['path_beg', '-i', '/static/'])).toBe(true);
    expect(acl(['path_end', '.png'])).toBe(false);
    expect(acl(['path_end', '-i', '.png'])).toBe(true);
    expect(acl(['path_sub', 'img'])).toBe(true);
    expect(acl(['path_sub', '-i', 'IMG/LOGO'])).toBe(true);
    expect(acl(['path_reg', '^/[A-Z][a-z]+/'])).toBe(true);
    expect(acl(['path_reg', '-i', '\\.png$'])).toBe(true);
    expect(acl(['path_len', '20'])).toBe(true);
    expect(acl(['path_len', 'gt', '20'])).toBe(false);
    expect(acl(['url_sub', 'id=7'])).toBe(true);
  });

  it('dir and dom match whole slash- or dot-delimited parts', () => {
    expect(acl(['path_dir', 'img'])).toBe(true);
    expect(acl(['path_dir', 'Static/img'])).toBe(true);
    expect(acl(['path_dir', 'im'])).toBe(false);
    expect(acl(['path_dir', '/img/'])).toBe(true);
    expect(acl(['hdr_dom(host)', 'example'])).toBe(true);
    expect(acl(['hdr_dom(host)', 'example.com'])).toBe(true);
    expect(acl(['hdr_dom(host)', '8080'])).toBe(true);
    expect(acl(['hdr_dom(host)', 'exam'])).toBe(false);
    expect(acl(['hdr_dom(host)', '-i', 'WWW'])).toBe(true);
  });

  it('iterates over every value of a header, cookie or parameter', () => {
    expect(acl(['hdr(x-multi)', 'b'])).toBe(true);
    expect(acl(['hdr(x-multi)', 'c'])).toBe(true);
    expect(acl(['hdr(x-multi,1)', 'c'])).toBe(false);
    expect(acl(['hdr(x-forwarded-for)', '-m', 'ip', '10.0.0.0/8'])).toBe(true);
    expect(acl(['hdr_ip(x-forwarded-for)', '192.168.0.0/16'])).toBe(true);
    expect(acl(['cook(s)', '1'])).toBe(true);
    expect(acl(['cook(s)', '2'])).toBe(true);
    expect(acl(['url_param(id)', '7'])).toBe(true);
    expect(acl(['urlp_val(id)', 'gt', '40'])).toBe(true);
  });
});

describe('other match methods', () => {
  it('found, bool, int with ranges and operators', () => {
    expect(acl(['hdr(x-empty)', '-m', 'found'])).toBe(true);
    expect(acl(['hdr(x-none)', '-m', 'found'])).toBe(false);
    expect(acl(['hdr(x-empty)', '-m', 'len', '0'])).toBe(true);
    expect(acl(['hdr_val(x-num)', '12'])).toBe(true);
    expect(acl(['hdr_val(x-num)', '10:20'])).toBe(true);
    expect(acl(['hdr_val(x-num)', ':11'])).toBe(false);
    expect(acl(['hdr_val(x-num)', '13:'])).toBe(false);
    expect(acl(['hdr_val(x-num)', 'gt', '11'])).toBe(true);
    expect(acl(['hdr_val(x-num)', 'ge', '13'])).toBe(false);
    expect(acl(['hdr_val(x-num)', 'lt', '13'])).toBe(true);
    expect(acl(['hdr_val(x-num)', 'le', '11'])).toBe(false);
    expect(acl(['hdr_val(x-num)', 'eq', '1', '12'])).toBe(true);
    expect(acl(['int(-3)', 'lt', '0'])).toBe(true);
    expect(acl(['int(-3)', '--', '-3'])).toBe(true); // '-' is a range separator, as in HAProxy
    expect(acl(['int(0)', '-m', 'bool'])).toBe(false);
    expect(acl(['int(2)', '-m', 'bool'])).toBe(true);
    expect(acl(['always_true'])).toBe(true);
    expect(acl(['always_false'])).toBe(false);
    expect(acl(['req.hdr(x-num)', '-m', 'int', '12'])).toBe(true);
  });

  it('ip with masks, abbreviations and IPv4/IPv6 mapping', () => {
    expect(acl(['src', '10.1.2.3'])).toBe(true);
    expect(acl(['src', '10.0.0.0/8'])).toBe(true);
    expect(acl(['src', '10.1.0.0/255.255.0.0'])).toBe(true);
    expect(acl(['src', '10.1.2.0/255.0.255.0'])).toBe(true);
    expect(acl(['src', '10.1/8'])).toBe(true);
    expect(acl(['src', '127.1'], env('127.0.0.1'))).toBe(true);
    expect(acl(['src', '::ffff:10.1.2.3'])).toBe(true);
    expect(acl(['src', '10.1.2.3'], env('::ffff:10.1.2.3'))).toBe(true);
    expect(acl(['src', '2001:db8::/32'], env('2001:db8::7'))).toBe(true);
    expect(acl(['src', '10.1.2.3'], env('2002:a01:203::1'))).toBe(true);
    expect(error(['src', 'foo.example']).message).toBe("'foo.example' is not a valid IPv4 or IPv6 address");
  });

  it('bin and meth', () => {
    expect(acl(['str(AB)', '-m', 'bin', '4142'])).toBe(true);
    expect(acl(['str(AB)', '-m', 'bin', '41'])).toBe(false);
    expect(error(['str(AB)', '-m', 'bin', '414']).message).toBe('an even number of hex digit is expected');
    const purge = env('10.0.0.1', { req: messageOf('PURGE / HTTP/1.1', []) });
    expect(acl(['method', 'GET', 'HEAD'])).toBe(true);
    expect(acl(['method', 'get'])).toBe(false);
    expect(acl(['method', '-i', 'get'])).toBe(false);
    expect(acl(['method', '-i', 'purge'], purge)).toBe(true);
    expect(acl(['method', 'PURGE'], purge)).toBe(true);
    expect(acl(['method', '-m', 'beg', 'G'])).toBe(true);
  });
});

describe('flags, files and errors', () => {
  it('reads patterns from files, -i applying to what follows, -M reading maps', () => {
    const d = tempDir();
    writeFileSync(join(d, 'hosts.lst'), '# c\nWWW.EXAMPLE.COM:8080\n\n   other.example\n');
    writeFileSync(join(d, 'paths.map'), '/Static static\n/api api\n');
    expect(acl(['hdr(host)', '-f', `${d}/hosts.lst`])).toBe(false);
    expect(acl(['hdr(host)', '-i', '-f', `${d}/hosts.lst`])).toBe(true);
    expect(acl(['hdr(host)', '-f', `${d}/hosts.lst`, '-i', 'WWW.example.com:8080'])).toBe(true);
    expect(acl(['path', '-m', 'beg', '-M', '-f', `${d}/paths.map`])).toBe(true);
    expect(error(['path', '-f', '/nonexistent.lst']).message).toBe(
      'failed to open pattern file </nonexistent.lst>',
    );
  });

  it('handles --, -u, -n and an empty word', () => {
    expect(acl(['str(-i)', '--', '-i'])).toBe(true);
    expect(acl(['str(x)', '-u', '12', '-n', 'x'])).toBe(true);
    expect(acl(['str(x)', '', 'x'])).toBe(false);
  });

  it('reports mistakes as HAProxy words them', () => {
    expect(error(['path', '-m', 'foo', 'x']).message).toBe(
      "unknown matching method 'foo' when parsing ACL expression",
    );
    expect(error(['req.body', 'x']).message).toBe(
      "matching method must be specified first (using '-m') when using a sample fetch of this type ('req.body')",
    );
    expect(error(['path', '-x']).message).toBe(
      "'-x' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'",
    );
    expect(error(['always_true', '-m', 'ip', '1.2.3.4']).message).toBe(
      "matching method 'ip' cannot be used with fetch keyword 'always_true'",
    );
    expect(acl(['src', '-m', 'beg', '10.1.'])).toBe(true);
    expect(error(['hdr_cnt(x)', 'gt', 'foo']).message).toBe(
      "'foo' is neither a number nor a supported operator",
    );
    expect(error(['path_reg', 'a(']).message).toBe(
      "regex 'a(' is invalid (error=missing closing parenthesis, erroffset=2)",
    );
    expect(error(['path_beg', '-f', 'x', '-m', 'str']).message).toBe('failed to open pattern file <x>');
    expect(error(['nope']).message).toBe("unknown fetch method 'nope' in ACL expression 'nope'");
    expect(error(['hdr_beg(host),nope', 'x']).message).toBe(
      "ACL keyword 'hdr_beg' : unknown converter 'nope'",
    );
    expect(error(['ssl_c_err']).code).toBe('HAP_ERR_SAMPLE_UNSUPPORTED');
  });

  it('drops an ACL keyword match when a converter follows, as HAProxy does', () => {
    expect(acl(['hdr_beg(host),lower', 'www.'])).toBe(false);
    expect(acl(['hdr_beg(host),lower', 'www.example.com:8080'])).toBe(true);
    expect(acl(['hdr(host),lower,word(1,:)', '-m', 'end', '.com'])).toBe(true);
  });

  it('knows every ACL keyword of HAProxy 2.6', () => {
    expect(ACL_KEYWORDS.size).toBe(77);
    expect(ACL_KEYWORDS.get('hdr_sub')).toEqual({ fetch: 'req.hdr', match: 'sub' });
    expect(ACL_KEYWORDS.get('req_ssl_sni')).toEqual({ fetch: 'req.ssl_sni', match: 'str' });
  });
});

describe('conditions', () => {
  const named: Record<string, string[][]> = {
    is_img: [
      ['path_end', '-i', '.png'],
      ['path_end', '.gif'],
    ],
    local: [['src', '127.0.0.0/8']],
    never: [['always_false']],
  };
  const cond = (words: string[], e: SampleEnv = env()) =>
    compileCondition(parseCondition(words), (n) => named[n], opts).test(e);

  it('combines ACLs: AND in a group, OR between groups, negation, unless', () => {
    expect(cond(['if', 'is_img'])).toBe(true);
    expect(cond(['if', 'is_img', 'local'])).toBe(false);
    expect(cond(['if', 'is_img', 'local', 'or', 'is_img'])).toBe(true);
    expect(cond(['if', 'is_img', '!local'])).toBe(true);
    expect(cond(['unless', 'is_img'])).toBe(false);
    expect(cond(['unless', 'never'])).toBe(true);
    expect(cond(['if'])).toBe(true);
    expect(cond(['if', '!', 'never', '{', 'hdr_cnt(x-multi)', 'eq', '3', '}'])).toBe(true);
    expect(cond(['if', 'never', '||', '{', 'src', '10.0.0.0/8', '}'])).toBe(true);
  });

  it('knows the predefined ACLs and lets a declared one take precedence', () => {
    expect(PREDEFINED_ACLS.size).toBe(22);
    expect(cond(['if', 'METH_GET', 'HTTP_1.1', 'HTTP_URL_SLASH', '!HTTP_URL_STAR', '!HTTP_CONTENT'])).toBe(
      true,
    );
    expect(cond(['if', 'LOCALHOST'])).toBe(false);
    expect(cond(['if', 'LOCALHOST'], env('::1'))).toBe(true);
    expect(cond(['if', 'TRUE', '!FALSE', 'HTTP', 'WAIT_END'])).toBe(true);
    expect(cond(['if', 'REQ_CONTENT'])).toBe(true);
    const override = compileCondition(
      parseCondition(['if', 'TRUE']),
      (n) => (n === 'TRUE' ? [['always_false']] : undefined),
      opts,
    );
    expect(override.test(env())).toBe(false);
  });

  it('refuses an unknown ACL name', () => {
    expect(() => compileCondition(parseCondition(['if', 'nope']), () => undefined, opts)).toThrow(
      "no such ACL : 'nope'",
    );
  });
});
